from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import Serializer
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from hipflex_api.fields import UUID_PATTERN

from . import openapi, services
from .auth import JWTAuthentication, request_user
from .models import App, CoachingInvitation, CoachingLink, PersonalToken, User
from .permissions import Coaches
from .scopes import Scope, ScopeRule
from .serializers import (
    CHANGE_MAILED,
    CONFIRMATION_MAILED,
    REGISTERED,
    RESET_MAILED,
    ConnectionSerializer,
    EmailChangeSerializer,
    EmailSerializer,
    InvitationRedeemSerializer,
    InvitationSerializer,
    LinkedTrainerSerializer,
    LogoutSerializer,
    MailedTokenSerializer,
    PasswordChangeSerializer,
    PasswordConfirmSerializer,
    PasswordResetConfirmSerializer,
    PersonalTokenCreatedSerializer,
    PersonalTokenRequestSerializer,
    PersonalTokenSerializer,
    ProfileSerializer,
    RegisterSerializer,
    refresh_token_revoked,
    token_pair_for,
)
from .throttles import (
    INVITATION_CODE_FAILURES,
    LOGIN_FAILURES,
    PASSWORD_CHECK_FAILURES,
    EmailChangeThrottle,
    LoginIPThrottle,
    MailIPThrottle,
    MailQuota,
    RegisterThrottle,
    TokenIPThrottle,
    record_failures,
)


def _accepted(detail: str) -> Response:
    return Response({"detail": detail}, status=status.HTTP_202_ACCEPTED)


