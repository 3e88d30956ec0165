from rest_framework.routers import SimpleRouter

from .views import EquipmentViewSet, ExerciseViewSet, MuscleViewSet

router = SimpleRouter()
router.register("exercises", ExerciseViewSet, basename="exercise")
router.register("muscles", MuscleViewSet, basename="muscle")
router.register("equipment", EquipmentViewSet, basename="equipment")

urlpatterns = router.urls
