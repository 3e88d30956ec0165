from rest_framework.routers import SimpleRouter

from .views import EquipmentViewSet, ExerciseViewSet, MuscleViewSet, RoutineViewSet

router = SimpleRouter()
router.register("exercises", ExerciseViewSet, basename="exercise")
router.register("muscles", MuscleViewSet, basename="muscle")
router.register("equipment", EquipmentViewSet, basename="equipment")
router.register("routines", RoutineViewSet, basename="routine")

urlpatterns = router.urls
