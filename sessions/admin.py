import calendar
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from exercises.models import ITEM_DOSE_FIELDS
from hipflex_api.accounts.models import CoachingLink, User
from hipflex_api.accounts.permissions import COACH_PERMISSION
from hipflex_api.domain_errors import ConflictError, DomainError

from . import review, services
from .adherence import Adherence
from .charts import adherence_chart, pain_chart
from .models import (
    ASSIGNMENT_FIELDS,
    SET_FIELDS,
    Assignment,
    AssignmentItem,
    MyClient,
    SetLog,
    WorkoutSession,
    weekdays_of,
)


class SuperuserReadOnly:
    """Users' logs are private: only superusers may look, to answer support questions, and
    nobody edits them here. Trainers, whatever their group, do not see them at all."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


_SET_COLUMNS = ("position", *SET_FIELDS)


class SetLogInline(SuperuserReadOnly, admin.TabularInline):
    model = SetLog
    fields = readonly_fields = _SET_COLUMNS
    extra = 0


@admin.register(WorkoutSession)
class WorkoutSessionAdmin(SuperuserReadOnly, admin.ModelAdmin):
    list_display = ["id", "user", "started_at", "ended_at", "perceived_effort", "deleted_at"]
    list_filter = ["started_at", "deleted_at"]
    list_select_related = ["user"]
    search_fields = ["id", "user__email"]
    date_hierarchy = "started_at"
    inlines = [SetLogInline]
    fields = [
        "id",
        "user",
        ("started_at", "ended_at"),
        "perceived_effort",
        "notes",
        ("routine", "routine_name"),
        ("version", "change_seq"),
        ("created_at", "updated_at", "deleted_at"),
    ]
    readonly_fields = [
        "id",
        "user",
        "started_at",
        "ended_at",
        "perceived_effort",
        "notes",
        "routine",
        "routine_name",
        "version",
        "change_seq",
        "created_at",
        "updated_at",
        "deleted_at",
    ]


# A trainer's own clients and their programs. Whose rows: each admin's get_queryset, the
# trainer's standing links as the API's coaching views take them; superusers too see only
# the clients they coach themselves.


def _coaches(request: HttpRequest) -> bool:
    return request.user.is_active and request.user.has_perm(COACH_PERMISSION)


def _trainer(request: HttpRequest) -> User:
    # The admin lets in signed-in staff only, and _coaches has let this one in.
    return cast(User, request.user)


class CoachesOnly:
    """For trainers (accounts.coach) and no one else; read-only unless a class says more.
    Nothing is added or deleted here: a program is prescribed, and a link ended, through the
    API, whose services do the rest (sync, the programs that end with a link)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _coaches(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _coaches(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CoachingAdmin(CoachesOnly, admin.ModelAdmin):
    actions = None
    empty_value_display = "—"

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        # Another trainer's client, or one no longer coached, is a 404 as in the API, not
        # the admin's redirect to its index.
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404("None of your clients has this.")
        return obj


def _day_names(program: Assignment) -> str:
    return ", ".join(calendar.day_abbr[day - 1] for day in program.days_of_week)


def _summary(link: CoachingLink) -> review.ClientSummary:
    return link.summary  # type: ignore[attr-defined]  # MyClientAdmin.get_changelist_instance


def _percent(adherence: Adherence) -> str | None:
    return None if adherence.rate is None else f"{round(adherence.rate * 100)}%"


def _pain(pain: int | None) -> str:
    return "—" if pain is None else str(pain)


@admin.register(MyClient)
class MyClientAdmin(CoachingAdmin):
    """The trainer's clients with their adherence, recent pain and open flags; each client's
    page adds the last eight weeks as charts, the proposed changes and their programs."""

    list_display = [
        "name",
        "email",
        "last_7_days",
        "last_28_days",
        "last_session",
        "worst_pain",
        "open_flags",
    ]
    search_fields = ["client__email", "client__display_name"]
    fields = readonly_fields = ("name", "email", "since")

    def get_queryset(self, request: HttpRequest) -> QuerySet[CoachingLink]:
        # The client and their latest session in the query of the links.
        return review.with_last_session(MyClient.objects.for_trainer(_trainer(request)))

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        changelist.title = "My clients"  # Not "Select my client to view".
        rows = list(changelist.result_list)  # Read once, and kept by the list for the page.
        # The page's summaries in one call: the same queries for 1 client as for 100.
        made = review.summaries(links=rows)
        for link in rows:
            link.summary = made[link.pk]
        return changelist

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        if obj is not None:
            detail = review.client_detail(link=obj)
            context.update(
                title=obj.client.get_full_name(),
                subtitle=obj.client.email,
                detail=detail,
                charts=[adherence_chart(detail.adherence_by_week), pain_chart(detail.pain_by_week)],
                programs=[(p, _day_names(p)) for p in Assignment.objects.for_link(obj)],
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Client", ordering="client__display_name")
    def name(self, link: CoachingLink) -> str:
        return link.client.get_full_name()

    @admin.display(description="Email", ordering="client__email")
    def email(self, link: CoachingLink) -> str:
        return link.client.email

    @admin.display(description="Coached since")
    def since(self, link: CoachingLink) -> Any:
        return link.started_at

    @admin.display(description="Adherence, 7 days")
    def last_7_days(self, link: CoachingLink) -> str | None:
        return _percent(_summary(link).last_7_days)

    @admin.display(description="Adherence, 28 days")
    def last_28_days(self, link: CoachingLink) -> str | None:
        return _percent(_summary(link).last_28_days)

    @admin.display(description="Last session", ordering="last_session_at")
    def last_session(self, link: CoachingLink) -> Any:
        return _summary(link).last_session_at

    @admin.display(description="Worst pain, left / right")
    def worst_pain(self, link: CoachingLink) -> str | None:
        # One column for both sides, so that the list fits a 1366-pixel screen.
        pain = _summary(link).worst_pain
        if pain["left"] is None and pain["right"] is None:
            return None
        return f"{_pain(pain['left'])} / {_pain(pain['right'])}"

    @admin.display(description="Open flags")
    def open_flags(self, link: CoachingLink) -> str | None:
        # A word each, to fit the list; what the flag says shows on pointing at it.
        flags = [(flag.detail, flag.reason.replace("_", " ")) for flag in _summary(link).flags]
        return format_html_join(", ", '<span title="{}">{}</span>', flags) or None


_DAYS = [(day, calendar.day_name[day - 1]) for day in range(1, 8)]
# What a trainer edits of a program here: ASSIGNMENT_FIELDS, weekdays as days to tick.
_PROGRAM_FIELDS = [
    *("days_of_week" if name == "weekdays" else name for name in ASSIGNMENT_FIELDS),
    "paused",
]


class AssignmentForm(forms.ModelForm):
    """ASSIGNMENT_FIELDS as a trainer sets them: `weekdays` as days of the week to tick,
    and whether the program is paused."""

    days_of_week = forms.TypedMultipleChoiceField(
        label="Days of the week", choices=_DAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )
    paused = forms.BooleanField(
        required=False, help_text="Nothing is due while it is paused; adherence skips the days."
    )
    # The version the trainer opened, as the API's If-Match: an edit made on top of a
    # change saved meanwhile (an accepted proposal, the same program open twice) is refused
    # rather than undoing it unseen.
    opened_version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Assignment
        fields = _PROGRAM_FIELDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("days_of_week", self.instance.days_of_week)
        self.initial.setdefault("paused", self.instance.paused_from is not None)
        self.initial.setdefault("opened_version", self.instance.version)

    def changes(self) -> dict[str, Any]:
        """What changed, as services.assignment_update takes it."""
        data = {
            name: self.cleaned_data[name] for name in self.changed_data if name in _PROGRAM_FIELDS
        }
        if "days_of_week" in data:
            data["weekdays"] = weekdays_of(data.pop("days_of_week"))
        return data


def _dose_changes(formset: Any) -> list[dict[str, Any]]:
    """The items whose dose changed, as services.assignment_update takes them; saving
    without commit writes nothing and tells which rows changed."""
    formset.save(commit=False)
    return [
        {
            "position": item.position,
            **{name: getattr(item, name) for name in changed if name in ITEM_DOSE_FIELDS},
        }
        for item, changed in formset.changed_objects
    ]


class AssignmentItemInline(CoachesOnly, admin.TabularInline):
    model = AssignmentItem
    verbose_name_plural = "exercises and their dose"
    fields = ["position", "exercise", *ITEM_DOSE_FIELDS]
    readonly_fields = ["position", "exercise"]
    extra = 0

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _coaches(request)

    def get_queryset(self, request: HttpRequest) -> QuerySet[AssignmentItem]:
        return super().get_queryset(request).select_related("exercise")  # Its name, per row.


@admin.register(Assignment)
class AssignmentAdmin(CoachingAdmin):
    """The programs of the trainer's clients: the schedule, the note, pausing, and the items'
    dose, changed through services.assignment_update only, so that the client's phones learn
    of it by sync."""

    form = AssignmentForm
    inlines = [AssignmentItemInline]
    list_display = [
        "name",
        "client_page",
        "start_date",
        "end_date",
        "days",
        "times_per_day",
        "is_paused",
    ]
    search_fields = ["name", "client__email", "client__display_name"]
    fields = ["client_page", "name", *_PROGRAM_FIELDS, "opened_version"]
    readonly_fields = ["client_page", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Assignment]:
        standing = CoachingLink.objects.for_trainer(_trainer(request))
        return Assignment.objects.live().filter(link__in=standing).select_related("client")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _coaches(request)

    @admin.display(description="Days")
    def days(self, program: Assignment) -> str:
        return _day_names(program)

    @admin.display(description="Paused", boolean=True)
    def is_paused(self, program: Assignment) -> bool:
        return program.paused_from is not None

    @admin.display(description="Client", ordering="client__display_name")
    def client_page(self, program: Assignment) -> str:
        url = reverse("admin:training_sessions_myclient_change", args=[program.link_id])
        return format_html('<a href="{}">{}</a>', url, program.client.get_full_name())

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as refusal:
            # What only the service can tell (the sets a session would hold, a change made
            # meanwhile): the whole edit is undone with the admin's transaction, log included.
            self.message_user(request, f"Nothing was changed: {refusal.message}", messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request: HttpRequest, obj: Assignment, form: Any, change: bool) -> None:
        """Nothing is written here: save_related sends the form's changes and the items'
        together to the service."""

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        data = form.changes()
        if items := [row for formset in formsets for row in _dose_changes(formset)]:
            data["items"] = items
        if not data:
            return  # Saved unchanged: no new version for the phones to fetch.
        # Read again, locked as the API locks it, with the items the service weighs.
        link = self.get_queryset(request).get(pk=form.instance.pk).link
        program = None
        if link is not None:  # The list's filter holds standing links only.
            program = services.assignment_for_change(link=link, assignment_id=form.instance.pk)
        if program is None:  # Ended meanwhile.
            raise Http404("This program ended meanwhile.")
        if program.version != form.cleaned_data["opened_version"]:
            raise ConflictError(
                "This program was changed after you opened it (a proposal accepted, or an "
                "edit saved elsewhere). Here it is as it is now: make your change again."
            )
        services.assignment_update(assignment=program, data=data)
