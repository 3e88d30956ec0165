from django.urls import path
from rest_framework.routers import SimpleRouter

from hipflex_api.fields import UUID_PATTERN

from .views import (
    ClientAssignmentViewSet,
    ClientProposalViewSet,
    ClientSessionViewSet,
    CoachingClientViewSet,
    ExerciseAdviceViewSet,
    MyAssignmentViewSet,
    MyDataViewSet,
    ReviewViewSet,
    RoutineStartViewSet,
    SyncView,
    WorkoutSessionViewSet,
)

router = SimpleRouter()
router.register("sessions", WorkoutSessionViewSet, basename="session")
# Session behaviour under catalog URLs: the catalog's own routes are in exercises/urls.py.
router.register("exercises", ExerciseAdviceViewSet, basename="exercise")
router.register("routines", RoutineStartViewSet, basename="routine")
# What a trainer follows of the clients who share their log with them.
router.register("coaching/clients", CoachingClientViewSet, basename="coaching-client")
router.register(
    f"coaching/clients/(?P<client_id>{UUID_PATTERN})/sessions",
    ClientSessionViewSet,
    basename="client-session",
)
router.register(
    f"coaching/clients/(?P<client_id>{UUID_PATTERN})/assignments",
    ClientAssignmentViewSet,
    basename="client-assignment",
)
router.register(
    f"coaching/clients/(?P<client_id>{UUID_PATTERN})/proposals",
    ClientProposalViewSet,
    basename="client-proposal",
)
router.register("coaching/review", ReviewViewSet, basename="coaching-review")
# The programs the caller's trainers prescribe.
router.register("me/assignments", MyAssignmentViewSet, basename="my-assignment")

urlpatterns = [
    *router.urls,
    path("sync/", SyncView.as_view(), name="sync"),
    path("me/stats/", MyDataViewSet.as_view({"get": "stats"}), name="me-stats"),
    path("me/export/", MyDataViewSet.as_view({"get": "export"}), name="me-export"),
    path("me/plan/", MyDataViewSet.as_view({"get": "plan"}), name="me-plan"),
]
