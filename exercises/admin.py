import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adminsortable2.admin import (
    CustomInlineFormSet,
    SortableAdminBase,
    SortableStackedInline,
    SortableTabularInline,
)
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.models import AnonymousUser
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Field, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from import_export.admin import ImportExportMixin
from import_export.formats.base_formats import CSV, XLSX
from reversion.admin import VersionAdmin
from reversion.models import Version
from reversion_compare.admin import CompareVersionAdmin

from . import history, images, services
from .models import (
    ITEM_DOSE_FIELDS,
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
    Muscle,
    Routine,
    RoutineItem,
)
from .serializers import ExerciseSerializer
from .spreadsheet import ExerciseResource


class OrderedForm(forms.ModelForm):
    def _get_validation_exclusions(self) -> set[str]:
        # Rows trade places as the list is saved (OrderedFormSet), so one row's new position
        # may be another's old one for a moment: the list is checked as a whole instead.
        return {*super()._get_validation_exclusions(), "position"}  # type: ignore[misc]


class OrderedFormSet(CustomInlineFormSet):
    """Saves the order the trainer dragged the rows into as positions 1, 2, 3… Numbers sent
    twice (no browser sends them) are taken in the order of the rows on the page."""

    def save(self, commit: bool = True) -> list[Any]:
        kept = [
            form
            for form in self.forms
            if (form.instance.pk or form.has_changed()) and form not in self.deleted_forms
        ]
        kept.sort(key=lambda form: form.cleaned_data.get("position") or len(self.forms) + 1)
        for place, form in enumerate(kept, start=1):
            form.instance.position = place
        rows = self.model._default_manager.filter(**{self.fk.name: self.instance})
        services.make_room(rows)
        saved = super().save(commit)
        # The formset saves only the rows the trainer changed; the others take their places.
        written = {obj.pk for obj in saved}
        untouched = [form.instance for form in kept if form.instance.pk not in written]
        self.model._default_manager.bulk_update(untouched, ["position"])
        services.close_gaps(rows)  # Rows another trainer added meanwhile go last.
        return saved


class OrderedInline(SortableTabularInline):
    """Rows a trainer drags into order; the app shows them in that order."""

    form = OrderedForm
    formset = OrderedFormSet
    extra = 0


class OrderedTextInline(OrderedInline):
    fields = ["text"]
    # A step is a sentence or two: a box that shows it whole.
    formfield_overrides = {
        models.CharField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 70})}
    }


class StepInline(OrderedTextInline):
    model = ExerciseStep


class CueInline(OrderedTextInline):
    model = ExerciseCue


class CautionInline(OrderedTextInline):
    model = ExerciseCaution


class SetupNoteInline(OrderedTextInline):
    model = ExerciseSetupNote


