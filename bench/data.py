"""The benchmark's data, made with the test factories and written with bulk_create.

bulk_create skips Exercise.save() and the session services, so the change numbers they would
hand out are assigned here in bulk, and each scope's ChangeCounter is set to the last one.
Runs inside the benchmark's own Django process, against its throwaway database.
"""

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from exercises import limits
from exercises.models import Equipment, Exercise, Muscle
from hipflex_api.accounts.models import CoachingLink, User
from hipflex_api.changes.counters import catalog_scope, next_change_seq, user_scope
from hipflex_api.changes.models import ChangeCounter
from sessions.models import Assignment, AssignmentItem, SetLog, WorkoutSession
from tests.factories import (
    EndpointFactory,
    EquipmentFactory,
    ExerciseAliasFactory,
    ExerciseCautionFactory,
    ExerciseCueFactory,
    ExerciseEquipmentFactory,
    ExerciseFactory,
    ExerciseMuscleFactory,
    ExerciseProgressionFactory,
    ExerciseSetupNoteFactory,
    ExerciseStepFactory,
    MediaRenditionFactory,
    MuscleFactory,
    SetLogFactory,
    UploadedImageFactory,
    UserFactory,
    WorkoutSessionFactory,
)

BATCH = 2000
SETS_PER_SESSION = 6
# The share of a history that was deleted on a phone and left as tombstones.
TOMBSTONE_EVERY = 100
KINDS = [Exercise.Kind.STRETCH, Exercise.Kind.STRENGTHEN, Exercise.Kind.MOBILITY]


@dataclass(frozen=True)
class BenchUser:
    email: str
    sessions: int
    # Spacing of the history, newest first from an hour ago.
    every: timedelta


def _bulk(model: Any, objects: list[Any]) -> list[Any]:
    return model.objects.bulk_create(objects, batch_size=BATCH)


