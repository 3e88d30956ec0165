import secrets
from datetime import timedelta
from typing import Any

import factory
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from oauth2_provider.models import AccessToken, set_token_value

from exercises.models import (
    Equipment,
    Exercise,
    ExerciseAlias,
    ExerciseCaution,
    ExerciseCue,
    ExerciseEquipment,
    ExerciseMedia,
    ExerciseMuscle,
    ExerciseProgression,
    ExerciseSetupNote,
    ExerciseStep,
    MediaRendition,
    Muscle,
    Routine,
    RoutineItem,
)
from hipflex_api.accounts.models import (
    App,
    CoachingInvitation,
    CoachingLink,
    User,
    invitation_code_canonical,
    invitation_code_digest,
)
from hipflex_api.changes.counters import next_change_seq, note_links_changed, user_scope
from hipflex_api.idempotency.models import IdempotencyRecord
from hipflex_api.webhooks.models import Delivery, Endpoint, Event
from hipflex_api.webhooks.signing import new_secret
from sessions.models import Assignment, AssignmentItem, SetLog, WorkoutSession

# Every UserFactory user's password, unless the test gives another.
PASSWORD = "pw-hipflex-test"


class UserFactory(factory.django.DjangoModelFactory[User]):
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.django.Password(PASSWORD)

    class Meta:
        model = User


class AppFactory(factory.django.DjangoModelFactory[App]):
    """A third-party phone app (public: no secret), allowed every scope."""

    name = factory.Sequence(lambda n: f"Tracker {n}")
    client_type = App.CLIENT_PUBLIC
    redirect_uris = "https://tracker.example/callback"

    class Meta:
        model = App


class ServerAppFactory(AppFactory):
    """A third-party app with a server of its own (confidential): it calls on its own behalf
    with its client id and `secret` (kept hashed, as the toolkit keeps every secret)."""

    class Params:
        secret = factory.Sequence(lambda n: f"the-apps-own-secret-{n:04d}")

    name = factory.Sequence(lambda n: f"Clinic {n}")
    client_type = App.CLIENT_CONFIDENTIAL
    client_secret = factory.SelfAttribute("secret")


def app_token(user: User, *scopes: str, app: App | None = None) -> str:
    """An access token of `app` (a new one by default) for `user`, granted `scopes`."""
    token = secrets.token_urlsafe(32)
    access = AccessToken(
        user=user,
        application=app or AppFactory(),
        expires=timezone.now() + timedelta(hours=1),
        scope=" ".join(scopes),
    )
    set_token_value(access, token)  # Its digest only, as the server keeps them.
    access.save()
    return token


class CoachingInvitationFactory(factory.django.DjangoModelFactory[CoachingInvitation]):
    """An open invitation; its code is `code` (not stored, only its digest)."""

    class Params:
        code = factory.Sequence(lambda n: f"{n:08d}")

    trainer = factory.SubFactory(UserFactory)
    digest = factory.LazyAttribute(
        lambda o: invitation_code_digest(invitation_code_canonical(o.code))
    )
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))

    class Meta:
        model = CoachingInvitation


class CoachingLinkFactory(factory.django.DjangoModelFactory[CoachingLink]):
    """A standing link; give `trainer` one who may coach for the API's coaching views."""

    trainer = factory.SubFactory(UserFactory)
    client = factory.SubFactory(UserFactory)

    class Meta:
        model = CoachingLink

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> CoachingLink:
        # As the redemption does: the trainer's list reads the change.
        with transaction.atomic():
            link = super()._create(model_class, *args, **kwargs)
            note_links_changed(link.trainer_id)
        return link