class SharedRowInline(admin.TabularInline):
    """Rows that point at a shared record (a muscle, a piece of equipment): the icons beside it
    would change or delete that record for every exercise, not this row, so there are none.
    The row's own delete box removes the row."""

    extra = 0

    def formfield_for_dbfield(self, db_field: Field, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and hasattr(field.widget, "can_delete_related"):
            field.widget.can_delete_related = field.widget.can_change_related = False
        return field


class MuscleInline(SharedRowInline):
    model = ExerciseMuscle
    autocomplete_fields = ["muscle"]


class EquipmentInline(SharedRowInline):
    model = ExerciseEquipment
    autocomplete_fields = ["equipment"]


class ProgressionFormSet(BaseInlineFormSet):
    """Refuses a link from an exercise to itself, or to an option it has the other way round,
    with a form error rather than a database error."""

    def clean(self) -> None:
        super().clean()
        other = "harder" if self.fk.name == "milder" else "milder"
        # Options already saved on the opposite side, which the API refuses to mix as well.
        opposite = set(
            ExerciseProgression.objects.filter(**{other: self.instance.pk}).values_list(
                self.fk.name, flat=True
            )
            if self.instance.pk
            else []
        )
        for form in self.forms:
            if form.cleaned_data.get("DELETE"):
                continue
            option = form.cleaned_data.get(other)
            if option is not None and option.pk == self.instance.pk:
                form.add_error(other, "An exercise cannot be an option of itself.")
            elif option is not None and option.pk in opposite:
                form.add_error(other, "This exercise is already an option the other way round.")


class HarderOptionInline(admin.TabularInline):
    model = ExerciseProgression
    formset = ProgressionFormSet
    fk_name = "milder"
    fields = ["harder"]
    autocomplete_fields = ["harder"]
    verbose_name = "harder option"
    verbose_name_plural = "harder options (for when this gets easy)"
    extra = 0


class MilderOptionInline(admin.TabularInline):
    model = ExerciseProgression
    formset = ProgressionFormSet
    fk_name = "harder"
    fields = ["milder"]
    autocomplete_fields = ["milder"]
    verbose_name = "milder option"
    verbose_name_plural = "milder options (for when this hurts)"
    extra = 0


class AliasInline(admin.TabularInline):
    model = ExerciseAlias
    extra = 0


def _https_links(db_field: Field, **kwargs: Any) -> Any:
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class MediaForm(OrderedForm):
    """An uploaded image is checked and cleaned as the API's upload does (exercises.images);
    its renditions are asked for when the exercise is saved (ExerciseAdmin.save_formset)."""

    class Meta:
        model = ExerciseMedia
        fields = ["kind", "file", "url", "caption", "licence", "attribution"]
        # A link typed without a scheme is taken as https (Django 6's default, asked for now);
        # the admin builds its own form from this one with MediaInline.formfield_overrides.
        formfield_callback = _https_links

    def clean_file(self) -> Any:
        upload = self.cleaned_data.get("file")
        if not isinstance(upload, UploadedFile):  # Unchanged, cleared, or none.
            return upload
        try:
            picture = images.cleaned(upload, upload.size or 0)
        except images.InvalidImage as exc:
            raise forms.ValidationError(exc.message) from None
        self.instance.width, self.instance.height = picture.width, picture.height
        return ContentFile(picture.content, name=f"{uuid.uuid4().hex}.{picture.extension}")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        has_file, has_url = bool(data.get("file")), bool(data.get("url"))
        if has_file == has_url and not self.cleaned_data.get("DELETE"):
            raise forms.ValidationError("Upload an image or give a link to a file, not both.")
        if has_file and data.get("kind") != ExerciseMedia.Kind.IMAGE:
            self.add_error("kind", "An uploaded file is an image.")
        if data.get("kind") == ExerciseMedia.Kind.IMAGE and not data.get("attribution"):
            self.add_error("attribution", "Say whom to credit for the image.")
        if not has_file:
            self.instance.width = self.instance.height = None
        return data


class MediaInline(SortableStackedInline):
    model = ExerciseMedia
    form = MediaForm
    formset = OrderedFormSet
    fields = [
        "kind",
        ("file", "preview"),
        "url",
        "caption",
        ("licence", "attribution"),
    ]
    readonly_fields = ["preview"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    extra = 0

    @admin.display(description="Preview")
    def preview(self, media: ExerciseMedia) -> str:
        return thumbnail(media) or "—"


def thumbnail(media: ExerciseMedia | None) -> str:
    """A small picture of an uploaded image (its thumbnail once made), for the admin."""
    if media is None or not media.file:
        return ""
    made = {r.name: r for r in media.renditions.all()}
    shown = made["thumbnail"].file if "thumbnail" in made else media.file
    return format_html('<img src="{}" alt="" style="max-height: 80px">', shown.url)


# What a revert writes back: the catalog's tables, whose foreign keys it checks.
_CATALOG_TABLES = [m._meta.db_table for m in apps.get_app_config("exercises").get_models()]


class HistoryAdmin(CompareVersionAdmin):
    """Each item's history (exercises.history): who changed what and when, two versions side
    by side, revert to one, and recover a deleted item."""

    history_latest_first = True
    ordered_lists: tuple[str, ...] = ()  # Its lists numbered 1, 2, 3…

    @contextmanager
    def create_revision(self, request: HttpRequest) -> Iterator[None]:
        # Versions are taken once the write is done (save_related), not row by row.
        with history.revision(request.user):
            yield

    def state_before_revert(self, current: Any) -> Any:
        """What a save of a revert needs to know of the item as it was before it."""
        return None

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # Without django-reversion's revision around the whole list: each item its actions
        # change is kept in a revision of its own (history.record), so that reverting one
        # brings back only that one.
        context = {"has_change_permission": self.has_change_permission(request)}
        return super(VersionAdmin, self).changelist_view(
            request, {**context, **(extra_context or {})}
        )

    def _reversion_revisionform_view(
        self, request: HttpRequest, version: Version, template_name: Any, extra_context: Any = None
    ) -> HttpResponse:
        # django-reversion writes the old version's rows back one by one, and rows trading
        # places would meet on a position (unique in its list): they are moved out of the way
        # first, and numbered 1, 2, 3… again if the revert did not keep them.
        try:
            return self._revert_in_order(request, version, template_name, extra_context)
        except IntegrityError:
            # A row of the old version names what has been deleted since (a muscle, an
            # exercise): the whole revert is undone, and the trainer told so.
            self.message_user(
                request,
                "That version cannot be brought back: it names a muscle, a piece of equipment "
                "or an exercise that has been deleted since.",
                messages.ERROR,
            )
            opts = self.opts
            if self.model._default_manager.filter(pk=version.object_id).exists():
                url = reverse(
                    f"admin:{opts.app_label}_{opts.model_name}_history", args=[version.object_id]
                )
            else:
                url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            return HttpResponseRedirect(url)

    def _revert_in_order(
        self, request: HttpRequest, version: Version, template_name: Any, extra_context: Any
    ) -> HttpResponse:
        with transaction.atomic():
            current = self.model._default_manager.filter(pk=version.object_id).first()
            # The form shows the old version, so what is saved now is read before it is
            # written back (the publish rule weighs the change from this state).
            request.before_revert = self.state_before_revert(current)  # type: ignore[attr-defined]
            lists = [getattr(current, name).all() for name in self.ordered_lists if current]
            for rows in lists:
                services.make_room(rows)
            response = super()._reversion_revisionform_view(
                request, version, template_name, extra_context
            )
            if request.method != "POST":
                transaction.set_rollback(True)  # It only showed the old version.
                return response
            for rows in lists:
                services.close_gaps(rows)
            # Rows naming what is gone fail here, not at the commit after this view answered.
            connection.check_constraints(table_names=_CATALOG_TABLES)
        return response


class PublishActions:
    """Publish and unpublish from the list, for exercises and curated routines alike."""

    @admin.action(description="Publish the selected items", permissions=["change"])
    def publish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_published(request, queryset, published=True)

    @admin.action(description="Unpublish the selected items", permissions=["change"])
    def unpublish(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._set_published(request, queryset, published=False)

    def publish_problem(self, obj: Any) -> str | None:
        """Why `obj` cannot be published yet, in words for a trainer; None when it can."""
        return None

    def unpublish_problem(self, obj: Any) -> str | None:
        """Why `obj` cannot be unpublished yet; None when it can."""
        return None

    def _set_published(
        self, request: HttpRequest, queryset: QuerySet[Any], *, published: bool
    ) -> None:
        state = "published" if published else "unpublished"
        already = queryset.filter(published=published).count()
        changed = 0
        # Saved one by one, not with update(), so that updated_at moves, and for an exercise
        # the change feed too.
        for obj in queryset.exclude(published=published):
            check = self.publish_problem if published else self.unpublish_problem
            if problem := check(obj):
                self.message_user(  # type: ignore[attr-defined]
                    request, f"“{obj}” was not {state}: {problem}.", messages.WARNING
                )
                continue
            obj.published = published
            obj.save(update_fields=["published", "updated_at"])
            history.record(obj, user=request.user, comment=f"{state.capitalize()} from the list.")
            changed += 1
        note = f"; {already} already were" if already else ""
        self.message_user(request, f"{changed} {state}{note}.", messages.SUCCESS)  # type: ignore[attr-defined]


@admin.register(Exercise)
class ExerciseAdmin(SortableAdminBase, PublishActions, ImportExportMixin, HistoryAdmin):
    actions = ["publish", "unpublish"]
    # The spreadsheet round trip (exercises.spreadsheet): the list's Export and Import.
    resource_classes = [ExerciseResource]
    formats = [CSV, XLSX]
    ordered_lists = ("steps", "cues", "cautions", "setup_notes")
    # What fits beside the filters on a 1366-pixel screen (tests/browser/test_layout.py);
    # "one side at a time" stays a filter.
    list_display = ["picture", "name", "kind", "difficulty", "published", "updated_at"]
    list_display_links = ["picture", "name"]
    list_filter = ["kind", "difficulty", "published", "unilateral", "muscles", "equipment"]
    search_fields = ["name", "slug", "summary", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["ready", "created_at", "updated_at"]
    date_hierarchy = "updated_at"
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "summary", "difficulty", "unilateral"]}),
        (
            "Default prescription",
            {
                "fields": [("sets", "reps_per_side", "hold_seconds"), "prescription_note"],
                "description": "Leave a number empty when the exercise does not use it.",
            },
        ),
        ("Publishing", {"fields": ["published", "ready", "created_at", "updated_at"]}),
    ]
    inlines = [
        StepInline,
        CueInline,
        CautionInline,
        SetupNoteInline,
        MuscleInline,
        EquipmentInline,
        MilderOptionInline,
        HarderOptionInline,
        AliasInline,
        MediaInline,
    ]

    def publish_problem(self, obj: Exercise) -> str | None:
        return "; ".join(services.publish_problems(obj)) or None

    def state_before_revert(self, current: Exercise | None) -> tuple[bool, list[str] | None]:
        if current is None or not current.published:  # Recovered, or a draft until now.
            return False, None
        return True, services.publish_problems(current)

    @admin.display(description="What publishing needs")
    def ready(self, obj: Exercise) -> str:
        if obj.pk is None:
            return "Save it first; this then says what it still lacks."
        problem = self.publish_problem(obj)
        return f"Before it can be published: {problem}." if problem else "Nothing: it is ready."

    def unpublish_problem(self, obj: Exercise) -> str | None:
        return "; ".join(services.unpublish_problems(obj)) or None

    def save_model(self, request: HttpRequest, obj: Exercise, form: Any, change: bool) -> None:
        # Published only once its inlines are saved and the rule has read them (save_related):
        # until then a draft, so that it never counts as published, even inside this save.
        if (reverting := getattr(request, "before_revert", None)) is not None:
            was_published, obj.problems_before = reverting  # type: ignore[attr-defined]
        else:
            was_published = bool(change and form.initial.get("published"))
            saved = Exercise.objects.get(pk=obj.pk) if was_published else None
            obj.problems_before = services.publish_problems(saved) if saved else None  # type: ignore[attr-defined]
        obj.publish_after_save = obj.published and not was_published  # type: ignore[attr-defined]
        if obj.publish_after_save:  # type: ignore[attr-defined]
            obj.published = False
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        exercise = form.instance
        stored = exercise.published  # As save_model wrote it.
        wanted = exercise.publish_after_save or exercise.published
        try:
            exercise.published = wanted
            services.check_publishing(exercise, before=exercise.problems_before)
        except services.NotPublishable as refusal:
            # The rest is saved; only its being published (or not) is what it was.
            exercise.published = not wanted
            self.message_user(request, f"“{exercise}”: {refusal.message}", messages.WARNING)
        if exercise.published != stored:
            exercise.save(update_fields=["published", "updated_at"])
        history.record(exercise, user=request.user, comment="Changed in the admin.")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Exercise]:
        # The changelist's pictures: one query for every row's media and renditions.
        return super().get_queryset(request).prefetch_related("media__renditions")

    def get_resource_kwargs(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        # Who imports: named in each version the import keeps.
        return {**kwargs, "user": request.user}

    def get_export_queryset(self, request: HttpRequest) -> Any:
        # Every option, drafts too, so that the sheet imported back keeps them all.
        return super().get_export_queryset(request).with_details(request.user)

    def get_urls(self) -> list[Any]:
        preview = path(
            "<path:object_id>/preview/",
            self.admin_site.admin_view(self.preview_view),
            name="exercises_exercise_preview",
        )
        return [preview, *super().get_urls()]

    def view_on_site(self, obj: Exercise) -> str:
        # The change form's "View on site" opens the preview (its template names it so).
        return reverse("admin:exercises_exercise_preview", args=[obj.pk])

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The exercise as the app shows it: what the detail endpoint serves, drafts too."""
        # Its options as phones get them: the published ones only.
        queryset = self.get_queryset(request).with_details(AnonymousUser())  # type: ignore[attr-defined]
        object_id = unquote(object_id)
        exercise = queryset.filter(pk=object_id).first() if object_id.isdecimal() else None
        if exercise is None or not self.has_view_permission(request, exercise):
            raise Http404("No such exercise.")
        served = ExerciseSerializer(exercise, context={"request": request}).data
        images = [m for m in served["media"] if m["kind"] == ExerciseMedia.Kind.IMAGE]
        # The first image, at the size a phone gets (its rendition, once made).
        picture = next(({**m, "src": _rendition(m, "phone")} for m in images), None)
        context = {
            **self.admin_site.each_context(request),
            "title": f"{exercise.name}, as the app shows it",
            "opts": self.opts,
            "original": exercise,
            "exercise": served,
            "picture": picture,
            "problems": [] if exercise.published else services.publish_problems(exercise),
        }
        return TemplateResponse(request, "admin/exercises/exercise/preview.html", context)

    @admin.display(description="Image")
    def picture(self, exercise: Exercise) -> str:
        return thumbnail(next((m for m in exercise.media.all() if m.file), None))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is ExerciseMedia:
            for media_form in formset.forms:
                media = media_form.instance
                if "file" in media_form.changed_data and media.pk:
                    # Those of the image it replaced go now, files and all.
                    media.renditions.all().delete()
                    if media.file:
                        services.renditions_after_commit(media)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Apps and workout logs refer to an exercise by its slug, so it is fixed once saved.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "slug"] if obj is not None else fields

    def get_prepopulated_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)


@admin.register(Muscle)
class MuscleAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "attaches_lumbar_spine", "crosses_knee"]
    list_filter = ["group", "attaches_lumbar_spine", "crosses_knee"]
    search_fields = ["name", "slug", "group"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


class RoutineItemInline(OrderedInline):
    model = RoutineItem
    fields = ["exercise", *ITEM_DOSE_FIELDS]
    autocomplete_fields = ["exercise"]


@admin.register(Routine)
class RoutineAdmin(SortableAdminBase, PublishActions, HistoryAdmin):
    """Curated routines only: what users write for themselves stays private."""

    actions = ["publish", "unpublish"]
    ordered_lists = ("items",)
    list_display = ["name", "goal", "published", "updated_at"]
    list_filter = ["published"]
    search_fields = ["name", "goal", "description"]
    readonly_fields = ["preview", "created_at", "updated_at"]
    fields = [
        "name",
        "goal",
        "description",
        "program_weeks",
        "published",
        "preview",
        "created_at",
        "updated_at",
    ]
    inlines = [RoutineItemInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Routine]:
        return super().get_queryset(request).filter(owner__isnull=True)

    def publish_problem(self, obj: Routine) -> str | None:
        items = list(obj.items.select_related("exercise"))
        if not items:
            return "it has no exercises yet"
        drafts = [item.exercise.name for item in items if not item.exercise.published]
        if drafts:
            return f"publish these exercises first: {', '.join(drafts)}"
        return None

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        # The items are saved only now, so only now can the routine be checked.
        super().save_related(request, form, formsets, change)
        routine = form.instance
        if routine.published and (problem := self.publish_problem(routine)):
            routine.published = False
            routine.save(update_fields=["published", "updated_at"])
            self.message_user(
                request, f"“{routine}” was saved but not published: {problem}.", messages.WARNING
            )
        history.record(routine, user=request.user, comment="Changed in the admin.")

    @admin.display(description="As the app shows it")
    def preview(self, routine: Routine) -> str:
        if routine.pk is None:
            return "Save the routine to see it as the app shows it."
        items = list(routine.items.select_related("exercise"))
        minutes = services.routine_estimated_minutes(items)
        rows = format_html_join(
            "",
            "<li><strong>{}</strong>: {}</li>",
            (
                (
                    item.exercise.name
                    + ("" if item.exercise.published else " (not published: apps leave it out)"),
                    _dose(item),
                )
                for item in items
            ),
        )
        return format_html(
            "<p><strong>{}</strong>, about {} min</p><p>{}</p><ol>{}</ol>",
            routine.name,
            minutes,
            routine.goal,
            rows,
        )


def _rendition(media: dict[str, Any], name: str) -> str:
    """The URL of a served media item's rendition `name`, or of the item while it has none."""
    return next((r["url"] for r in media["renditions"] if r["name"] == name), media["url"])


def _dose(item: RoutineItem) -> str:
    per = " per side" if item.exercise.unilateral else ""
    parts = [f"{item.sets} set{'s' if item.sets != 1 else ''}"]
    if item.reps_per_side:
        parts.append(f"{item.reps_per_side} reps{per}")
    if item.hold_seconds:
        parts.append(f"hold {item.hold_seconds} s{per if not item.reps_per_side else ''}")
    if item.rest_seconds:
        parts.append(f"rest {item.rest_seconds} s")
    return ", ".join(parts)
