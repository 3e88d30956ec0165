from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import SyncView, WorkoutSessionViewSet

router = SimpleRouter()
router.register("sessions", WorkoutSessionViewSet, basename="session")

urlpatterns = [*router.urls, path("sync/", SyncView.as_view(), name="sync")]
