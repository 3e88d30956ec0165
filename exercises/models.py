from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, AnonymousUser
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

from hipflex_api.changes.counters import catalog_scope, next_change_seq

from . import limits


def sees_drafts(user: AbstractUser | AnonymousUser, permission: str) -> bool:
    """Trainers (staff with the permission) see unpublished content; nobody else does.

    Checking is_staff first spares every app user the two permission queries.
    """
    return bool(user.is_active and user.is_staff and user.has_perm(permission))


class Muscle(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    group = models.CharField(
        max_length=80, help_text="The muscle group a trainer would name, such as 'Hip flexors'."
    )
    description = models.TextField(blank=True)
    attaches_lumbar_spine = models.BooleanField(
        default=False, help_text="Attaches at the lumbar spine (low back)."
    )
    crosses_knee = models.BooleanField(
        default=False, help_text="Crosses the knee as well as the hip."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Equipment(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "equipment"

    def __str__(self) -> str:
        return self.name


class ExerciseQuerySet(models.QuerySet["Exercise"]):
    def visible_to(self, user: AbstractUser | AnonymousUser) -> "ExerciseQuerySet":
        """Published exercises for everyone; drafts too for trainers who may view them."""
        if sees_drafts(user, "exercises.view_exercise"):
            return self
        return self.filter(published=True)

    def with_details(self, user: AbstractUser | AnonymousUser) -> "ExerciseQuerySet":
        """Everything the detail answer serves, in one query per related list instead of one
        per exercise and list; milder and harder options only those `user` may see."""
        options = Exercise.objects.visible_to(user).only("slug", "name")
        return self.prefetch_related(
            "steps",
            "cues",
            "cautions",
            "setup_notes",
            "aliases",
            "media__renditions",
            models.Prefetch("muscle_links", ExerciseMuscle.objects.select_related("muscle")),
            models.Prefetch(
                "equipment_links", ExerciseEquipment.objects.select_related("equipment")
            ),
            models.Prefetch("milder_options", options),
            models.Prefetch("harder_options", options),
        )


class Exercise(models.Model):
    class Kind(models.TextChoices):
        STRENGTHEN = "strengthen", "Strengthen"
        STRETCH = "stretch", "Stretch"
        MOBILITY = "mobility", "Mobility"

    class Difficulty(models.IntegerChoices):
        BEGINNER = 1, "Beginner"
        INTERMEDIATE = 2, "Intermediate"
        ADVANCED = 3, "Advanced"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(
        max_length=120, unique=True, help_text="Apps and logs refer to the exercise by it."
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=300, help_text="What the exercise is for, in a sentence.")
    difficulty = models.PositiveSmallIntegerField(
        choices=Difficulty.choices, default=Difficulty.BEGINNER
    )
    unilateral = models.BooleanField(
        "one side at a time", default=False, help_text="Done one side (leg or arm) at a time."
    )
    sets = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Default sets.")
    reps_per_side = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Default repetitions (per side when one-sided)."
    )
    hold_seconds = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Default hold, in seconds."
    )
    prescription_note = models.CharField(
        max_length=300, blank=True, help_text="How to judge the load, in a sentence."
    )
    muscles: "models.ManyToManyField[Muscle, ExerciseMuscle]" = models.ManyToManyField(
        Muscle, through="ExerciseMuscle", related_name="exercises"
    )
    equipment: "models.ManyToManyField[Equipment, ExerciseEquipment]" = models.ManyToManyField(
        Equipment, through="ExerciseEquipment", related_name="exercises", blank=True
    )
    harder_options: "models.ManyToManyField[Exercise, ExerciseProgression]" = (
        models.ManyToManyField(
            "self",
            through="ExerciseProgression",
            through_fields=("milder", "harder"),
            symmetrical=False,
            related_name="milder_options",
            blank=True,
        )
    )
    published = models.BooleanField(default=False, help_text="Visible in the apps.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    first_published_at = models.DateTimeField(
        null=True, blank=True, editable=False, help_text="When apps could first see it."
    )
    change_seq = models.BigIntegerField(
        default=0, db_index=True, editable=False, help_text="Position in the catalog's change feed."
    )

    objects = ExerciseQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind__in=["strengthen", "stretch", "mobility"]),
                name="exercise_kind_valid",
            ),
            models.CheckConstraint(
                condition=Q(difficulty__gte=1, difficulty__lte=3), name="exercise_difficulty_valid"
            ),
            limits.SETS.constraint("sets", name="exercise_sets_range", nullable=True),
            limits.REPS_PER_SIDE.constraint(
                "reps_per_side", name="exercise_reps_range", nullable=True
            ),
            limits.HOLD_SECONDS.constraint(
                "hold_seconds", name="exercise_hold_range", nullable=True
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Every save, from the API or the admin, takes the catalog's next change number, so
        # the sync feed hands the change to every app; see hipflex_api.changes.
        with transaction.atomic():
            self.change_seq = next_change_seq(catalog_scope())
            if self.published and self.first_published_at is None:
                self.first_published_at = timezone.now()
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {
                    *kwargs["update_fields"],
                    "change_seq",
                    "first_published_at",
                }
            super().save(*args, **kwargs)


class ExerciseMuscle(models.Model):
    class Role(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="muscle_links")
    muscle = models.ForeignKey(Muscle, on_delete=models.PROTECT, related_name="exercise_links")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.PRIMARY)

    class Meta:
        ordering = ["role", "muscle__name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["exercise", "muscle"], name="exercise_muscle_unique"),
            models.CheckConstraint(
                condition=Q(role__in=["primary", "secondary"]), name="exercise_muscle_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.muscle} ({self.get_role_display().lower()})"


class ExerciseEquipment(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="equipment_links")
    equipment = models.ForeignKey(
        Equipment, on_delete=models.PROTECT, related_name="exercise_links"
    )
    optional = models.BooleanField(default=False, help_text="Helps, but is not needed.")

    class Meta:
        ordering = ["optional", "equipment__name"]
        verbose_name_plural = "exercise equipment"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["exercise", "equipment"], name="exercise_equipment_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.equipment}{' (optional)' if self.optional else ''}"


class ExerciseProgression(models.Model):
    """`harder` is the harder option of `milder`, and `milder` the milder option of `harder`."""

    milder = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="harder_links")
    harder = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="milder_links")

    class Meta:
        ordering = ["milder__name", "harder__name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["milder", "harder"], name="exercise_progression_unique"
            ),
            models.CheckConstraint(
                condition=~Q(milder=F("harder")), name="exercise_progression_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milder} → {self.harder}"


def position_field() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(help_text="Its place in the list: 1, 2, 3…")


def position_constraints(parent: str, name: str) -> list[models.BaseConstraint]:
    """A list's positions are 1, 2, 3… with no number twice; services.close_gaps keeps them
    without gaps, which no constraint can say."""
    return [
        models.UniqueConstraint(fields=[parent, "position"], name=f"{name}_position_unique"),
        models.CheckConstraint(condition=Q(position__gte=1), name=f"{name}_position_from_1"),
    ]


class ExerciseText(models.Model):
    """One line of an exercise's ordered text: a step, a cue, a caution or a set-up note."""

    position = position_field()
    text = models.CharField(max_length=300)

    class Meta:
        abstract = True
        ordering = ["position"]
        constraints: ClassVar = position_constraints("exercise", "%(class)s")

    def __str__(self) -> str:
        return self.text


class ExerciseStep(ExerciseText):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="steps")


