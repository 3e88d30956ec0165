"""The OpenAPI text of workout sessions, sync, advice, routine starts, my data, and the
programs trainers prescribe."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from hipflex_api.idempotency.openapi import IDEMPOTENCY_KEY, REPLAYED
from hipflex_api.schema import ErrorResponse

from . import limits
from .serializers import (
    AcknowledgeSerializer,
    AdviceSerializer,
    AssignmentChangeSerializer,
    AssignmentCreateSerializer,
    AssignmentSerializer,
    AssignmentStartSerializer,
    CoachingClientDetailSerializer,
    ExportSerializer,
    PlanQuerySerializer,
    PlanSerializer,
    ProgressStatsSerializer,
    ProposalChoiceSerializer,
    RoutineStartSerializer,
    StartedSessionSerializer,
    StatsQuerySerializer,
    SyncPageSerializer,
    WorkoutSessionSerializer,
)


def _versioned(thing: str) -> tuple[OpenApiParameter, OpenApiParameter]:
    """The If-Match a change of `thing` takes, and the ETag its answers carry."""
    if_match = OpenApiParameter(
        "If-Match",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        description=f"The ETag the change was based on. If the {thing} changed since, the "
        "answer is 412 and nothing is saved.",
    )
    etag = OpenApiParameter(
        "ETag",
        OpenApiTypes.STR,
        OpenApiParameter.HEADER,
        response=[200, 201, 304],
        description=f"The {thing}'s version; send it back as If-Match when changing it.",
    )
    return if_match, etag


IF_MATCH, ETAG = _versioned("session")


IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="An ETag the client holds; 304 when it is still current.",
)


LOCATION = OpenApiParameter(
    "Location",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[201],
    description="The new session's URL.",
)


SESSION_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The session's id."
)


_STALE = ErrorResponse("If-Match is stale; nothing was saved.", "precondition_failed")


_GONE = ErrorResponse("The session was deleted.", "gone")


_KEY_REUSED = ErrorResponse(
    "The Idempotency-Key was used before with another body.", "idempotency_key_reused"
)


_QUOTA = ErrorResponse(
    "The account stored as many sessions in the last 24 hours as it may "
    "(`MAX_SESSIONS_PER_DAY`, 200 by default); nothing was saved. A retry of a session already "
    "stored still gets it back.",
    "quota_exceeded",
)


workout_session_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listSessions",
        summary="List my sessions",
        description="The caller's sessions, newest first, a cursor page at a time.",
    ),
    retrieve=extend_schema(
        operation_id="getSession",
        summary="Get a session",
        parameters=[SESSION_ID, IF_NONE_MATCH, ETAG],
        responses={
            200: WorkoutSessionSerializer,
            304: OpenApiResponse(description="The ETag sent in If-None-Match is current."),
            410: _GONE,
        },
    ),
    create=extend_schema(
        operation_id="uploadSession",
        summary="Upload a session",
        description="The session and its sets are saved together or not at all. Retries are "
        "safe: a session whose `id` is already stored comes back as it is (200), and an "
        "`Idempotency-Key` replays the first response, unless the session was deleted since "
        "(410, as for its `id`).",
        parameters=[IDEMPOTENCY_KEY, ETAG, LOCATION, REPLAYED],
        responses={
            201: WorkoutSessionSerializer,
            200: OpenApiResponse(
                WorkoutSessionSerializer, description="A session with this id was already stored."
            ),
            410: _GONE,
            422: _KEY_REUSED,
            429: _QUOTA,
        },
    ),
    update=extend_schema(
        operation_id="saveSession",
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
            429: _QUOTA,
        },
    ),
    partial_update=extend_schema(
        operation_id="updateSession",
        summary="Change part of a session",
        description="Changes the fields given; `sets`, when given, replaces all the sets. A "
        "retry that changes nothing answers 200, whatever its If-Match.",
        parameters=[SESSION_ID, IF_MATCH, ETAG],
        responses={200: WorkoutSessionSerializer, 410: _GONE, 412: _STALE},
    ),
    destroy=extend_schema(
        operation_id="deleteSession",
        summary="Delete a session",
        description="Leaves a tombstone that sync hands to the other devices. Deleting again "
        "succeeds.",
        parameters=[SESSION_ID, IF_MATCH],
        responses={204: None, 412: _STALE},
    ),
)


sync_schema = extend_schema(
    operation_id="getSyncPage",
    summary="Changes since a cursor",
    description="The caller's sessions created, changed or deleted, the programs their "
    "trainers assigned, changed or ended, and the catalog's exercises changed, after `since`, "
    "oldest first. Without `since`, everything. Keep "
    "calling with `next_cursor` while `has_more` is true; store the last `next_cursor` for "
    "the next sync. Changes are numbered by the database as they commit, so a change saved "
    "during a sync is never skipped.",
    parameters=[
        OpenApiParameter("since", OpenApiTypes.STR, description="A `next_cursor` from before."),
        OpenApiParameter(
            "limit",
            limits.SYNC_PAGE.schema(default=limits.SYNC_PAGE_DEFAULT),
            description="Most sessions (and exercises) in one page.",
        ),
    ],
    responses={
        200: SyncPageSerializer,
        400: ErrorResponse("A bad `since` or `limit`.", "invalid"),
    },
    tags=["sync"],
)


advice_schema = extend_schema(
    operation_id="getExerciseAdvice",
    summary="Advice on an exercise",
    description="What the caller's own recent sets suggest now: keep the exercise, switch "
    "to its milder option (recent pain at or above the threshold, also when it hurts on "
    "one side only), move to its harder option (several pain-free, easy sessions in a "
    "row), or `caution` (it hurt and no milder option suits), and why.",
    responses={200: AdviceSerializer},
)


start_schema = extend_schema(
    operation_id="startRoutine",
    summary="Start a session from a routine",
    description="Creates a workout session for the caller with the routine's sets planned "
    "(`done: false`, one per side of one-sided exercises), as prescribed now: later edits "
    "of the routine do not change it. Where the caller's recent sets of an exercise hurt, "
    "its milder option takes its place (list the exercise in `keep` to keep it); where "
    "it hurt and no milder option suits, a `caution`; after several easy, pain-free "
    "sessions, its harder option is proposed (list the exercise in `accept` to take it). "
    "A swapped-in option keeps the item's dose. `adjustments` says where and why. A retry "
    "with the same `id` returns the stored session (200, without `adjustments`).",
    request=RoutineStartSerializer,
    parameters=[
        LOCATION,
        OpenApiParameter(
            "ETag",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            response=[201],
            description="The new session's version, for If-Match on its first change.",
        ),
    ],
    responses={
        201: StartedSessionSerializer,
        200: OpenApiResponse(
            StartedSessionSerializer, description="A session with this id was already stored."
        ),
        409: ErrorResponse("The id is taken by another user.", "conflict"),
        410: ErrorResponse("A session with this id was deleted.", "gone"),
        422: ErrorResponse(
            "The routine plans more sets than a session may hold (`MAX_SETS_PER_SESSION`, "
            "200 by default); nothing was saved.",
            "unprocessable",
        ),
        429: ErrorResponse(
            "The account stored as many sessions in the last 24 hours "
            "(`MAX_SESSIONS_PER_DAY`, 200 by default) or started as many routines in the last "
            "hour (`MAX_ROUTINE_STARTS_PER_HOUR`, 20 by default) as it may; nothing was saved.",
            "quota_exceeded",
        ),
    },
)


stats_schema = extend_schema(
    operation_id="getMyStats",
    summary="My progress",
    description="Counted in the caller's time zone: sessions per week, the current and "
    "longest streak of weeks with a session, and per exercise the sets, reps and time "
    "held, left against right for one-sided exercises, and the pain trend over recent "
    "weeks. Only sets marked done count. `start` and `end` narrow it to those days.",
    parameters=[StatsQuerySerializer],
    responses={
        200: ProgressStatsSerializer,
        400: ErrorResponse("A bad `start` or `end`.", "invalid"),
    },
)


export_schema = extend_schema(
    operation_id="exportMyData",
    summary="Export my data",
    description="Everything the account has logged, as one JSON document, newest session "
    "first. It is streamed as the server reads it (no `Content-Length`), so that a large "
    "account's export starts at once; a connection that closes before the closing `]}` got "
    "only part of it. One export of an account is sent at a time.",
    parameters=[
        OpenApiParameter(
            "Content-Disposition",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            response=[200],
            description='`attachment; filename="hipflex-export-YYYY-MM-DD.json"`, the day of '
            "the export in the account's time zone.",
        )
    ],
    responses={
        200: ExportSerializer,
        429: ErrorResponse(
            "An export of this account is still being sent; retry once it has ended.",
            "throttled",
        ),
    },
)


_CLIENT_ID = OpenApiParameter(
    "id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description="The client's id as the trainer knows them: the id of their link, which is "
    "404 once either side ends it.",
)


coaching_client_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listClients",
        summary="List my clients",
        description="The people who share their log with the calling trainer, newest link "
        "first, each with adherence over the last 7 and 28 days, their last session, the "
        "worst pain by side in the last days and their open flags. Only trainers may call it.",
    ),
    retrieve=extend_schema(
        operation_id="getClient",
        summary="Get a client",
        description="The client's summary with their adherence over the last 28 days per "
        "exercise and side, the last eight weeks week by week (adherence, and the worst pain "
        "by side), and the changes to their programs proposed now.",
        parameters=[_CLIENT_ID],
        responses={200: CoachingClientDetailSerializer},
    ),
    destroy=extend_schema(
        operation_id="endClient",
        summary="Stop coaching a client",
        description="Ends the link at once: the client and everything they logged are 404 to "
        "the trainer from then on.",
        parameters=[_CLIENT_ID],
    ),
)


CLIENT_ID = OpenApiParameter(
    "client_id",
    OpenApiTypes.UUID,
    OpenApiParameter.PATH,
    description=_CLIENT_ID.description,
)


client_sessions_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listClientSessions",
        summary="List a client's sessions",
        description="The client's log, newest first, a cursor page at a time, read only: the "
        "sessions and sets as the client uploaded them, pain included (health data, which the "
        "client shares by their link).",
        parameters=[CLIENT_ID],
    )
)


_ASSIGNMENT_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The program's id."
)


_PROGRAM_IF_MATCH, _PROGRAM_ETAG = _versioned("program")


_PROGRAM_LIMITS = ErrorResponse(
    "The client has as many programs as they may (`MAX_ASSIGNMENTS_PER_CLIENT`, 20 by "
    "default), or the doses would plan more sets than a session may hold "
    "(`MAX_SETS_PER_SESSION`, 200 by default); nothing was saved.",
    "unprocessable",
)


client_assignment_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listClientAssignments",
        summary="List a client's programs",
        description="The programs the calling trainer prescribes to this client, earliest "
        "start first. Only the client's trainer sees them.",
        parameters=[CLIENT_ID],
    ),
    create=extend_schema(
        operation_id="createClientAssignment",
        summary="Prescribe a program",
        description="Assigns a routine (a published curated one, or one of the trainer's own) "
        "on a schedule: from `start_date` to `end_date` (left out: the routine's "
        "`program_weeks` later, or no end; null: no end), on `days_of_week` "
        "(every day unless given), `times_per_day` times. The routine's items with published "
        "exercises are copied with their dose, changed as `items` says, so a later edit of "
        "the routine does not change the program. The client sees it in their plan and "
        "their devices get it by sync.",
        request=AssignmentCreateSerializer,
        parameters=[CLIENT_ID, _PROGRAM_ETAG, LOCATION],
        responses={201: AssignmentSerializer, 422: _PROGRAM_LIMITS},
    ),
    retrieve=extend_schema(
        operation_id="getClientAssignment",
        summary="Get a client's program",
        parameters=[CLIENT_ID, _ASSIGNMENT_ID, IF_NONE_MATCH, _PROGRAM_ETAG],
        responses={
            200: AssignmentSerializer,
            304: OpenApiResponse(description="The ETag sent in If-None-Match is current."),
        },
    ),
    partial_update=extend_schema(
        operation_id="updateClientAssignment",
        summary="Change or pause a program",
        description="Changes the fields given: the schedule, the note, the dose of items named "
        "by position; `paused: true` pauses it from today (nothing is due until it resumes), "
        "`false` resumes it.",
        request=AssignmentChangeSerializer,
        parameters=[CLIENT_ID, _ASSIGNMENT_ID, _PROGRAM_IF_MATCH, _PROGRAM_ETAG],
        responses={200: AssignmentSerializer, 412: _STALE, 422: _PROGRAM_LIMITS},
    ),
    destroy=extend_schema(
        operation_id="deleteClientAssignment",
        summary="End a program",
        description="Ends it at once: it leaves the client's plan, and sync tells their "
        "devices. The sessions done for it keep its id. Ending a link ends its programs too.",
        parameters=[CLIENT_ID, _ASSIGNMENT_ID, _PROGRAM_IF_MATCH],
        responses={204: None, 412: _STALE},
    ),
)


my_assignment_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listMyAssignments",
        summary="List my programs",
        description="The programs the caller's trainers prescribe, while the caller shares "
        "their log with them, earliest start first.",
    ),
    retrieve=extend_schema(
        operation_id="getMyAssignment",
        summary="Get one of my programs",
        parameters=[_ASSIGNMENT_ID, IF_NONE_MATCH, _PROGRAM_ETAG],
        responses={
            200: AssignmentSerializer,
            304: OpenApiResponse(description="The ETag sent in If-None-Match is current."),
        },
    ),
)


assignment_start_schema = extend_schema(
    operation_id="startAssignment",
    summary="Start a session from a program",
    description="Creates a session with the program's sets planned (`done: false`, one per "
    "side of one-sided exercises) at the dose the trainer prescribes, for one time it is due: "
    "of `date` (by default the day `started_at` falls on, in the caller's time zone), the "
    "first time without a session unless `occurrence` names one. The session records the "
    "program and the time it fulfils. Advice is reported in `adjustments` but never applied "
    "(`applied: false`): changing the program is the trainer's call. A retry with the same "
    "`id` returns the stored session (200, without `adjustments`).",
    request=AssignmentStartSerializer,
    parameters=[
        _ASSIGNMENT_ID,
        LOCATION,
        OpenApiParameter(
            "ETag",
            OpenApiTypes.STR,
            OpenApiParameter.HEADER,
            response=[201],
            description="The new session's version, for If-Match on its first change.",
        ),
    ],
    responses={
        201: StartedSessionSerializer,
        200: OpenApiResponse(
            StartedSessionSerializer, description="A session with this id was already stored."
        ),
        400: ErrorResponse(
            "A bad body, or nothing of the program is due on `date`, or no such `occurrence`.",
            "invalid",
        ),
        409: ErrorResponse(
            "Every time the program is due that day (or the `occurrence` named) has a session "
            "already; or the id is taken by another user.",
            "occurrence_done",
            "conflict",
        ),
        410: ErrorResponse("A session with this id was deleted.", "gone"),
        422: ErrorResponse(
            "The program plans more sets than a session may hold; nothing was saved.",
            "unprocessable",
        ),
        429: ErrorResponse(
            "The account stored as many sessions in the last 24 hours "
            "(`MAX_SESSIONS_PER_DAY`, 200 by default) or started as many routines and programs "
            "in the last hour (`MAX_ROUTINE_STARTS_PER_HOUR`, 20 by default) as it may; "
            "nothing was saved.",
            "quota_exceeded",
        ),
    },
)


plan_schema = extend_schema(
    operation_id="getMyPlan",
    summary="My plan for a day",
    description="What the caller's programs ask of them on `date` (by default today, in the "
    "caller's time zone): each time a program is due, with its items, dose and the trainer's "
    "note, and whether a session fulfils it yet.",
    parameters=[PlanQuerySerializer],
    responses={200: PlanSerializer, 400: ErrorResponse("A bad `date`.", "invalid")},
)


review_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listReview",
        summary="Clients who need attention",
        description="The calling trainer's clients with open flags, most urgent first: "
        "`pain` (the worst first), `missed`, `low_adherence`, `inactive`; each with the "
        "flags' reasons and since when. The thresholds are the server's `REVIEW` settings. "
        "An acknowledged flag stays away until something new happens.",
    )
)


acknowledge_schema = extend_schema(
    operation_id="createAcknowledgement",
    summary="Acknowledge a flag",
    description="The trainer saw the flag (with a note, for the record): it leaves the "
    "queue until something new happens, such as a new painful session or another time "
    "missed. Acknowledging again moves the mark to now.",
    request=AcknowledgeSerializer,
    responses={
        204: None,
        404: ErrorResponse(
            "`client` names no client of the caller's: another trainer's, or a link that ended.",
            "not_found",
        ),
    },
)


client_proposal_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listClientProposals",
        summary="Proposed changes to a client's programs",
        description="What the client's sessions call for, exercise by exercise; the trainer "
        "decides. Pain at or above the advice's threshold in the last days proposes the "
        "exercise's milder option at once, naming the side when only one hurt; adherence of "
        "at least `REVIEW.PROGRESS_ADHERENCE` over `REVIEW.PROGRESS_DAYS` days with no pain "
        "above `REVIEW.PROGRESS_PAIN` proposes its harder option, never while any pain is "
        "recent. A declined change is not proposed again until a new session of it.",
        parameters=[CLIENT_ID],
    )
)


_PROPOSAL_GONE = ErrorResponse(
    "The change is not proposed now (the client's sessions changed it, or it was decided).",
    "conflict",
)


proposal_accept_schema = extend_schema(
    operation_id="acceptClientProposal",
    summary="Accept a proposed change",
    description="The program's item takes the suggested exercise, keeping its dose; the "
    "decision is kept as the program's history and the client's devices hear of it by "
    "sync. Answers with the changed program.",
    request=ProposalChoiceSerializer,
    parameters=[CLIENT_ID],
    responses={200: AssignmentSerializer, 409: _PROPOSAL_GONE},
)


proposal_decline_schema = extend_schema(
    operation_id="declineClientProposal",
    summary="Decline a proposed change",
    description="The program stays as it is, and the change is not proposed again until a "
    "new session of the exercise. Answers with the program.",
    request=ProposalChoiceSerializer,
    parameters=[CLIENT_ID],
    responses={200: AssignmentSerializer, 409: _PROPOSAL_GONE},
)
