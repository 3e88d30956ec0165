from typing import Any

from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from . import openapi, services
from .auth import JWTAuthentication
from .models import User
from .serializers import (
    LogoutSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    ProfileSerializer,
    RegisterSerializer,
    refresh_token_revoked,
    token_pair_for,
)
from .throttles import (
    LoginAccountThrottle,
    LoginIPThrottle,
    PasswordGuessThrottle,
    RegisterThrottle,
)


class AuthViewSet(viewsets.GenericViewSet):
    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []
    serializer_class = RegisterSerializer

    def get_authenticate_header(self, request: Request) -> str:
        # Without authenticators DRF would turn logout's 401 for a bad token into a 403.
        return JWTAuthentication().authenticate_header(request)

    @openapi.register_schema
    @action(detail=False, methods=["post"], throttle_classes=[RegisterThrottle])
    def register(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        user = serializer.save()
        body = {"user": ProfileSerializer(user).data, **token_pair_for(user)}
        return Response(body, status=status.HTTP_201_CREATED)

    @openapi.logout_schema
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


@openapi.token_obtain_schema
class TokenObtainView(jwt_views.TokenObtainPairView):
    throttle_classes = [LoginIPThrottle, LoginAccountThrottle]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            LoginAccountThrottle().record_failure(request, self)
            raise


@openapi.token_refresh_schema
class TokenRefreshView(jwt_views.TokenRefreshView):
    pass


@openapi.me_schema
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

    @openapi.password_schema
    @action(detail=False, methods=["post"])
    def password(self, request: Request) -> Response:
        serializer = PasswordChangeSerializer(data=request.data, context={"request": request})
        self._check_password(serializer, "old_password")
        user = self.get_object()
        services.user_change_password(user=user, password=serializer.validated_data["new_password"])
        return Response(token_pair_for(user))