class MuscleFactory(factory.django.DjangoModelFactory[Muscle]):
    name = factory.Sequence(lambda n: f"Muscle {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    group = "Hip flexors"

    class Meta:
        model = Muscle


class EquipmentFactory(factory.django.DjangoModelFactory[Equipment]):
    name = factory.Sequence(lambda n: f"Equipment {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))

    class Meta:
        model = Equipment


class ExerciseFactory(factory.django.DjangoModelFactory[Exercise]):
    name = factory.Sequence(lambda n: f"Exercise {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    kind = Exercise.Kind.STRETCH
    summary = factory.LazyAttribute(lambda o: f"What {o.name} is for.")
    difficulty = Exercise.Difficulty.BEGINNER
    published = True

    class Meta:
        model = Exercise


class ExerciseMuscleFactory(factory.django.DjangoModelFactory[ExerciseMuscle]):
    exercise = factory.SubFactory(ExerciseFactory)
    muscle = factory.SubFactory(MuscleFactory)
    role = ExerciseMuscle.Role.PRIMARY

    class Meta:
        model = ExerciseMuscle


class ExerciseEquipmentFactory(factory.django.DjangoModelFactory[ExerciseEquipment]):
    exercise = factory.SubFactory(ExerciseFactory)
    equipment = factory.SubFactory(EquipmentFactory)
    optional = False

    class Meta:
        model = ExerciseEquipment


class ExerciseProgressionFactory(factory.django.DjangoModelFactory[ExerciseProgression]):
    milder = factory.SubFactory(ExerciseFactory)
    harder = factory.SubFactory(ExerciseFactory)

    class Meta:
        model = ExerciseProgression


class ExerciseStepFactory(factory.django.DjangoModelFactory[ExerciseStep]):
    exercise = factory.SubFactory(ExerciseFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Step {n}.")

    class Meta:
        model = ExerciseStep


class ExerciseCueFactory(factory.django.DjangoModelFactory[ExerciseCue]):
    exercise = factory.SubFactory(ExerciseFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Cue {n}.")

    class Meta:
        model = ExerciseCue


class ExerciseCautionFactory(factory.django.DjangoModelFactory[ExerciseCaution]):
    exercise = factory.SubFactory(ExerciseFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Caution {n}.")

    class Meta:
        model = ExerciseCaution


class ExerciseSetupNoteFactory(factory.django.DjangoModelFactory[ExerciseSetupNote]):
    exercise = factory.SubFactory(ExerciseFactory)
    position = factory.Sequence(lambda n: n + 1)
    text = factory.Sequence(lambda n: f"Set-up note {n}.")

    class Meta:
        model = ExerciseSetupNote


class ExerciseAliasFactory(factory.django.DjangoModelFactory[ExerciseAlias]):
    exercise = factory.SubFactory(ExerciseFactory)
    name = factory.Sequence(lambda n: f"Alias {n}")

    class Meta:
        model = ExerciseAlias


class ExerciseMediaFactory(factory.django.DjangoModelFactory[ExerciseMedia]):
    exercise = factory.SubFactory(ExerciseFactory)
    position = factory.Sequence(lambda n: n + 1)
    kind = ExerciseMedia.Kind.IMAGE
    url = factory.Sequence(lambda n: f"https://media.example.com/exercise-{n}.jpg")
    caption = ""
    licence = "CC BY 4.0"
    attribution = "Hipflex trainers"

    class Meta:
        model = ExerciseMedia


class UploadedImageFactory(ExerciseMediaFactory):
    """An uploaded image as the upload leaves it: a file (named only; nothing is written)
    and its size, no link."""

    url = ""
    file = factory.Sequence(lambda n: f"exercises/{n:032x}.jpg")
    width = 1600
    height = 1200


class MediaRenditionFactory(factory.django.DjangoModelFactory[MediaRendition]):
    media = factory.SubFactory(UploadedImageFactory)
    name = "thumbnail"
    file = factory.LazyAttribute(
        lambda o: f"exercises/renditions/{o.media.file.name}-{o.name}.webp"
    )
    width = 320
    height = 240

    class Meta:
        model = MediaRendition


class WorkoutSessionFactory(factory.django.DjangoModelFactory[WorkoutSession]):
    user = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    ended_at = factory.LazyAttribute(lambda o: o.started_at + timedelta(minutes=20))
    perceived_effort = 4

    class Meta:
        model = WorkoutSession

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # Like the services, take the owner's next change number in the same transaction.
        with transaction.atomic():
            kwargs.setdefault("change_seq", next_change_seq(user_scope(kwargs["user"].pk)))
            return super()._create(model_class, *args, **kwargs)


class SetLogFactory(factory.django.DjangoModelFactory[SetLog]):
    session = factory.SubFactory(WorkoutSessionFactory)
    position = factory.Sequence(lambda n: n)
    exercise = factory.SubFactory(ExerciseFactory)
    side = SetLog.Side.LEFT
    reps = 10
    hold_seconds = None
    pain = 0

    class Meta:
        model = SetLog


class IdempotencyRecordFactory(factory.django.DjangoModelFactory[IdempotencyRecord]):
    user = factory.SubFactory(UserFactory)
    key = factory.Sequence(lambda n: f"key-{n}")
    request_hash = "0" * 64
    status_code = 201
    response_body = factory.LazyFunction(dict)

    class Meta:
        model = IdempotencyRecord


class RoutineFactory(factory.django.DjangoModelFactory[Routine]):
    """A published curated routine; pass `owner` for a user's private one."""

    name = factory.Sequence(lambda n: f"Routine {n}")
    goal = "Looser hip flexors."
    owner = None
    published = factory.LazyAttribute(lambda o: o.owner is None)

    class Meta:
        model = Routine


class RoutineItemFactory(factory.django.DjangoModelFactory[RoutineItem]):
    routine = factory.SubFactory(RoutineFactory)
    position = factory.Sequence(lambda n: n + 1)
    exercise = factory.SubFactory(ExerciseFactory)
    sets = 1
    reps_per_side = None
    hold_seconds = 30
    rest_seconds = 0

    class Meta:
        model = RoutineItem


class AssignmentFactory(factory.django.DjangoModelFactory[Assignment]):
    """A program prescribed through `link` (a standing one by default), every day from
    today, with no items: add them with AssignmentItemFactory."""

    link = factory.SubFactory(CoachingLinkFactory)
    client = factory.LazyAttribute(lambda o: o.link.client)
    name = factory.Sequence(lambda n: f"Program {n}")
    start_date = factory.LazyFunction(lambda: timezone.localdate())

    class Meta:
        model = Assignment

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # A place in the client's change feed, as the services give one.
        with transaction.atomic():
            kwargs.setdefault("change_seq", next_change_seq(user_scope(kwargs["client"].pk)))
            return super()._create(model_class, *args, **kwargs)


class AssignmentItemFactory(factory.django.DjangoModelFactory[AssignmentItem]):
    assignment = factory.SubFactory(AssignmentFactory)
    position = factory.Sequence(lambda n: n + 1)
    exercise = factory.SubFactory(ExerciseFactory)
    sets = 1
    reps_per_side = 10
    hold_seconds = None

    class Meta:
        model = AssignmentItem


class EndpointFactory(factory.django.DjangoModelFactory[Endpoint]):
    """A webhook endpoint; give `url` a receiver's for deliveries that arrive."""

    user = factory.SubFactory(UserFactory)
    url = "https://hooks.example.com/hipflex"
    events = factory.LazyFunction(lambda: ["session.created"])
    secret = factory.LazyFunction(new_secret)

    class Meta:
        model = Endpoint


class WebhookEventFactory(factory.django.DjangoModelFactory[Event]):
    user = factory.SubFactory(UserFactory)
    type = "session.created"
    data = factory.LazyFunction(dict)

    class Meta:
        model = Event


class DeliveryFactory(factory.django.DjangoModelFactory[Delivery]):
    """A delivery of an event of the endpoint's owner, delivered at the first try."""

    endpoint = factory.SubFactory(EndpointFactory)
    event = factory.SubFactory(WebhookEventFactory, user=factory.SelfAttribute("..endpoint.user"))
    status = "delivered"
    attempts = 1
    last_status_code = 200

    class Meta:
        model = Delivery