def grow_catalog(total: int, rng: random.Random) -> int:
    """Add exercises, each with its steps, cues, muscles and the rest, up to `total`."""
    if not Muscle.objects.exists():
        for n in range(24):
            MuscleFactory(group=["Hip flexors", "Glutes", "Hamstrings", "Core"][n % 4])
        for _ in range(10):
            EquipmentFactory()
    muscles = list(Muscle.objects.all())
    equipment = list(Equipment.objects.all())
    start = Exercise.objects.count()
    if start >= total:
        return start
    now = timezone.now()
    with transaction.atomic():
        counter, _ = ChangeCounter.objects.get_or_create(scope=catalog_scope())
        exercises = []
        for index in range(start, total):
            unilateral = index % 2 == 0
            exercises.append(
                ExerciseFactory.build(
                    name=f"Bench exercise {index:05d}",
                    slug=f"bench-exercise-{index:05d}",
                    kind=KINDS[index % 3],
                    summary="Opens the front of the hip: half-kneeling, tuck the pelvis and "
                    "shift forward until the stretch is felt.",
                    difficulty=1 + index % 3,
                    unilateral=unilateral,
                    sets=2 + index % 2,
                    reps_per_side=None if index % 3 == 0 else 10,
                    hold_seconds=30 if index % 3 == 0 else None,
                    prescription_note="Stop two reps before your form slips.",
                    # One draft in a hundred, as a trainer's work in progress.
                    published=index % 100 != 99,
                    first_published_at=None if index % 100 == 99 else now,
                    change_seq=counter.value + 1 + index - start,
                )
            )
        exercises = _bulk(Exercise, exercises)
        counter.value += len(exercises)
        counter.save()

        texts: dict[Any, list[Any]] = {
            ExerciseStepFactory: [],
            ExerciseCueFactory: [],
            ExerciseCautionFactory: [],
            ExerciseSetupNoteFactory: [],
        }
        per_kind = {
            ExerciseStepFactory: 4,
            ExerciseCueFactory: 2,
            ExerciseCautionFactory: 2,
            ExerciseSetupNoteFactory: 1,
        }
        aliases, media, muscle_links, equipment_links, progressions = [], [], [], [], []
        for offset, exercise in enumerate(exercises):
            index = start + offset
            for factory, count in per_kind.items():
                texts[factory].extend(
                    factory.build(
                        exercise=exercise,
                        position=position + 1,
                        text=f"{factory._meta.model._meta.verbose_name.capitalize()} "
                        f"{position + 1}: keep the ribs down and breathe out slowly.",
                    )
                    for position in range(count)
                )
            aliases.append(ExerciseAliasFactory.build(exercise=exercise, name=f"Alias {index}"))
            # Two uploaded images each, as a trainer's exercise has them (issue 13's target).
            media.extend(UploadedImageFactory.build(exercise=exercise, position=n) for n in (1, 2))
            for role, muscle in zip(
                ["primary", "secondary", "secondary"], rng.sample(muscles, 3), strict=True
            ):
                muscle_links.append(
                    ExerciseMuscleFactory.build(exercise=exercise, muscle=muscle, role=role)
                )
            if index % 2:
                equipment_links.append(
                    ExerciseEquipmentFactory.build(
                        exercise=exercise, equipment=rng.choice(equipment)
                    )
                )
            # Families of three, each the harder option of the one before.
            if index % 3 and offset:
                progressions.append(
                    ExerciseProgressionFactory.build(milder=exercises[offset - 1], harder=exercise)
                )
        for factory, rows in texts.items():
            _bulk(factory._meta.model, rows)
        _bulk(ExerciseAliasFactory._meta.model, aliases)
        media = _bulk(UploadedImageFactory._meta.model, media)
        _bulk(
            MediaRenditionFactory._meta.model,
            [
                MediaRenditionFactory.build(media=item, name=name, width=size, height=size * 3 // 4)
                for item in media
                for name, size in limits.RENDITIONS.items()
            ],
        )
        _bulk(ExerciseMuscleFactory._meta.model, muscle_links)
        _bulk(ExerciseEquipmentFactory._meta.model, equipment_links)
        _bulk(ExerciseProgressionFactory._meta.model, progressions)
    return Exercise.objects.count()


def add_user(spec: BenchUser, password: str, rng: random.Random) -> User:
    """A user with `spec.sessions` sessions of SETS_PER_SESSION sets each, oldest first in
    the change feed, some of them tombstones."""
    user = UserFactory(email=spec.email, password=password, time_zone="Europe/Berlin")
    # A dozen exercises in rotation, as someone following a few routines would log.
    pool = list(Exercise.objects.filter(published=True).order_by("?").only("id", "unilateral")[:12])
    newest = timezone.now() - timedelta(hours=1)
    with transaction.atomic():
        for first in range(0, spec.sessions, BATCH):
            sessions, sets = [], []
            for n in range(first, min(first + BATCH, spec.sessions)):
                started = newest - spec.every * (spec.sessions - 1 - n)
                deleted = n % TOMBSTONE_EVERY == TOMBSTONE_EVERY - 1
                session = WorkoutSessionFactory.build(
                    user=user,
                    started_at=started,
                    ended_at=started + timedelta(minutes=25),
                    perceived_effort=None if deleted else rng.randint(2, 7),
                    notes="" if deleted or n % 5 else "Felt tight on the left today.",
                    change_seq=n + 1,
                    deleted_at=started + timedelta(days=1) if deleted else None,
                )
                sessions.append(session)
                if deleted:
                    continue
                for position in range(SETS_PER_SESSION):
                    exercise = pool[(n + position // 2) % len(pool)]
                    sides = ["left", "right"] if exercise.unilateral else ["both"]
                    holds = position % 3 == 2
                    sets.append(
                        SetLogFactory.build(
                            session=session,
                            exercise=exercise,
                            position=position + 1,
                            side=sides[position % len(sides)],
                            reps=None if holds else rng.randint(8, 12),
                            hold_seconds=rng.randint(20, 45) if holds else None,
                            pain=rng.choice([0, 0, 0, 0, 1, 2, 3]),
                        )
                    )
            _bulk(WorkoutSession, sessions)
            _bulk(SetLog, sets)
        ChangeCounter.objects.update_or_create(
            scope=user_scope(user.pk), defaults={"value": spec.sessions}
        )
    return user


def add_webhook_endpoints(email: str, count: int) -> None:
    """`count` endpoints of the user, each subscribed to every session event."""
    user = User.objects.get(email=email)
    every = ["session.created", "session.updated", "session.deleted", "pain.reported"]
    for n in range(count):
        EndpointFactory(user=user, url=f"https://hooks{n}.bench.example.com/in", events=every)


def add_coached_clients(
    trainer_email: str, clients: int, sessions: int, password: str, rng: random.Random
) -> User:
    """A trainer with `clients` clients, each with `sessions` daily sessions (add_user's) and
    a program of four exercises due every day for the last four weeks, the recent sessions
    fulfilling it: what the client list, the review queue and a plan read."""
    trainer = UserFactory(email=trainer_email, password=password, is_staff=True)
    trainer.groups.add(Group.objects.get(name="Trainers"))
    local = ZoneInfo("Europe/Berlin")
    start = timezone.now().astimezone(local).date() - timedelta(days=27)
    name = trainer_email.split("@")[0]
    for n in range(clients):
        spec = BenchUser(f"{name}-client{n}@bench.example.com", sessions, timedelta(days=1))
        client = add_user(spec, password, rng)
        link = CoachingLink.objects.create(
            trainer=trainer, client=client, started_at=timezone.now() - timedelta(days=60)
        )
        with transaction.atomic():
            program = Assignment.objects.create(
                client=client,
                link=link,
                name="Hip program",
                start_date=start,
                change_seq=next_change_seq(user_scope(client.pk)),
            )
            logged = SetLog.objects.filter(session__user=client).values("exercise_id")
            for position, exercise_id in enumerate(
                Exercise.objects.filter(pk__in=logged).values_list("pk", flat=True)[:4], 1
            ):
                AssignmentItem.objects.create(
                    assignment=program, position=position, exercise_id=exercise_id, reps_per_side=10
                )
            # The sessions of the program's days fulfil it, on the client's local day.
            WorkoutSession.objects.filter(
                user=client, deleted_at__isnull=True, started_at__date__gte=start
            ).update(
                assignment=program,
                occurrence=1,
                occurrence_date=TruncDate("started_at", tzinfo=local),
            )
    return trainer


def analyze() -> None:
    """Fresh planner statistics, as autovacuum would gather shortly after a bulk load."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
