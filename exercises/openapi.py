"""The catalog's OpenAPI text: summaries, descriptions, examples and the unusual responses,
so that views.py reads as behaviour."""

from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
)

from hipflex_api.schema import ErrorResponse

from .serializers import (
    ExerciseMediaSerializer,
    MediaUploadSerializer,
    RoutineSerializer,
)

KING_RUNNER_EXAMPLE = {
    "slug": "king-runner",
    "name": "King Runner",
    "kind": "stretch",
    "summary": "A deeper version of the Half-Kneeling Stretch that also reaches the hip flexor "
    "running across the knee.",
    "difficulty": 2,
    "unilateral": True,
    "prescription": {
        "sets": None,
        "reps_per_side": None,
        "hold_seconds": None,
        "note": "No set time or count: stay while the stretch feels strong but never painful.",
    },
    "steps": [
        "Kneel with your back to a wall and rest one shin upright against it.",
        "Bring that knee in as close to the wall as you can.",
        "Bring the other foot forward and plant it, so you are half-kneeling.",
        "When you can, sit your torso up a little taller.",
    ],
    "cues": ["Aim for a stretch you could laugh through, not one that makes you wince."],
    "cautions": [
        "Pain means switch: go back to the Half-Kneeling Stretch, its milder version.",
        "Close any gap between knee and wall; otherwise your weight lands on the kneecap, "
        "and that hurts.",
    ],
    "setup_notes": ["Use a wall, or the back of a couch, to hold your shin upright."],
    "muscles": [
        {
            "slug": "rectus-femoris",
            "name": "Rectus femoris",
            "role": "primary",
            "attaches_lumbar_spine": False,
            "crosses_knee": True,
        },
        {
            "slug": "iliacus",
            "name": "Iliacus",
            "role": "secondary",
            "attaches_lumbar_spine": False,
            "crosses_knee": False,
        },
        {
            "slug": "psoas-major",
            "name": "Psoas major",
            "role": "secondary",
            "attaches_lumbar_spine": True,
            "crosses_knee": False,
        },
    ],
    "equipment": [{"slug": "wall-or-couch", "name": "Wall or couch", "optional": False}],
    "milder_options": [{"slug": "half-kneeling-stretch", "name": "Half-Kneeling Stretch"}],
    "harder_options": [],
    "aliases": ["Couch stretch"],
    "media": [],
    "published": True,
    "created_at": "2026-11-26T09:00:00Z",
    "updated_at": "2026-11-26T09:00:00Z",
}


_PUBLISHING = (
    " Publishing needs at least one step, a primary muscle, a dose (sets, reps or a hold, or a "
    "note where there is no number), a safety caution, and the exercise's milder options "
    "published first; a milder option stays published while a harder one is. Otherwise the "
    "write is a 400 on `published` naming what is missing, and nothing is saved."
)

exercise_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listExercises",
        summary="List exercises",
        description="Published exercises, a page at a time, with filters, text search and "
        "ordering. Trainers also see drafts. Readable without an account.",
    ),
    retrieve=extend_schema(
        operation_id="getExercise",
        summary="Get an exercise",
        description="Everything an app needs to show and coach one exercise: steps, cues, "
        "cautions, muscles, equipment, the default prescription, and milder and harder options.",
        examples=[OpenApiExample("King Runner", value=KING_RUNNER_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        operation_id="createExercise",
        summary="Add an exercise",
        description="Trainers only (the `add_exercise` permission). Lists of steps, muscles and "
        "the rest are saved with the exercise, all or nothing." + _PUBLISHING,
    ),
    update=extend_schema(
        operation_id="replaceExercise",
        summary="Replace an exercise",
        description="Trainers only. Every list left out of the body is emptied; other "
        "fields left out keep their values." + _PUBLISHING,
    ),
    partial_update=extend_schema(
        operation_id="updateExercise",
        summary="Change part of an exercise",
        description="Trainers only. A list in the body replaces that list; lists left out stay."
        + _PUBLISHING,
    ),
    destroy=extend_schema(
        operation_id="deleteExercise",
        summary="Delete an exercise",
        description="Trainers only. One that routines or logs still use is refused (409): "
        "unpublish it instead.",
        responses={
            204: None,
            409: ErrorResponse("Routines or workout logs still use it.", "conflict"),
        },
    ),
)


muscle_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listMuscles",
        summary="List muscles",
        description="Muscles that exercises target.",
    ),
    retrieve=extend_schema(
        operation_id="getMuscle",
        summary="Get a muscle",
        description="One muscle, with whether it attaches at the lumbar spine or crosses the knee.",
    ),
)