class ExerciseCue(ExerciseText):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="cues")

    class Meta(ExerciseText.Meta):
        verbose_name = "coaching cue"


class ExerciseCaution(ExerciseText):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="cautions")

    class Meta(ExerciseText.Meta):
        verbose_name = "safety caution"


class ExerciseSetupNote(ExerciseText):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="setup_notes")

    class Meta(ExerciseText.Meta):
        verbose_name = "set-up note"


class ExerciseAlias(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "aliases"
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["exercise", "name"], name="exercise_alias_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class ExerciseMedia(models.Model):
    """A picture or a video of an exercise: a file uploaded here (an image, kept in
    settings.STORAGES["default"], with renditions made in the background), or a link to one
    kept elsewhere. Either way it says under which licence it is shown and whom to credit."""

    class Kind(models.TextChoices):
        IMAGE = "image", "Image"
        VIDEO = "video", "Video"

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="media")
    position = position_field()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.URLField(
        max_length=500, blank=True, help_text="Where the file is, when it is not uploaded here."
    )
    file = models.ImageField(
        upload_to="exercises/",
        max_length=300,
        blank=True,
        help_text="A JPEG, PNG or WebP image; its location data and other metadata are removed.",
    )
    # The uploaded image's size in pixels (after it was turned upright); none for a link.
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    caption = models.CharField(max_length=300, blank=True)
    licence = models.CharField(
        max_length=120, help_text="The licence the file is used under, such as 'CC BY 4.0'."
    )
    attribution = models.CharField(
        max_length=300,
        blank=True,
        help_text="Who to credit, as the licence asks; required for an image.",
    )

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "media"
        constraints: ClassVar = [
            *position_constraints("exercise", "exercise_media"),
            models.CheckConstraint(
                condition=Q(kind__in=["image", "video"]), name="exercise_media_kind_valid"
            ),
            # Uploaded or linked, never both and never neither.
            models.CheckConstraint(
                condition=(Q(url="") & ~Q(file="")) | (~Q(url="") & Q(file="")),
                name="exercise_media_url_or_file",
            ),
            models.CheckConstraint(
                condition=Q(file="") | Q(kind="image"), name="exercise_media_file_is_image"
            ),
            models.CheckConstraint(condition=~Q(licence=""), name="exercise_media_licence"),
            models.CheckConstraint(
                condition=~Q(kind="image") | ~Q(attribution=""),
                name="exercise_media_image_attribution",
            ),
        ]

    def __str__(self) -> str:
        return self.file.name or self.url


