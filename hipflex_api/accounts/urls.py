from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import (
    AuthViewSet,
    CoachingInvitationViewSet,
    MeViewSet,
    MyConnectionViewSet,
    MyPersonalTokenViewSet,
    MyTrainerViewSet,
    TokenObtainView,
    TokenRefreshView,
)

router = SimpleRouter()
router.register("auth", AuthViewSet, basename="auth")
router.register("coaching/invitations", CoachingInvitationViewSet, basename="invitation")
router.register("me/trainers", MyTrainerViewSet, basename="my-trainer")
router.register("me/connections", MyConnectionViewSet, basename="my-connection")
router.register("me/tokens", MyPersonalTokenViewSet, basename="my-token")

me = MeViewSet.as_view({"get": "retrieve", "patch": "partial_update", "delete": "destroy"})

urlpatterns = [
    *router.urls,
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("me/", me, name="me"),
    path("me/password/", MeViewSet.as_view({"post": "password"}), name="me-password"),
    path("me/email/", MeViewSet.as_view({"post": "email"}), name="me-email"),
]
