import hashlib
import json
import re
import uuid
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hipflex_api.accounts.auth import request_user
from hipflex_api.caching import conditional_get, user_version
from hipflex_api.errors import Gone, PreconditionFailed, UnprocessableContent
from hipflex_api.pagination import StartedAtCursorPagination, positive_int_param
from hipflex_api.serializers import ErrorSerializer

from . import services
from .filters import WorkoutSessionFilter
from .models import IdempotencyRecord, WorkoutSession
from .serializers import SyncPageSerializer, WorkoutSessionSerializer

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string (a UUID is ideal), at most 255 printable characters. A retry "
    "with the same key and body gets the first response again, marked `Idempotent-Replayed: "
    "true`; the same key with another body gets 422.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="The ETag the change was based on. If the session changed since, the answer "
    "is 412 and nothing is saved.",
)
IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag the client holds; 304 when it is still current.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200, 201, 304],
    description="The session's version; send it back as If-Match when changing it.",
)
LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="The new session's URL.",
)
REPLAYED = OpenApiParameter(
    "Idempotent-Replayed",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="`true` when this is the stored first response to an earlier request with the "
    "same Idempotency-Key.",
)
SESSION_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The session's id."
)
_STALE = OpenApiResponse(ErrorSerializer, description="If-Match is stale; nothing was saved.")
_GONE = OpenApiResponse(ErrorSerializer, description="The session was deleted.")
_KEY_REUSED = OpenApiResponse(
    ErrorSerializer, description="The Idempotency-Key was used before with another body."
)
_KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


def _request_hash(data: Any) -> str:
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _body_id(data: Any) -> uuid.UUID | None:
    raw = data.get("id") if isinstance(data, dict) else None
    try:
        return uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _with_etag(response: Response, session: WorkoutSession) -> Response:
    response["ETag"] = session.etag
    return response


def _etag_listed(header: str | None, session: WorkoutSession, *, weak: bool) -> bool:
    """Whether an If-Match or If-None-Match list holds "*" or the session's ETag.

    If-None-Match compares weakly (`W/"3"` matches `"3"`); If-Match strongly, as RFC 9110
    asks: a weak tag never licenses a write.
    """
    if header is None:
        return False
    tags = {tag.strip() for tag in header.split(",")}
    if weak:
        tags = {tag.removeprefix("W/") for tag in tags}
    return "*" in tags or session.etag in tags


def _check_if_match(request: Request, session: WorkoutSession | None) -> None:
    header = request.headers.get("If-Match")
    if header is None:
        return
    if session is None:
        raise PreconditionFailed("If-Match was sent, but there is no such session yet.")
    if not _etag_listed(header, session, weak=False):
        raise PreconditionFailed(
            f"If-Match {header} does not match the current ETag {session.etag}: "
            "fetch the session, merge, and retry."
        )