equipment_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listEquipment",
        summary="List equipment",
        description="What exercises need at hand.",
    ),
    retrieve=extend_schema(
        operation_id="getEquipment",
        summary="Get a piece of equipment",
        description="One piece of equipment, by its slug.",
    ),
)


routine_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listRoutines",
        summary="List routines",
        description="Published curated routines and, when signed in, the caller's own.",
    ),
    retrieve=extend_schema(
        operation_id="getRoutine",
        summary="Get a routine",
        description="Its items in order, each with this routine's prescription, and an "
        "estimated duration.",
    ),
    create=extend_schema(
        operation_id="createRoutine",
        summary="Create a routine",
        description="A private routine for the caller; items are saved with it, all or nothing.",
    ),
    update=extend_schema(
        operation_id="replaceRoutine",
        summary="Replace a routine",
        description="The caller's own (or, for trainers, a curated one). Items are replaced in "
        "the order sent.",
    ),
    partial_update=extend_schema(
        operation_id="updateRoutine",
        summary="Change part of a routine",
        description="`items`, when given, replaces every item; reorder by sending them in the "
        "new order or with new positions.",
    ),
    destroy=extend_schema(
        operation_id="deleteRoutine",
        summary="Delete a routine",
        description="The caller's own only.",
    ),
)


copy_schema = extend_schema(
    operation_id="copyRoutine",
    summary="Copy a routine",
    description="A private, editable copy for the caller.",
    request=None,
    responses={
        201: RoutineSerializer,
        400: ErrorResponse("The routine is not published.", "invalid"),
    },
)


upload_media_schema = extend_schema(
    operation_id="uploadExerciseImage",
    summary="Upload an image of an exercise",
    description="Trainers only (the `change_exercise` permission). A JPEG, PNG or WebP image, "
    "sent as `multipart/form-data` with its licence and whom to credit, joins the end of the "
    "exercise's media. The server reads the file itself (its name and declared type are not "
    "trusted), turns it upright, and removes its EXIF, location included. Its `thumbnail` and "
    "`phone` renditions are made in the background: `renditions` lists them once they are made "
    "(empty in this answer when a worker makes them), and making them moves the catalog's "
    "version, so the exercise's ETag tells an app to fetch it again.",
    request={"multipart/form-data": MediaUploadSerializer},
    responses={
        201: ExerciseMediaSerializer,
        400: ErrorResponse(
            "Not an image taken (its format, size, sides or a damaged file; `errors` says "
            "which), or a field missing.",
            "invalid",
        ),
        422: ErrorResponse("The exercise holds as many media items as it may.", "unprocessable"),
        503: ErrorResponse(
            "The media store did not answer; nothing was kept. Send it again after "
            "`Retry-After` seconds.",
            "storage_unavailable",
        ),
        507: ErrorResponse("The media store is full; nothing was kept.", "storage_full"),
    },
)

delete_media_schema = extend_schema(
    operation_id="deleteExerciseMedia",
    summary="Delete a media item of an exercise",
    description="Trainers only. The item leaves the exercise's media at once; an uploaded "
    "image's files, renditions included, are deleted from the store after that.",
    parameters=[
        OpenApiParameter(
            "media_id", int, OpenApiParameter.PATH, description="The media item's `id`."
        )
    ],
    request=None,
    responses={204: None},
)