def _valid(serializer_class: type[Serializer[Any]], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _may_mail(request: Request, view: Any, scope: str, field: str = "email") -> bool:
    """Whether the address in `field` may get this kind of mail now (MailQuota)."""
    return MailQuota.allows(request, view, scope, field)


@contextmanager
def _counting_token_failures(request: Request, view: Any) -> Iterator[None]:
    try:
        yield
    except services.InvalidAccountToken:
        TokenIPThrottle().record_failure(request, view)
        raise


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
        data = _valid(RegisterSerializer, request)
        services.user_register(**data, mail=_may_mail(request, self, "register_address"))
        return _accepted(REGISTERED)

    @openapi.password_reset_schema
    @action(
        detail=False,
        methods=["post"],
        url_path="password-reset",
        throttle_classes=[MailIPThrottle],
    )
    def password_reset(self, request: Request) -> Response:
        email = _valid(EmailSerializer, request)["email"]
        if _may_mail(request, self, "reset_address"):
            services.password_reset_request(email=email)
        return _accepted(RESET_MAILED)

    @openapi.password_reset_confirm_schema
    @action(
        detail=False,
        methods=["post"],
        url_path="password-reset/confirm",
        throttle_classes=[TokenIPThrottle],
    )
    def password_reset_confirm(self, request: Request) -> Response:
        with _counting_token_failures(request, self):
            data = _valid(PasswordResetConfirmSerializer, request)
            user = services.password_reset_confirm(
                token=data["token"], password=data["new_password"]
            )
        return Response(token_pair_for(user))

    @openapi.verify_email_schema
    @action(
        detail=False, methods=["post"], url_path="verify-email", throttle_classes=[TokenIPThrottle]
    )
    def verify_email(self, request: Request) -> Response:
        with _counting_token_failures(request, self):
            services.email_confirm(token=_valid(MailedTokenSerializer, request)["token"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    @openapi.verify_email_resend_schema
    @action(
        detail=False,
        methods=["post"],
        url_path="verify-email/resend",
        throttle_classes=[MailIPThrottle],
    )
    def verify_email_resend(self, request: Request) -> Response:
        email = _valid(EmailSerializer, request)["email"]
        if _may_mail(request, self, "confirmation_address"):
            services.email_verification_resend(email=email)
        return _accepted(CONFIRMATION_MAILED)

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
    throttle_classes = [LoginIPThrottle, *LOGIN_FAILURES]

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return super().post(request, *args, **kwargs)
        except AuthenticationFailed:
            record_failures(request, self, *LOGIN_FAILURES)
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
    # Apps may read the profile; changing it, the password or the address, or deleting the
    # account, is for the person's own clients.
    app_scopes = ScopeRule(actions={"retrieve": Scope.PROFILE_READ})

    def get_object(self) -> User:
        return self.request.user  # type: ignore[return-value]

    def get_throttles(self) -> list[Any]:
        checks = [throttle() for throttle in PASSWORD_CHECK_FAILURES]
        if self.action in {"destroy", "password"}:
            return checks
        if self.action == "email":
            return [*checks, EmailChangeThrottle()]
        return super().get_throttles()

    def _check_password(self, serializer: Serializer[Any], field: str) -> None:
        """Validate, counting a wrong password against the account like a failed login."""
        if not serializer.is_valid() and field in serializer.errors:
            record_failures(self.request, self, *PASSWORD_CHECK_FAILURES)
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

    @openapi.email_change_schema
    @action(detail=False, methods=["post"])
    def email(self, request: Request) -> Response:
        serializer = EmailChangeSerializer(data=request.data, context={"request": request})
        self._check_password(serializer, "password")
        if _may_mail(request, self, "change_address", "new_email"):
            services.email_change_request(
                user=self.get_object(), new_email=serializer.validated_data["new_email"]
            )
        return _accepted(CHANGE_MAILED)


@openapi.invitation_schema
class CoachingInvitationViewSet(
    mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    """/coaching/invitations/: a trainer's codes that no client has used yet."""

    queryset = CoachingInvitation.objects.all()
    serializer_class = InvitationSerializer
    permission_classes = [permissions.IsAuthenticated, Coaches]

    def get_queryset(self) -> QuerySet[CoachingInvitation]:
        mine = CoachingInvitation.objects.filter(
            trainer=request_user(self.request), redeemed_at=None
        )
        if self.action == "list":
            return mine.filter(expires_at__gt=timezone.now())
        return mine  # Withdrawing one that has expired is fine too.

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        invitation, code = services.coaching_invitation_create(trainer=request_user(request))
        data = InvitationSerializer(invitation, context={"code": code}).data
        return Response(data, status=status.HTTP_201_CREATED)


@openapi.my_trainers_schema
class MyTrainerViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """/me/trainers/: the trainers the caller shares their log with, by their consent."""

    queryset = CoachingLink.objects.all()
    serializer_class = LinkedTrainerSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[CoachingLink]:
        links = CoachingLink.objects.select_related("trainer")  # The name, in one query.
        if self.action == "destroy":
            # Ending a link ended already (a retry, or the trainer ended it) is done already.
            return links.filter(client=request_user(self.request))
        return links.for_client(request_user(self.request))

    def get_throttles(self) -> list[Any]:
        if self.action == "create":
            return [throttle() for throttle in INVITATION_CODE_FAILURES]
        return super().get_throttles()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        code = _valid(InvitationRedeemSerializer, request)["code"]
        try:
            link, created = services.coaching_invitation_redeem(
                client=request_user(request), code=code
            )
        except services.InvitationNotValid:
            record_failures(request, self, *INVITATION_CODE_FAILURES)
            raise
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.get_serializer(link).data, status=answer)

    def perform_destroy(self, instance: CoachingLink) -> None:
        services.coaching_link_end(link=instance, by=CoachingLink.EndedBy.CLIENT)


@openapi.my_connections_schema
class MyConnectionViewSet(mixins.ListModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet):
    """/me/connections/: the third-party apps the caller connected, and disconnecting one."""

    queryset = App.objects.none()  # For the schema: the list is services.connections_of's.
    serializer_class = ConnectionSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[0-9]{1,18}"

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        connections = services.connections_of(user=request_user(request))
        page = self.paginate_queryset(connections)  # type: ignore[arg-type,var-annotated]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not services.connection_revoke(user=request_user(request), app_id=int(kwargs["id"])):
            raise NotFound("You have not connected an app of this id.")
        return Response(status=status.HTTP_204_NO_CONTENT)


@openapi.my_tokens_schema
class MyPersonalTokenViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """/me/tokens/: the caller's personal access tokens, for their own scripts."""

    queryset = PersonalToken.objects.all()
    serializer_class = PersonalTokenSerializer
    permission_classes = [permissions.IsAuthenticated]
    lookup_url_kwarg = "id"
    lookup_value_regex = UUID_PATTERN

    def get_queryset(self) -> QuerySet[PersonalToken]:
        return PersonalToken.objects.filter(user=request_user(self.request)).select_related(
            "access_token"
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _valid(PersonalTokenRequestSerializer, request)
        token, raw = services.personal_token_create(
            user=request_user(request),
            name=body["name"],
            scopes=body["scopes"],
            days=body["expires_in_days"],
        )
        token.token = raw  # type: ignore[attr-defined]
        return Response(PersonalTokenCreatedSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: PersonalToken) -> None:
        services.personal_token_revoke(token=instance)
