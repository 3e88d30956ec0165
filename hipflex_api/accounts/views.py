from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from hipflex_api.serializers import ErrorSerializer

from . import services
from .auth import JWTAuthentication
from .models import User
from .serializers import (
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    ProfileSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenPairSerializer,
    refresh_token_revoked,
    token_pair_for,
)
from .throttles import (
    LoginAccountThrottle,
    LoginIPThrottle,
    PasswordGuessThrottle,
    RegisterThrottle,
)

_BAD_CREDENTIALS = OpenApiResponse(ErrorSerializer, description="Wrong email or password.")
_BAD_TOKEN = OpenApiResponse(ErrorSerializer, description="The token is invalid or expired.")


class AuthViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []
    serializer_class = RegisterSerializer

    def get_authenticate_header(self, request: Request) -> str:
        # Without authenticators DRF would turn logout's 401 for a bad token into a 403.
        return JWTAuthentication().authenticate_header(request)

    @extend_schema(
        summary="Create an account",
        description="Django's password rules apply. Answers with the new profile and a first "
        "token pair, so the app is logged in at once.",
        request=RegisterSerializer,
        responses={201: RegisteredSerializer},
    )
    @action(detail=False, methods=["post"], throttle_classes=[RegisterThrottle])
    def register(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        body = {"user": ProfileSerializer(user).data, **token_pair_for(user)}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Log out",
        description="Revokes the refresh token, so it can no longer be traded for access "
        "tokens; logging out again with it succeeds too. Access tokens already issued expire "
        "on their own within minutes.",
        request=LogoutSerializer,
        responses={204: None, 401: _BAD_TOKEN},
    )
    @action(detail=False, methods=["post"])
    def logout(self, request: Request) -> Response:
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        raw = serializer.validated_data["refresh"]
        try:
            RefreshToken(raw).blacklist()
        except TokenError as exc:
            # A retried logout, whose first answer was lost, finds its work already done.
            if not refresh_token_revoked(raw):
                raise InvalidToken(exc.args[0]) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    summary="Log in",
    description="Trades an email and password for an access and refresh token pair. Attempts "
    "are limited per address, and failed attempts per account.",
    responses={200: TokenPairSerializer, 401: _BAD_CREDENTIALS},
)
class TokenObtainView(jwt_views.TokenObtainPairView):
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            LoginAccountThrottle().record_failure(request, self)
            raise


@extend_schema(
    summary="Refresh tokens",
    description="Trades a refresh token for a new pair. The old refresh token is revoked: keep "
    "the new one.",
    responses={200: TokenPairSerializer, 401: _BAD_TOKEN},
)
class TokenRefreshView(jwt_views.TokenRefreshView):
    pass


@extend_schema_view(
    retrieve=extend_schema(summary="Get my profile"),
    partial_update=extend_schema(summary="Change my profile"),
    destroy=extend_schema(
        summary="Delete my account",
        description="Deletes the account and everything it logged, for good. The body confirms "
        "the password.",
        request=PasswordConfirmSerializer,
        responses={
            204: None,
            400: OpenApiResponse(ErrorSerializer, description="The password is not correct."),
        },
    ),
)
class MeViewSet(
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = User.objects.all()
    serializer_class = ProfileSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_throttles(self) -> list[Any]:
        if self.action in {"destroy", "password"}:
            return [PasswordGuessThrottle()]
        return super().get_throttles()

    def _check_password(self, serializer: Serializer[Any], field: str) -> None:
        """Validate, counting a wrong password against the account like a failed login."""
        if not serializer.is_valid() and field in serializer.errors:
            PasswordGuessThrottle().record_failure(self.request, self)
        serializer.is_valid(raise_exception=True)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = PasswordConfirmSerializer(data=request.data, context={"request": request})
        self._check_password(serializer, "password")
        services.user_delete(user=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Change my password",
        description="Needs the current password. Every device is logged out; the answer holds "
        "a fresh token pair for this one.",
        request=PasswordChangeSerializer,
        responses={200: TokenPairSerializer},
    )
    @action(detail=False, methods=["post"])
    def password(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        self._check_password(serializer, "old_password")
        user = self.get_object()
        services.user_change_password(user=user, password=serializer.validated_data["new_password"])
        return Response(token_pair_for(user))