class MediaRendition(models.Model):
    """A smaller WebP copy of an uploaded image (limits.RENDITIONS), made in the background."""

    class Name(models.TextChoices):
        THUMBNAIL = "thumbnail", "Thumbnail"
        PHONE = "phone", "Phone"

    media = models.ForeignKey(ExerciseMedia, on_delete=models.CASCADE, related_name="renditions")
    name = models.CharField(max_length=20, choices=Name.choices)
    file = models.ImageField(upload_to="exercises/renditions/", max_length=300)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()

    class Meta:
        ordering = ["media", "name"]
        constraints: ClassVar = [
            # A job run twice for one image makes each rendition once.
            models.UniqueConstraint(fields=["media", "name"], name="media_rendition_unique"),
        ]

    def __str__(self) -> str:
        return self.file.name


class DeletedExercise(models.Model):
    """A published exercise that was deleted, kept so that sync can tell every app."""

    slug = models.SlugField(max_length=120)
    change_seq = models.BigIntegerField(db_index=True)
    deleted_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.slug


class SeedRecord(models.Model):
    """A seed item that was loaded once. It is never loaded again, so an item a trainer
    renamed or deleted stays that way."""

    key = models.CharField(max_length=200, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key


class RoutineQuerySet(models.QuerySet["Routine"]):
    def visible_to(self, user: AbstractUser | AnonymousUser) -> "RoutineQuerySet":
        """Published curated routines and the caller's own; trainers also see curated drafts.
        Another user's private routine is never visible, whoever asks."""
        curated = Q(owner__isnull=True)
        if not sees_drafts(user, "exercises.view_routine"):
            curated &= Q(published=True)
        if user.is_authenticated:
            return self.filter(curated | Q(owner=user))
        return self.filter(curated)


class Routine(models.Model):
    """An ordered plan of exercises: curated by trainers (no owner) or a user's own."""

    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    goal = models.CharField(max_length=200, blank=True, help_text="What it is for, in a phrase.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routines",
        help_text="Empty for a curated routine, which trainers write.",
    )
    published = models.BooleanField(
        default=False, help_text="A curated routine is visible to everyone once published."
    )
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    program_weeks = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="As a program a trainer prescribes: how many weeks it runs unless the trainer "
        "says otherwise. Empty: no end.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoutineQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes: ClassVar = [models.Index(fields=["owner", "name"], name="routine_owner_name_idx")]
        constraints: ClassVar = [
            limits.PROGRAM_WEEKS.constraint(
                "program_weeks", name="routine_program_weeks_range", nullable=True
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_curated(self) -> bool:
        return self.owner_id is None


class RoutineItemQuerySet(models.QuerySet["RoutineItem"]):
    def visible_to(self, user: AbstractUser | AnonymousUser) -> "RoutineItemQuerySet":
        """The items whose exercise the user can see: a draft exercise in a published routine
        stays the trainers' business, left out of what users see, copy and start."""
        if sees_drafts(user, "exercises.view_exercise"):
            return self
        return self.filter(exercise__published=True)


class Dose(models.Model):
    """What an item prescribes for its exercise: a routine's items carry it, and so do the
    copies of them a client's program keeps."""

    sets = models.PositiveSmallIntegerField(default=1)
    reps_per_side = models.PositiveSmallIntegerField(null=True, blank=True)
    hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    rest_seconds = models.PositiveSmallIntegerField(default=0)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        abstract = True


# The dose's fields: the admin, the API, a copy of the routine and a session started from it
# all carry these.
ITEM_DOSE_FIELDS = tuple(field.name for field in Dose._meta.fields)


def dose_constraints(prefix: str) -> list[models.BaseConstraint]:
    """The dose's limits, in the database as well, named after the table's `prefix`."""
    return [
        limits.SETS.constraint("sets", name=f"{prefix}_sets_range", nullable=False),
        limits.REPS_PER_SIDE.constraint(
            "reps_per_side", name=f"{prefix}_reps_range", nullable=True
        ),
        limits.HOLD_SECONDS.constraint("hold_seconds", name=f"{prefix}_hold_range", nullable=True),
        models.CheckConstraint(
            condition=Q(reps_per_side__isnull=False) | Q(hold_seconds__isnull=False),
            name=f"{prefix}_reps_or_hold",
            violation_error_message="Give reps per side, a hold time, or both.",
        ),
        limits.REST_SECONDS.constraint("rest_seconds", name=f"{prefix}_rest_range", nullable=False),
    ]


class RoutineItem(Dose):
    """One exercise of a routine, with the dose this routine prescribes for it."""

    routine = models.ForeignKey(Routine, on_delete=models.CASCADE, related_name="items")
    position = position_field()
    exercise = models.ForeignKey(Exercise, on_delete=models.PROTECT, related_name="routine_items")

    objects = RoutineItemQuerySet.as_manager()

    class Meta:
        ordering = ["position"]
        constraints: ClassVar = [
            *position_constraints("routine", "routine_item"),
            *dose_constraints("routine_item"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.exercise}"
