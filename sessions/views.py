import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercises.limits import SLUG_PATTERN
from exercises.models import Exercise, Routine
from exercises.serializers import MISSING_SLUG
from exercises.services import routine_check_usable
from hipflex_api.accounts import services as account_services
from hipflex_api.accounts.auth import InsufficientScope, request_user
from hipflex_api.accounts.models import CoachingLink, User
from hipflex_api.accounts.permissions import Coaches
from hipflex_api.accounts.scopes import Scope, ScopeRule
from hipflex_api.changes.counters import user_version
from hipflex_api.conditional import conditional_get, if_match_fails, none_match, not_modified
from hipflex_api.errors import Gone, PreconditionFailed, field_errors
from hipflex_api.fields import UUID_PATTERN, hides_health_data, holding_health_data
from hipflex_api.idempotency.keys import IdempotentRequest
from hipflex_api.idempotency.keys import atomic as idempotency_atomic
from hipflex_api.pagination import StartedAtCursorPagination, positive_int_param

from . import limits, openapi, review, services
from .coaching import advice_for
from .filters import WorkoutSessionFilter
from .models import Assignment, WorkoutSession
from .plans import assignment_items_prefetch, plan_for
from .serializers import (
    AcknowledgeSerializer,
    AdviceSerializer,
    AssignmentChangeSerializer,
    AssignmentCreateSerializer,
    AssignmentSerializer,
    AssignmentStartSerializer,
    CoachingClientDetailSerializer,
    CoachingClientSerializer,
    PlanQuerySerializer,
    PlanSerializer,
    ProgressStatsSerializer,
    ProposalChoiceSerializer,
    ProposalSerializer,
    ReviewItemSerializer,
    RoutineStartSerializer,
    StartedSessionSerializer,
    StatsQuerySerializer,
    SyncPageSerializer,
    WorkoutSessionSerializer,
    export_json,
)
from .stats import progress_stats


def _body_id(data: Any) -> uuid.UUID | None:
    raw = data.get("id") if isinstance(data, dict) else None
    try:
        return uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _only_missing_slugs(errors: Any) -> bool:
    """Whether every fault of a body is a slug naming nothing the catalog shows now."""
    details = ValidationError(errors).get_full_details()
    return {error["code"] for error in field_errors(details)} == {MISSING_SLUG}


def _with_etag(response: Response, session: WorkoutSession) -> Response:
    response["ETag"] = session.etag
    return response


def _check_if_match(request: Request, session: WorkoutSession | None) -> None:
    if not if_match_fails(request, None if session is None else session.etag):
        return
    if session is None:
        raise PreconditionFailed("If-Match was sent, but there is no such session yet.")
    raise PreconditionFailed(
        f"If-Match {request.headers['If-Match']} does not match the current ETag "
        f"{session.etag}: fetch the session, merge, and retry."
    )


class SessionPagination(StartedAtCursorPagination):
    max_page_weight = limits.PAGE_BYTES

    def row_weight(self, row: WorkoutSession) -> int:
        return limits.session_bytes(row)


# What a session's body holds of health data: its effort, and the pain in its sets.
HEALTH_FIELDS = holding_health_data(WorkoutSessionSerializer())


def _check_health_data_seen(data: dict[str, Any]) -> None:
    """Refuse an app that cannot see health data a change of a stored session would replace:
    its sets replace the stored ones, pain and all, and a match would tell it whether it
    guessed them right."""
    if hides_health_data.get() and HEALTH_FIELDS & set(data):
        raise InsufficientScope(
            "Replacing a stored session's sets or its perceived effort replaces the health "
            "data in them, which this app's token cannot see: that needs `pain:read`."
        )


