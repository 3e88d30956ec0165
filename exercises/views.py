from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from hipflex_api.accounts.auth import request_user
from hipflex_api.fields import columns_of
from hipflex_api.serializers import ErrorSerializer

from . import services
from .catalog_cache import CatalogCacheMixin
from .filters import ExerciseFilter, RoutineFilter
from .models import (
    Equipment,
    Exercise,
    ExerciseEquipment,
    ExerciseMuscle,
    Muscle,
    Routine,
    RoutineItem,
)
from .permissions import RoutinePermission
from .serializers import (
    EquipmentSerializer,
    ExerciseSerializer,
    ExerciseSummarySerializer,
    MuscleSerializer,
    RoutineItemSerializer,
    RoutineSerializer,
)

# Anything else under these URLs (a NUL byte, say) is a 404 before it reaches the database.
SLUG_PATTERN = "[-a-zA-Z0-9_]+"

KING_RUNNER_EXAMPLE = {
    "slug": "king-runner",
    "name": "King Runner",
    "kind": "stretch",
    "summary": "A deeper version of the Half-Kneeling Stretch that also reaches the hip flexor "
    "running across the knee.",
    "difficulty": 2,
    "unilateral": True,
    "prescription": {"sets": None, "reps_per_side": None, "hold_seconds": None, "note": ""},
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


@extend_schema_view(
    list=extend_schema(
        summary="List exercises",
        description="Published exercises, a page at a time, with filters, text search and "
        "ordering. Trainers also see drafts. Readable without an account.",
    ),
    retrieve=extend_schema(
        summary="Get an exercise",
        description="Everything an app needs to show and coach one exercise: steps, cues, "
        "cautions, muscles, equipment, the default prescription, and milder and harder options.",
        examples=[OpenApiExample("King Runner", value=KING_RUNNER_EXAMPLE, response_only=True)],
    ),
    create=extend_schema(
        summary="Add an exercise",
        description="Trainers only (the `add_exercise` permission). Lists of steps, muscles and "
        "the rest are saved with the exercise, all or nothing.",
    ),
    update=extend_schema(
        summary="Replace an exercise",
        description="Trainers only. Every list left out of the body is emptied; other "
        "fields left out keep their values.",
    ),
    partial_update=extend_schema(
        summary="Change part of an exercise",
        description="Trainers only. A list in the body replaces that list; lists left out stay.",
    ),
    destroy=extend_schema(
        summary="Delete an exercise",
        description="Trainers only. One that routines or logs still use is refused (409): "
        "unpublish it instead.",
        responses={
            204: None,
            409: OpenApiResponse(
                ErrorSerializer, description="Routines or workout logs still use it."
            ),
        },
    ),
)
class ExerciseViewSet(CatalogCacheMixin, viewsets.ModelViewSet):
    queryset = Exercise.objects.all()
    serializer_class = ExerciseSerializer
    permission_classes = [permissions.DjangoModelPermissionsOrAnonReadOnly]
    filterset_class = ExerciseFilter
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN

    def get_queryset(self) -> QuerySet[Exercise]:
        queryset = Exercise.objects.visible_to(self.request.user)
        if self.action == "list":
            return queryset
        options = Exercise.objects.visible_to(self.request.user).only("slug", "name")
        # One query per related list instead of one per exercise row and list.
        return queryset.prefetch_related(
            "steps",
            "cues",
            "cautions",
            "setup_notes",
            "aliases",
            "media",
            Prefetch("muscle_links", ExerciseMuscle.objects.select_related("muscle")),
            Prefetch("equipment_links", ExerciseEquipment.objects.select_related("equipment")),
            Prefetch("milder_options", options),
            Prefetch("harder_options", options),
        )

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return ExerciseSummarySerializer
        return ExerciseSerializer


@extend_schema_view(
    list=extend_schema(summary="List muscles", description="Muscles that exercises target."),
    retrieve=extend_schema(
        summary="Get a muscle",
        description="One muscle, with whether it attaches at the lumbar spine or crosses the knee.",
    ),
)
class MuscleViewSet(CatalogCacheMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Muscle.objects.all()
    serializer_class = MuscleSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


@extend_schema_view(
    list=extend_schema(summary="List equipment", description="What exercises need at hand."),
    retrieve=extend_schema(
        summary="Get a piece of equipment", description="One piece of equipment, by its slug."
    ),
)
class EquipmentViewSet(CatalogCacheMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Equipment.objects.all()
    serializer_class = EquipmentSerializer
    permission_classes = [permissions.AllowAny]
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


@extend_schema_view(
    list=extend_schema(
        summary="List routines",
        description="Published curated routines and, when signed in, the caller's own.",
    ),
    retrieve=extend_schema(
        summary="Get a routine",
        description="Its items in order, each with this routine's prescription, and an "
        "estimated duration.",
    ),
    create=extend_schema(
        summary="Create a routine",
        description="A private routine for the caller; items are saved with it, all or nothing.",
    ),
    update=extend_schema(
        summary="Replace a routine",
        description="The caller's own (or, for trainers, a curated one). Items are replaced in "
        "the order sent.",
    ),
    partial_update=extend_schema(
        summary="Change part of a routine",
        description="`items`, when given, replaces every item; reorder by sending them in the "
        "new order or with new positions.",
    ),
    destroy=extend_schema(summary="Delete a routine", description="The caller's own only."),
)
class RoutineViewSet(viewsets.ModelViewSet):
    queryset = Routine.objects.all()
    serializer_class = RoutineSerializer
    permission_classes = [RoutinePermission]
    filterset_class = RoutineFilter

    def get_queryset(self) -> QuerySet[Routine]:
        # The columns the items show; the exercise's slug stands in for its id.
        items = (
            RoutineItem.objects.visible_to(self.request.user)
            .select_related("exercise")
            .only("routine_id", *columns_of(RoutineItemSerializer), "exercise__slug")
        )
        # One query for the items of the whole page and their exercises.
        return Routine.objects.visible_to(self.request.user).prefetch_related(
            Prefetch("items", items)
        )

    @extend_schema(
        summary="Copy a routine",
        description="A private, editable copy for the caller.",
        request=None,
        responses={
            201: RoutineSerializer,
            400: OpenApiResponse(ErrorSerializer, description="The routine is not published."),
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def copy(self, request: Request, pk: str | None = None) -> Response:
        routine = services.routine_check_usable(routine=self.get_object())
        copy = services.routine_copy(routine=routine, owner=request_user(request))
        fresh = self.get_queryset().get(pk=copy.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)