@extend_schema_view(
    list=extend_schema(
        summary="List my sessions",
        description="The caller's sessions, newest first, a cursor page at a time.",
    ),
    retrieve=extend_schema(
        summary="Get a session",
        parameters=[SESSION_ID, IF_NONE_MATCH, ETAG],
        responses={
            200: WorkoutSessionSerializer,
            304: OpenApiResponse(description="The ETag sent in If-None-Match is current."),
            410: _GONE,
        },
    ),
    create=extend_schema(
        summary="Upload a session",
        description="The session and its sets are saved together or not at all. Retries are "
        "safe: a session whose `id` is already stored comes back as it is (200), and an "
        "`Idempotency-Key` replays the first response.",
        parameters=[IDEMPOTENCY_KEY, ETAG, LOCATION, REPLAYED],
        responses={
            201: WorkoutSessionSerializer,
            200: OpenApiResponse(
                WorkoutSessionSerializer, description="A session with this id was already stored."
            ),
            410: _GONE,
            422: _KEY_REUSED,
        },
    ),
    update=extend_schema(
        summary="Replace or create a session",
        description="Replaces the session and all its sets. A session id that does not exist "
        "yet is created (201), so an upload can name its own id and be retried; a retry that "
        "changes nothing answers 200, whatever its If-Match.",
        parameters=[SESSION_ID, IF_MATCH, ETAG, LOCATION],
        responses={
            200: WorkoutSessionSerializer,
            201: WorkoutSessionSerializer,
            410: _GONE,
            412: _STALE,
        },
    ),
    partial_update=extend_schema(
        summary="Change part of a session",
        description="Changes the fields given; `sets`, when given, replaces all the sets. A "
        "retry that changes nothing answers 200, whatever its If-Match.",
        parameters=[SESSION_ID, IF_MATCH, ETAG],
        responses={200: WorkoutSessionSerializer, 410: _GONE, 412: _STALE},
    ),
    destroy=extend_schema(
        summary="Delete a session",
        description="Leaves a tombstone that sync hands to the other devices. Deleting again "
        "succeeds.",
        parameters=[SESSION_ID, IF_MATCH],
        responses={204: None, 412: _STALE},
    ),
)
class WorkoutSessionViewSet(viewsets.ModelViewSet):
    queryset = WorkoutSession.objects.all()
    serializer_class = WorkoutSessionSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = WorkoutSessionFilter
    pagination_class = StartedAtCursorPagination
    conditional_actions = frozenset({"list"})
    lookup_field = "id"
    lookup_value_regex = (
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    )

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

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        session = self._own()
        if session is None:
            raise NotFound("No session has this id.")
        if session.deleted_at is not None:
            raise Gone("This session was deleted.")
        if _etag_listed(request.headers.get("If-None-Match"), session, weak=True):
            return _with_etag(Response(status=status.HTTP_304_NOT_MODIFIED), session)
        return self._respond(session)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        request_hash = ""
        if key is not None:
            if not _KEY_PATTERN.fullmatch(key):
                raise ValidationError(
                    {"Idempotency-Key": ["Must be 1 to 255 printable characters, no spaces."]}
                )
            request_hash = _request_hash(request.data)
            if (replay := self._replay(key, request_hash)) is not None:
                return replay
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # A retry must get its stored session back even if an exercise in it has been
            # unpublished since, or the phone would hold a session it cannot upload.
            if (session_id := _body_id(request.data)) is not None and (
                stored := self._stored(session_id)
            ) is not None:
                return stored
            raise ValidationError(serializer.errors)  # type: ignore[arg-type]  # as is_valid raises it
        session_id = serializer.validated_data.get("id")
        # A key's record commits with the session it answers for. Without a key, the
        # service's own transaction is the only one: no savepoint inside an outer one.
        together = transaction.atomic() if key is not None else nullcontext()
        try:
            with together:
                session = services.session_create(
                    user=request_user(request), data=serializer.validated_data
                )
                response = self._answer(session, status.HTTP_201_CREATED)
                if key is not None:
                    IdempotencyRecord.objects.create(
                        user=request_user(request),
                        key=key,
                        request_hash=request_hash,
                        status_code=response.status_code,
                        response_body=json.loads(json.dumps(response.data, default=str)),
                        etag=session.etag,
                    )
        except IntegrityError:
            # The id is stored already (a retry, or a concurrent twin of this request that
            # committed first): replay the key's answer, or answer with the stored session.
            # Looking only now keeps the usual upload, a new id, to the queries that save it.
            if key is not None and (replay := self._replay(key, request_hash)) is not None:
                return replay
            if session_id is not None and (stored := self._stored(session_id)) is not None:
                return stored
            raise
        response["Location"] = f"{request.path}{session.pk}/"
        return response

    def _replay(self, key: str, request_hash: str) -> Response | None:
        records = IdempotencyRecord.objects.filter(user=request_user(self.request), key=key)
        # A key is remembered for IDEMPOTENCY_KEY_TTL; after that it is free to be used again.
        records.filter(created_at__lt=timezone.now() - settings.IDEMPOTENCY_KEY_TTL).delete()
        record = records.first()
        if record is None:
            return None
        if record.request_hash != request_hash:
            raise UnprocessableContent(
                "This Idempotency-Key was used before with a different body; use a new key.",
                code="idempotency_key_reused",
            )
        response = Response(record.response_body, status=record.status_code)
        response["Idempotent-Replayed"] = "true"
        if record.etag:
            response["ETag"] = record.etag
        if (session_id := record.response_body.get("id")) is not None:
            response["Location"] = f"{self.request.path}{session_id}/"
        return response

    def _stored(self, session_id: uuid.UUID) -> Response | None:
        session = services.session_for_retry(user=request_user(self.request), session_id=session_id)
        return None if session is None else self._answer(session, status.HTTP_200_OK)

    @transaction.atomic
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        session = self._own(lock=True)
        if session is None:
            if partial:
                raise NotFound("No session has this id.")
            _check_if_match(request, None)
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            self._check_body_id(serializer.validated_data)
            try:
                # The service's own atomic block is a savepoint here: a clash rolls back to it
                # and leaves this transaction usable for the update below.
                created = services.session_create(
                    user=request_user(request),
                    data=serializer.validated_data,
                    session_id=self._url_id(),
                )
                response = self._answer(created, status.HTTP_201_CREATED)
                response["Location"] = request.path
                return response
            except IntegrityError:
                # A twin of this PUT created the session a moment ago: carry on as an update
                # of what it stored, which a true twin finds already done.
                session = self._own(lock=True)
                if session is None:
                    raise
        if session.deleted_at is not None:
            raise Gone("This session was deleted.")
        serializer = self.get_serializer(session, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        self._check_body_id(serializer.validated_data)
        if services.session_matches(session=session, data=serializer.validated_data):
            # A retry of a change already made, whose answer was lost: nothing to save, and
            # no reason to refuse it for an If-Match that this very change made stale.
            return self._respond(session)
        _check_if_match(request, session)
        services.session_update(session=session, data=serializer.validated_data)
        if "sets" in serializer.validated_data:
            return self._answer(session, status.HTTP_200_OK)  # With the sets just written.
        return self._respond(session)

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
    conditional_actions = frozenset({"get"})

    @extend_schema(
        summary="Changes since a cursor",
        description="The caller's sessions created, changed or deleted, and the catalog's "
        "exercises changed, after `since`, oldest first. Without `since`, everything. Keep "
        "calling with `next_cursor` while `has_more` is true; store the last `next_cursor` for "
        "the next sync. Changes are numbered by the database as they commit, so a change saved "
        "during a sync is never skipped.",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.STR, description="A `next_cursor` from before."),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                description="Most sessions (and exercises) in one page: 1 to 500, default 100.",
            ),
        ],
        responses={
            200: SyncPageSerializer,
            400: OpenApiResponse(ErrorSerializer, description="A bad `since` or `limit`."),
        },
        tags=["sync"],
    )
    def get(self, request: Request) -> Any:
        user = request_user(request)
        version = f"sync:{user.pk}:{user_version(user)}"
        return conditional_get(request, version=version, render=lambda: self._page(request))

    def _page(self, request: Request) -> Response:
        since = None
        if raw := request.query_params.get("since"):
            try:
                since = services.SyncCursor.decode(raw)
            except services.InvalidCursor as exc:
                raise ValidationError({"since": [str(exc)]}) from exc
        limit = positive_int_param(request, "limit", 500) or 100
        page = services.sync_page(user=request_user(request), since=since, limit=limit)
        return Response(SyncPageSerializer(page).data)