@openapi.workout_session_schema
class WorkoutSessionViewSet(viewsets.ModelViewSet):
    queryset = WorkoutSession.objects.all()
    serializer_class = WorkoutSessionSerializer
    permission_classes = [permissions.IsAuthenticated]
    app_scopes = ScopeRule(read=Scope.SESSIONS_READ, write=Scope.SESSIONS_WRITE)
    filterset_class = WorkoutSessionFilter
    pagination_class = SessionPagination
    conditional_actions = frozenset({"list"})
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[WorkoutSession]:
        return services.sessions_with_sets(
            WorkoutSession.objects.for_user(request_user(self.request)).live()
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        user = request_user(request)
        return conditional_get(
            request,
            # The catalog's version too: the exercise filter takes published exercises only.
            version=f"sessions:{user.pk}:{user_version(user)}",
            render=lambda: mixins.ListModelMixin.list(self, request, *args, **kwargs),
        )

    def _own(self, *, lock: bool = False) -> WorkoutSession | None:
        """The caller's session at this URL, tombstone included; None if there is none."""
        try:
            session_id = uuid.UUID(self.kwargs["id"])
        except ValueError as exc:
            raise NotFound("No session has this id.") from exc
        # One query for the row whoever owns it, so that a twin request committing in
        # between cannot make the caller's own new session look like someone else's.
        queryset = WorkoutSession.objects.filter(pk=session_id)
        session = (queryset.select_for_update() if lock else queryset).first()
        if session is not None and session.user_id != self.request.user.pk:
            raise NotFound("No session has this id.")  # Someone else's: it does not exist for you.
        return session

    def _respond(self, session: WorkoutSession, status_code: int = status.HTTP_200_OK) -> Response:
        return self._answer(self.get_queryset().get(pk=session.pk), status_code)

    def _answer(self, session: WorkoutSession, status_code: int) -> Response:
        """The session as it is in memory: fetched with its sets, or just created with them."""
        return _with_etag(Response(self.get_serializer(session).data, status=status_code), session)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        session = self._own()
        if session is None:
            raise NotFound("No session has this id.")
        if session.deleted_at is not None:
            raise Gone("This session was deleted.")
        if none_match(request, session.etag):
            return not_modified({"ETag": session.etag})
        return self._respond(session)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        idempotent = IdempotentRequest.of(request)
        if idempotent is not None and (replay := idempotent.replay()) is not None:
            return self._replayed(replay)
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # A retry must get its stored session back even if an exercise in it has been
            # unpublished since, or the phone would hold a session it cannot upload; any other
            # fault of the body is the client's to hear about (an id taken or deleted aside).
            stored = self._stored(_body_id(request.data))
            if stored is not None and _only_missing_slugs(serializer.errors):
                return stored
            raise ValidationError(serializer.errors)  # type: ignore[arg-type]  # as is_valid raises it
        try:
            return self._located(self._create(serializer.validated_data, idempotent))
        except IntegrityError:
            # The id is stored already (a retry, or a concurrent twin of this request that
            # committed first): replay the key's answer, or answer with the stored session.
            # Looking only now keeps the usual upload, a new id, to the queries that save it.
            if idempotent is not None and (replay := idempotent.replay()) is not None:
                return self._replayed(replay)
            if (stored := self._stored(serializer.validated_data.get("id"))) is not None:
                return stored
            raise

    def _create(self, data: dict[str, Any], idempotent: IdempotentRequest | None) -> Response:
        """The new session's answer, recorded for its Idempotency-Key as it commits."""
        with idempotency_atomic(idempotent):
            session = services.session_create(user=request_user(self.request), data=data)
            response = self._answer(session, status.HTTP_201_CREATED)
            if idempotent is not None:
                idempotent.record(response)
        return response

    def _located(self, response: Response) -> Response:
        """A new session's answer (first or replayed) with its URL."""
        if (session_id := response.data.get("id")) is not None:
            response["Location"] = f"{self.request.path}{session_id}/"
        return response

    def _replayed(self, replay: Response) -> Response:
        """The key's first answer, while the session it created stands; once that is deleted,
        the answer is the 410 that a POST of its id gets."""
        services.session_check_replayable(
            user=request_user(self.request), session_id=replay.data["id"]
        )
        return self._located(replay)

    def _stored(self, session_id: uuid.UUID | None) -> Response | None:
        if session_id is None:
            return None
        session = services.session_for_retry(user=request_user(self.request), session_id=session_id)
        return None if session is None else self._answer(session, status.HTTP_200_OK)

    @transaction.atomic
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        session = self._own(lock=True)
        replacing = session is not None
        if session is None:
            if partial:
                raise NotFound("No session has this id.")
            created = self._put_create()
            if isinstance(created, Response):
                return created
            session = created
        if session.deleted_at is not None:
            raise Gone("This session was deleted.")
        data = self._change(session, partial=partial, replacing=replacing)
        if services.session_matches(session=session, data=data):
            # A retry of a change already made, whose answer was lost: nothing to save, and
            # no reason to refuse it for an If-Match that this very change made stale.
            return self._respond(session)
        _check_if_match(request, session)
        services.session_update(session=session, data=data)
        if "sets" in data:
            return self._answer(session, status.HTTP_200_OK)  # With the sets just written.
        return self._respond(session)

    def _change(self, session: WorkoutSession, *, partial: bool, replacing: bool) -> Any:
        """The body's change to the session, validated; `replacing` a session stored before
        this request."""
        serializer = self.get_serializer(session, data=self.request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self._check_body_id(serializer.validated_data)
        if replacing:
            _check_health_data_seen(serializer.validated_data)
        return serializer.validated_data

    def _put_create(self) -> Response | WorkoutSession:
        """A PUT to an id not stored yet: the 201 of the session it creates, or the session a
        twin of this PUT created a moment ago, which the PUT then updates (a true twin finds
        its work already done)."""
        _check_if_match(self.request, None)
        serializer = self.get_serializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        self._check_body_id(serializer.validated_data)
        try:
            # The service's own atomic block is a savepoint here: a clash rolls back to it and
            # leaves the PUT's transaction usable for the update.
            created = services.session_create(
                user=request_user(self.request),
                data=serializer.validated_data,
                session_id=self._url_id(),
            )
        except IntegrityError:
            if (session := self._own(lock=True)) is None:
                raise
            return session
        response = self._answer(created, status.HTTP_201_CREATED)
        response["Location"] = self.request.path
        return response

    def _url_id(self) -> uuid.UUID:
        return uuid.UUID(self.kwargs["id"])

    def _check_body_id(self, data: dict[str, Any]) -> None:
        body_id = data.get("id")
        if body_id is not None and str(body_id) != str(self._url_id()):
            raise ValidationError({"id": ["Must match the id in the URL, or be left out."]})

    @transaction.atomic
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self._own(lock=True)
        if session is None:
            raise NotFound("No session has this id.")
        if session.deleted_at is None:
            _check_if_match(request, session)
            services.session_delete(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SyncView(APIView):
    permission_classes = [permissions.IsAuthenticated]
    app_scopes = ScopeRule(read=Scope.SESSIONS_READ)
    conditional_actions = frozenset({"get"})
    query_parameters = {"get": ("since", "limit")}

    @openapi.sync_schema
    def get(self, request: Request) -> Any:
        user = request_user(request)
        version = f"sync:{user.pk}:{user_version(user)}"
        return conditional_get(request, version=version, render=lambda: self._page(request))

    def _page(self, request: Request) -> Response:
        raw = request.query_params.get("since")
        since = services.SyncCursor.decode(raw) if raw else None
        limit = positive_int_param(request, "limit", limits.SYNC_PAGE.high)
        limit = limit or limits.SYNC_PAGE_DEFAULT
        page = services.sync_page(user=request_user(request), since=since, limit=limit)
        return Response(SyncPageSerializer(page).data)


class ExerciseAdviceViewSet(viewsets.GenericViewSet):
    """/exercises/{slug}/advice/: what the caller's own sets of a catalog exercise suggest."""

    queryset = Exercise.objects.all()
    serializer_class = AdviceSerializer
    permission_classes = [permissions.IsAuthenticated]
    # Advice is read from the pain reported: health data.
    app_scopes = ScopeRule(read=Scope.PAIN_READ)
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN

    def get_queryset(self) -> QuerySet[Exercise]:
        return Exercise.objects.visible_to(self.request.user)

    @openapi.advice_schema
    @action(detail=True, methods=["get"])
    def advice(self, request: Request, slug: str | None = None) -> Response:
        exercise = self.get_object()
        advice = advice_for(user=request_user(request), exercise_ids=[exercise.pk])[exercise.pk]
        return Response(AdviceSerializer(advice).data)


class RoutineStartViewSet(viewsets.GenericViewSet):
    """/routines/{id}/start/: a workout session planned from a routine the caller can see."""

    queryset = Routine.objects.all()
    # The body's, as OPTIONS describes it; the answer is StartedSessionSerializer's.
    serializer_class = RoutineStartSerializer
    permission_classes = [permissions.IsAuthenticated]
    # A start plans from the advice, which is read from the pain reported.
    app_scopes = ScopeRule(write=(Scope.SESSIONS_WRITE, Scope.PAIN_READ))

    def get_queryset(self) -> QuerySet[Routine]:
        # The service reads the items it plans from itself.
        return Routine.objects.visible_to(self.request.user)

    @openapi.start_schema
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        routine = routine_check_usable(routine=self.get_object())
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        session_id = body.validated_data.get("session_id")
        if (stored := _stored_start(request, session_id)) is not None:
            return stored
        try:
            session, adjustments = services.session_start_from_routine(
                user=request_user(request), routine=routine, **body.validated_data
            )
        except IntegrityError:
            # A twin of this request stored the same id first.
            if (stored := _stored_start(request, session_id)) is not None:
                return stored
            raise
        return _started(request, session, adjustments)


def _started(
    request: Request, session: WorkoutSession, adjustments: list[services.Adjustment]
) -> Response:
    """The 201 of a session started from a routine or a program, with its URL and ETag."""
    data = StartedSessionSerializer(
        {"session": session, "adjustments": adjustments}, context={"request": request}
    ).data
    response = _with_etag(Response(data, status=status.HTTP_201_CREATED), session)
    response["Location"] = f"/api/v1/sessions/{session.pk}/"
    return response


def _stored_start(request: Request, session_id: uuid.UUID | None) -> Response | None:
    """The answer to a retried start: the session stored under its id, with its ETag."""
    if session_id is None:
        return None
    session = services.session_for_retry(user=request_user(request), session_id=session_id)
    if session is None:
        return None
    data = {"session": WorkoutSessionSerializer(session).data, "adjustments": []}
    return _with_etag(Response(data), session)


class MyDataViewSet(viewsets.GenericViewSet):
    """/me/stats/ and /me/export/: the caller's own logs, counted and whole."""

    queryset = User.objects.all()
    serializer_class = ProgressStatsSerializer
    permission_classes = [permissions.IsAuthenticated]
    # The export, everything at once, is the person's own clients' only.
    app_scopes = ScopeRule(actions={"stats": Scope.STATS_READ, "plan": Scope.SESSIONS_READ})
    conditional_actions = frozenset({"stats", "plan"})
    query_parameters = {
        "stats": tuple(StatsQuerySerializer().fields),
        "plan": tuple(PlanQuerySerializer().fields),
    }

    @openapi.stats_schema
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Any:
        user = request_user(request)

        def count() -> Response:
            query = StatsQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            stats = progress_stats(user=user, **query.validated_data)
            return Response(ProgressStatsSerializer(stats).data)

        # Counted again only when the user logs something, a trainer renames an exercise, the
        # user changes time zone, or their day turns; else the stored answer, or a 304.
        today = datetime.now(ZoneInfo(user.time_zone)).date()
        version = f"stats:{user.pk}:{user_version(user)}:{user.time_zone}:{today}"
        return conditional_get(request, version=version, render=count)

    @openapi.plan_schema
    @action(detail=False, methods=["get"])
    def plan(self, request: Request) -> Any:
        user = request_user(request)
        query = PlanQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        day = query.validated_data.get("date") or services.client_today(user)

        def plan() -> Response:
            return Response(PlanSerializer(plan_for(user=user, day=day)).data)

        # Made again only when the caller logs something or a trainer changes a program
        # (both take the caller's change numbers), or the caller changes time zone.
        version = f"plan:{user.pk}:{user_version(user)}:{user.time_zone}:{day}"
        return conditional_get(request, version=version, render=plan)

    @openapi.export_schema
    @action(detail=False, methods=["get"])
    def export(self, request: Request) -> StreamingHttpResponse:
        # Written as it is read, past DRF's renderers; DRF's checks (authentication, the
        # Accept header) ran before this action and answer a failure in the error shape.
        user = request_user(request)
        exported_at = timezone.now()
        # gunicorn reads a HEAD's body to the end only to drop it: none is made.
        response = StreamingHttpResponse((), content_type="application/json")
        if request.method != "HEAD":
            chunks = services.session_export_chunks(user=user)
            coaching = services.export_coaching(user=user)
            body = export_json(user=user, exported_at=exported_at, coaching=coaching, chunks=chunks)
            # Django closes what it streams when the server closes the answer.
            response.streaming_content = services.ExportSlot(user, body)
        day = exported_at.astimezone(ZoneInfo(user.time_zone)).date()
        response["Content-Disposition"] = f'attachment; filename="hipflex-export-{day}.json"'
        return response


@openapi.coaching_client_schema
class CoachingClientViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """/coaching/clients/: the people who share their log with the calling trainer, while
    they do; a link ended by either side is 404 here for everything, past data included."""

    queryset = CoachingLink.objects.all()
    serializer_class = CoachingClientSerializer
    permission_classes = [permissions.IsAuthenticated, Coaches]
    conditional_actions = frozenset({"list"})
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[CoachingLink]:
        # The client's name, zone and latest session in the same query as the link.
        return review.with_last_session(
            CoachingLink.objects.for_trainer(request_user(self.request))
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        def page() -> Response:
            links = list(self.paginate_queryset(self.get_queryset()) or [])
            made = review.summaries(links=links)
            rows = [made[link.pk] for link in links]
            return self.get_paginated_response(CoachingClientSerializer(rows, many=True).data)

        version = review.clients_version(request_user(request))
        return conditional_get(request, version=version, render=page)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        detail = review.client_detail(link=self.get_object())
        return Response(CoachingClientDetailSerializer(detail).data)

    def perform_destroy(self, instance: CoachingLink) -> None:
        account_services.coaching_link_end(link=instance, by=CoachingLink.EndedBy.TRAINER)


def coached_link(request: Request, link_id: str) -> CoachingLink:
    """The calling trainer's standing link of this id: 404 for anyone else's, or one ended."""
    link = CoachingLink.objects.for_trainer(request_user(request)).filter(pk=link_id).first()
    if link is None:
        raise NotFound("No client of yours has this id.")
    return link


@openapi.client_sessions_schema
class ClientSessionViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """/coaching/clients/{client_id}/sessions/: a client's log, read only, for their trainer."""

    queryset = WorkoutSession.objects.all()
    serializer_class = WorkoutSessionSerializer
    permission_classes = [permissions.IsAuthenticated, Coaches]
    filterset_class = WorkoutSessionFilter
    pagination_class = SessionPagination

    def get_queryset(self) -> QuerySet[WorkoutSession]:
        link = coached_link(self.request, self.kwargs["client_id"])
        return services.sessions_with_sets(WorkoutSession.objects.for_user(link.client).live())


def _program(request: Request, assignment: Assignment) -> Any:
    """A program's answer with its ETag, or a 304 for a client holding it already."""
    if none_match(request, assignment.etag):
        return not_modified({"ETag": assignment.etag})
    return _assignment_answer(assignment)


def _assignment_answer(assignment: Assignment, status_code: int = status.HTTP_200_OK) -> Response:
    response = Response(AssignmentSerializer(assignment).data, status=status_code)
    response["ETag"] = assignment.etag
    return response


@openapi.client_assignment_schema
class ClientAssignmentViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """/coaching/clients/{client_id}/assignments/: the programs a trainer prescribes to one
    of their clients, and edits, pauses or ends."""

    queryset = Assignment.objects.all()
    serializer_class = AssignmentSerializer
    permission_classes = [permissions.IsAuthenticated, Coaches]
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Assignment]:
        link = coached_link(self.request, self.kwargs["client_id"])
        return self.shown(Assignment.objects.for_link(link))

    @staticmethod
    def shown(programs: QuerySet[Assignment]) -> QuerySet[Assignment]:
        """Programs with what their answer shows, in two queries for a page."""
        return programs.select_related("link__trainer").prefetch_related(
            assignment_items_prefetch()
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return _program(request, self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        link = coached_link(request, self.kwargs["client_id"])
        body = AssignmentCreateSerializer(data=request.data, context={"trainer": link.trainer})
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        assignment = services.assignment_create(link=link, routine=data.pop("routine"), data=data)
        response = _assignment_answer(assignment, status.HTTP_201_CREATED)
        response["Location"] = f"{request.path}{assignment.pk}/"
        return response

    @transaction.atomic
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assignment = self._locked()  # Another's: 404, the body unread.
        body = AssignmentChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.assignment_update(assignment=assignment, data=body.validated_data)
        return _assignment_answer(self.get_queryset().get(pk=assignment.pk))

    @transaction.atomic
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.assignment_end(assignment=self._locked())
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _locked(self) -> Assignment:
        """The assignment at this URL, locked for the change, if If-Match allows it."""
        link = coached_link(self.request, self.kwargs["client_id"])
        assignment = services.assignment_for_change(link=link, assignment_id=self.kwargs["id"])
        if assignment is None:
            raise NotFound("No program of this client has this id.")
        if if_match_fails(self.request, assignment.etag):
            raise PreconditionFailed(
                f"If-Match {self.request.headers['If-Match']} does not match the current ETag "
                f"{assignment.etag}: fetch the program, merge, and retry."
            )
        return assignment


@openapi.my_assignment_schema
class MyAssignmentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """/me/assignments/: the programs the caller's trainers prescribe, and starting one."""

    queryset = Assignment.objects.all()
    serializer_class = AssignmentSerializer
    permission_classes = [permissions.IsAuthenticated]
    app_scopes = ScopeRule(
        read=Scope.SESSIONS_READ,
        # Its answer reports the advice, which is read from the pain reported.
        actions={"start": (Scope.SESSIONS_WRITE, Scope.PAIN_READ)},
    )
    lookup_field = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[Assignment]:
        return (
            Assignment.objects.for_client(request_user(self.request))
            .select_related("link__trainer")  # The trainer's name.
            .prefetch_related(assignment_items_prefetch())
        )

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        return _program(request, self.get_object())

    def get_serializer_class(self) -> Any:
        # The body's, as OPTIONS describes it; the answer is StartedSessionSerializer's.
        return AssignmentStartSerializer if self.action == "start" else AssignmentSerializer

    @openapi.assignment_start_schema
    @action(detail=True, methods=["post"])
    def start(self, request: Request, id: str | None = None) -> Response:
        body = AssignmentStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        session_id = body.validated_data.get("session_id")
        # A retry gets its session even if the program ended since.
        if (stored := _stored_start(request, session_id)) is not None:
            return stored
        assignment = self.get_object()
        try:
            session, adjustments = services.session_start_from_assignment(
                user=request_user(request), assignment=assignment, **body.validated_data
            )
        except IntegrityError:
            # A twin of this request stored the same id first, or took the same occurrence.
            if (stored := _stored_start(request, session_id)) is not None:
                return stored
            raise services.OccurrenceDone(
                "A session for this time of the program was stored a moment ago: open it."
            ) from None
        return _started(request, session, adjustments)


@openapi.review_schema
class ReviewViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """/coaching/review/: the calling trainer's clients who need attention, most urgent
    first, and acknowledging a flag."""

    queryset = CoachingLink.objects.all()
    serializer_class = ReviewItemSerializer
    permission_classes = [permissions.IsAuthenticated, Coaches]
    conditional_actions = frozenset({"list"})

    def get_queryset(self) -> QuerySet[CoachingLink]:
        return review.with_last_session(
            CoachingLink.objects.for_trainer(request_user(self.request))
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        def queue() -> Response:
            made = review.summaries(links=list(self.get_queryset()))
            flagged = sorted(
                (summary for summary in made.values() if summary.flags),
                key=lambda summary: summary.flags[0].urgency,
            )
            page: list[review.ClientSummary] | None = self.paginate_queryset(flagged)  # type: ignore[arg-type]
            return self.get_paginated_response(ReviewItemSerializer(page, many=True).data)

        version = review.clients_version(request_user(request))
        return conditional_get(request, version=version, render=queue)

    @openapi.acknowledge_schema
    @action(detail=False, methods=["post"], serializer_class=AcknowledgeSerializer)
    def acknowledge(self, request: Request) -> Response:
        body = AcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        link = coached_link(request, str(data.pop("client")))
        services.review_acknowledge(link=link, **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


@openapi.client_proposal_schema
class ClientProposalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """/coaching/clients/{client_id}/proposals/: changes to a client's programs that their
    sessions call for, and the trainer's decision on each."""

    queryset = CoachingLink.objects.all()
    serializer_class = ProposalSerializer
    permission_classes = [permissions.IsAuthenticated, Coaches]
    pagination_class = None  # A few per program at most.

    def _summary(self) -> review.ClientSummary:
        link = coached_link(self.request, self.kwargs["client_id"])
        standing = review.with_last_session(CoachingLink.objects.filter(pk=link.pk)).get()
        return review.summaries(links=[standing])[link.pk]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(ProposalSerializer(self._summary().proposals, many=True).data)

    def _decide(self, request: Request, *, accept: bool) -> Response:
        link = coached_link(request, self.kwargs["client_id"])  # Another's: 404, body unread.
        body = ProposalChoiceSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        assignment = services.proposal_decide(
            link=link,
            assignment_id=data["assignment"],
            position=data["position"],
            suggested=data["suggested"],
            accept=accept,
        )
        fresh = ClientAssignmentViewSet.shown(Assignment.objects.filter(pk=assignment.pk)).get()
        return _assignment_answer(fresh)

    @openapi.proposal_accept_schema
    @action(detail=False, methods=["post"], serializer_class=ProposalChoiceSerializer)
    def accept(self, request: Request, client_id: str | None = None) -> Response:
        return self._decide(request, accept=True)

    @openapi.proposal_decline_schema
    @action(detail=False, methods=["post"], serializer_class=ProposalChoiceSerializer)
    def decline(self, request: Request, client_id: str | None = None) -> Response:
        return self._decide(request, accept=False)
