from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer

from hipflex_api.accounts.auth import request_user
from hipflex_api.accounts.scopes import Scope, ScopeRule
from hipflex_api.fields import columns_of
from hipflex_api.parsers import MultiPartParser

from . import limits, openapi, services
from .catalog_cache import CatalogCacheMixin
from .filters import ExerciseFilter, RoutineFilter
from .limits import SLUG_PATTERN
from .models import (
    Equipment,
    Exercise,
    Muscle,
    Routine,
    RoutineItem,
)
from .permissions import EditsExercises, RoutinePermission
from .serializers import (
    EquipmentSerializer,
    ExerciseMediaSerializer,
    ExerciseSerializer,
    ExerciseSummarySerializer,
    MediaUploadSerializer,
    MuscleSerializer,
    RoutineItemSerializer,
    RoutineSerializer,
)


@openapi.exercise_schema
class ExerciseViewSet(CatalogCacheMixin, viewsets.ModelViewSet):
    queryset = Exercise.objects.all()
    serializer_class = ExerciseSerializer
    permission_classes = [permissions.DjangoModelPermissionsOrAnonReadOnly]
    # Apps read the catalog; trainers write it with their own clients.
    app_scopes = ScopeRule(read=Scope.CATALOG_READ)
    filterset_class = ExerciseFilter
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN
    # An image and its texts, with room for the multipart body's own headers.
    upload_max_bytes = limits.IMAGE_MAX_BYTES + 64 * 1024

    def get_queryset(self) -> QuerySet[Exercise]:
        queryset = Exercise.objects.visible_to(self.request.user)
        if self.action == "list":
            return queryset
        return queryset.with_details(self.request.user)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        if self.action == "list":
            return ExerciseSummarySerializer
        return ExerciseSerializer

    @openapi.upload_media_schema
    @action(
        detail=True,
        methods=["post"],
        url_path="media",
        parser_classes=[MultiPartParser],
        permission_classes=[EditsExercises],
    )
    def upload_media(self, request: Request, slug: str | None = None) -> Response:
        exercise = self.get_object()
        upload = MediaUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        fields = dict(upload.validated_data)
        file = fields.pop("file")
        media = services.media_upload(exercise=exercise, upload=file, size=file.size, fields=fields)
        answer = ExerciseMediaSerializer(media, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @openapi.delete_media_schema
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"media/(?P<media_id>[0-9]+)",
        permission_classes=[EditsExercises],
    )
    def delete_media(
        self, request: Request, slug: str | None = None, media_id: str = ""
    ) -> Response:
        media = get_object_or_404(self.get_object().media, pk=int(media_id))
        services.media_delete(media=media)
        return Response(status=status.HTTP_204_NO_CONTENT)


@openapi.muscle_schema
class MuscleViewSet(CatalogCacheMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Muscle.objects.all()
    serializer_class = MuscleSerializer
    permission_classes = [permissions.AllowAny]
    app_scopes = ScopeRule(read=Scope.CATALOG_READ)
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


@openapi.equipment_schema
class EquipmentViewSet(CatalogCacheMixin, viewsets.ReadOnlyModelViewSet):
    queryset = Equipment.objects.all()
    serializer_class = EquipmentSerializer
    permission_classes = [permissions.AllowAny]
    app_scopes = ScopeRule(read=Scope.CATALOG_READ)
    lookup_field = "slug"
    lookup_value_regex = SLUG_PATTERN


@openapi.routine_schema
class RoutineViewSet(viewsets.ModelViewSet):
    queryset = Routine.objects.all()
    serializer_class = RoutineSerializer
    permission_classes = [RoutinePermission]
    filterset_class = RoutineFilter
    # A person's own routines are written with their own clients.
    app_scopes = ScopeRule(read=Scope.CATALOG_READ)

    def get_queryset(self) -> QuerySet[Routine]:
        # The columns the items show, and the exercise's slug that stands for it.
        items = (
            RoutineItem.objects.visible_to(self.request.user)
            .select_related("exercise")
            .only("routine_id", *columns_of(RoutineItemSerializer), "exercise__slug")
        )
        # One query for the items of the whole page and their exercises.
        return Routine.objects.visible_to(self.request.user).prefetch_related(
            Prefetch("items", items)
        )

    @openapi.copy_schema
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated])
    def copy(self, request: Request, pk: str | None = None) -> Response:
        routine = services.routine_check_usable(routine=self.get_object())
        copy = services.routine_copy(routine=routine, owner=request_user(request))
        fresh = self.get_queryset().get(pk=copy.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)
