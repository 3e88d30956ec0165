"""The OpenAPI text of accounts: registration, tokens and the caller's profile."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)

from hipflex_api.schema import COMMITTED_SERVER, ErrorResponse

from .scopes import SCOPES, scope_needed
from .serializers import (
    CHANGE_MAILED,
    CONFIRMATION_MAILED,
    REGISTERED,
    RESET_MAILED,
    AcceptedSerializer,
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
    RegisterSerializer,
    TokenPairSerializer,
)


class AppTokenScheme(OpenApiAuthenticationExtension):
    """A third-party app's OAuth2 access token: how an app gets one, and on each operation
    the scope it needs (none: the operation is not open to apps)."""

    target_class = "hipflex_api.accounts.auth.AppTokenAuthentication"
    name = "appOAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "oauth2",
            "description": (
                "A third-party app's access token, for the person who connected it on this "
                "server's consent page: authorization code with PKCE (S256), which every app "
                "must send; refresh tokens work once each (a new one comes with every "
                "refresh). An operation lists the scope it needs; one that lists none is "
                "for the person's own clients (`jwtAuth`) only and answers an app's token "
                "403 `first_party_only`; a token without the scope gets 403 "
                "`insufficient_scope`. Without `pain:read`, answers leave out every field "
                "marked `x-health-data`. Revoke a token at `/o/revoke_token/` (RFC 7009); "
                "resource servers check one at `/o/introspect/` (RFC 7662) with their "
                "client id and secret."
            ),
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": f"{COMMITTED_SERVER['url']}/o/authorize/",
                    "tokenUrl": f"{COMMITTED_SERVER['url']}/o/token/",
                    "refreshUrl": f"{COMMITTED_SERVER['url']}/o/token/",
                    "scopes": SCOPES,
                }
            },
        }

    def get_security_requirement(self, auto_schema: Any) -> list[dict[str, list[Any]]]:
        needed = scope_needed(auto_schema.view, auto_schema.method)
        return [] if needed is None else [{self.name: [scope.value for scope in needed]}]


class AppClientScheme(OpenApiAuthenticationExtension):
    """A confidential app itself, for what it manages on its own behalf."""

    target_class = "hipflex_api.accounts.auth.AppClientAuthentication"
    name = "appClient"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "http",
            "scheme": "basic",
            "description": (
                "A confidential app's own client id and secret, as at `/o/token/`: for the "
                "app's webhook endpoints, which hear the events of every person who "
                "connected it, each as far as that person's grant lets the app see. It "
                "reaches nothing of any person's. Wrong credentials, or a public app (which "
                "holds no secret), get 401 `invalid_client`."
            ),
        }


_BAD_CREDENTIALS = ErrorResponse("Wrong email or password.", "no_active_account")


_BAD_TOKEN = ErrorResponse("The token is invalid or expired.", "token_not_valid")


def _accepted(summary: str, detail: str) -> OpenApiResponse:
    return OpenApiResponse(
        AcceptedSerializer,
        description=summary,
        examples=[OpenApiExample("Accepted", value={"detail": detail}, response_only=True)],
    )


_INVALID_TOKEN = ErrorResponse(
    "Invalid input (`errors` names each field). A token that was used already, "
    "has expired, or was mailed before the password or the address changed is an `errors` "
    "entry on `token` with the code `invalid_token`: ask for a new mail.",
    "invalid",
)


register_schema = extend_schema(
    operation_id="register",
    summary="Create an account",
    description="Django's password rules apply. The answer is the same whether or not the "
    "address already has an account, so it tells no one who has one: a new account gets a "
    "mail with a link to confirm the address (see `/api/v1/auth/verify-email/`); an existing "
    "account's owner gets a mail saying someone tried. Then log in at `/api/v1/auth/token/` "
    "with the same email and password. Limited per client address; an address gets at most a "
    "few such mails an hour (the answer stays the same past that, and no mail goes).",
    request=RegisterSerializer,
    responses={202: _accepted("The address was mailed.", REGISTERED)},
)


password_reset_schema = extend_schema(
    operation_id="requestPasswordReset",
    summary="Ask for a password reset",
    description="Mails the account a single-use link (built from the deployment's "
    "`PASSWORD_RESET_URL`, such as an app's deep link) and the token itself, to paste. The "
    "answer is the same whether or not the address has an account. Tokens work for an hour "
    "by default and die once used or when the password or address changes by any route. "
    "Limited per client address; an address gets at most a few resets an hour (the answer "
    "stays the same past that, and no mail goes).",
    request=EmailSerializer,
    responses={202: _accepted("Mailed, if an account has the address.", RESET_MAILED)},
)


password_reset_confirm_schema = extend_schema(
    operation_id="confirmPasswordReset",
    summary="Choose a new password with a reset token",
    description="Sets the password (the rules of registration apply), logs out every device, "
    "spends every reset token of the account and confirms its address. Answers with a fresh "
    "token pair, so the app is logged in at once.",
    request=PasswordResetConfirmSerializer,
    responses={200: TokenPairSerializer, 400: _INVALID_TOKEN},
)


verify_email_schema = extend_schema(
    operation_id="verifyEmail",
    summary="Confirm an address with a mailed token",
    description="Marks the account's address confirmed (`email_verified` in the profile). A "
    "token mailed by a change of address (`POST /api/v1/me/email/`) moves the account to the "
    "new address here. No credentials are needed: the token proves the address.",
    request=MailedTokenSerializer,
    responses={
        204: None,
        400: _INVALID_TOKEN,
        409: ErrorResponse(
            "Another account took the new address after the link was mailed.", "email_taken"
        ),
    },
)


verify_email_resend_schema = extend_schema(
    operation_id="resendEmailVerification",
    summary="Mail a new confirmation link",
    description="For an account whose address is not confirmed yet. The answer is the same "
    "whether or not there is such an account. Limited per client address; an address gets at "
    "most a few an hour (the answer stays the same past that).",
    request=EmailSerializer,
    responses={202: _accepted("Mailed, if such an account exists.", CONFIRMATION_MAILED)},
)


email_change_schema = extend_schema(
    operation_id="changeMyEmail",
    summary="Change my address",
    description="Needs the current password. Mails a confirmation link to the new address "
    "and a notice to the current one; the account moves only when the link is used at "
    "`/api/v1/auth/verify-email/`, and the new address is confirmed then. An address that "
    "already has an account is never taken: its owner is told instead, and the answer and the "
    "notice are the same. Limited per account, and per new address.",
    request=EmailChangeSerializer,
    responses={
        202: _accepted("Mailed.", CHANGE_MAILED),
        400: ErrorResponse(
            "The password is not correct, or the address is invalid or already the account's.",
            "invalid",
        ),
    },
)


logout_schema = extend_schema(
    operation_id="logout",
    summary="Log out",
    description="Revokes the refresh token, so it can no longer be traded for access "
    "tokens; logging out again with it succeeds too. Access tokens already issued expire "
    "on their own within minutes.",
    request=LogoutSerializer,
    responses={204: None, 401: _BAD_TOKEN},
)


# A class-based view: the schema goes on its method.
token_obtain_schema = extend_schema_view(
    post=extend_schema(
        operation_id="login",
        summary="Log in",
        description="Trades an email and password for an access and refresh token pair. Attempts "
        "are limited per address, and failed attempts per account. Where the deployment requires "
        "a confirmed address (`ACCOUNTS_REQUIRE_VERIFIED_EMAIL`), an unconfirmed one gets a 403.",
        responses={
            200: TokenPairSerializer,
            401: _BAD_CREDENTIALS,
            403: ErrorResponse(
                "The password is right, but the address is not confirmed yet and this "
                "deployment requires it.",
                "email_not_verified",
            ),
        },
    )
)


# A class-based view: the schema goes on its method.
token_refresh_schema = extend_schema_view(
    post=extend_schema(
        operation_id="refreshToken",
        summary="Refresh tokens",
        description="Trades a refresh token for a new pair. The old refresh token is revoked: keep "
        "the new one.",
        responses={
            200: TokenPairSerializer,
            401: ErrorResponse(
                "The refresh token is invalid or expired, or its account is gone or "
                "deactivated: log in again.",
                "token_not_valid",
                "no_active_account",
                "user_not_found",
            ),
        },
    )
)


me_schema = extend_schema_view(
    retrieve=extend_schema(operation_id="getMyProfile", summary="Get my profile"),
    partial_update=extend_schema(operation_id="updateMyProfile", summary="Change my profile"),
    destroy=extend_schema(
        operation_id="deleteMyAccount",
        summary="Delete my account",
        description="Deletes the account and everything it logged, for good. The body confirms "
        "the password.",
        request=PasswordConfirmSerializer,
        responses={
            204: None,
            400: ErrorResponse("The password is not correct.", "invalid"),
        },
    ),
)


password_schema = extend_schema(
    operation_id="changeMyPassword",
    summary="Change my password",
    description="Needs the current password. Every device is logged out; the answer holds "
    "a fresh token pair for this one.",
    request=PasswordChangeSerializer,
    responses={200: TokenPairSerializer},
)


_LINK_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The link's id."
)


_TOO_MANY_INVITATIONS = ErrorResponse(
    "The trainer has as many open invitations as they may (`MAX_OPEN_INVITATIONS`, 50 by "
    "default); nothing was made.",
    "unprocessable",
)


invitation_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listInvitations",
        summary="List my open invitations",
        description="The trainer's invitations that nobody has used and that have not expired, "
        "newest first. Their codes are not shown again: withdraw a lost one and make another.",
    ),
    create=extend_schema(
        operation_id="createInvitation",
        summary="Invite a client",
        description="A single-use code for one client, which works for "
        "`COACHING_INVITATION_HOURS` (a week by default). The client redeems it with "
        "`redeemInvitation`, and from then on the trainer sees the client's sessions and pain "
        "reports until either ends the link. Only trainers (the Trainers group) may invite; "
        "the code is in this answer only.",
        request=None,
        responses={
            201: InvitationSerializer,
            # Drawn again on a clash; only a run of clashes no one will see gets this.
            409: ErrorResponse("No unused code could be drawn; retry.", "conflict"),
            422: _TOO_MANY_INVITATIONS,
        },
    ),
    destroy=extend_schema(
        operation_id="withdrawInvitation",
        summary="Withdraw an invitation",
        description="Its code stops working at once. An invitation already used is 404: end "
        "the client's link instead.",
    ),
)


_CODE_NOT_VALID = ErrorResponse(
    "The code cannot be redeemed: the `errors` entry on `code` says why, with the code "
    "`invitation_unknown` (no invitation has it, or its trainer no longer coaches), "
    "`invitation_used`, `invitation_expired` or `invitation_own` (a trainer's own code); "
    "`invalid` when it is not shaped like one. Codes that do not work are counted against "
    "the account and the client address, and too many are a 429.",
    "invalid",
)


_TOO_MANY_LINKS = ErrorResponse(
    "The client shares their log with as many trainers as they may "
    "(`MAX_TRAINERS_PER_CLIENT`, 10), or the trainer coaches as many clients as they may "
    "(`MAX_CLIENTS_PER_TRAINER`, 500); the code was not used.",
    "unprocessable",
)


my_trainers_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listMyTrainers",
        summary="List the trainers I share my log with",
        description="The caller's links that stand, newest first. Each says what its trainer sees.",
    ),
    retrieve=extend_schema(
        operation_id="getMyTrainer", summary="Get a link to a trainer", parameters=[_LINK_ID]
    ),
    create=extend_schema(
        operation_id="redeemInvitation",
        summary="Share my log with a trainer",
        description="Redeem a trainer's invitation code. The trainer then sees the caller's "
        "name, email address, sessions (past and future) and the pain reported in their sets, "
        "until either ends the link; `notice` says so in words to show the person. A retry "
        "whose first answer was lost, or a code from a trainer the caller already shares "
        "with, answers 200 with the link that stands.",
        request=InvitationRedeemSerializer,
        responses={
            201: LinkedTrainerSerializer,
            200: OpenApiResponse(
                LinkedTrainerSerializer,
                description="The caller already shares their log with this trainer.",
            ),
            400: _CODE_NOT_VALID,
            422: _TOO_MANY_LINKS,
        },
    ),
    destroy=extend_schema(
        operation_id="endMyTrainer",
        summary="Stop sharing my log with a trainer",
        description="At once: from this answer on the trainer sees nothing of the caller, "
        "past sessions included. Ending a link that has ended already (a retry, or the "
        "trainer ended it) is a 204 too.",
        parameters=[_LINK_ID],
    ),
)


_TOO_MANY_TOKENS = ErrorResponse(
    "The caller holds `MAX_PERSONAL_TOKENS` unexpired tokens already.", "unprocessable"
)

_APP_ID = OpenApiParameter(
    "id", OpenApiTypes.INT, OpenApiParameter.PATH, description="The app's id (`Connection.id`)."
)

my_connections_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listMyConnections",
        summary="List the apps I connected",
        description="Third-party apps the caller connected to their account on the consent "
        "page, the latest first, while any of their tokens lives; each with the scopes "
        "granted. For the person's own clients only.",
    ),
    destroy=extend_schema(
        operation_id="revokeMyConnection",
        summary="Disconnect an app",
        description="At once: every token and authorization code the app holds for the "
        "caller goes, and its next request with them gets 401. An app not connected (any "
        "longer: a retry whose first answer was lost, say) is a 404.",
        parameters=[_APP_ID],
    ),
)


_TOKEN_ID = OpenApiParameter(
    "id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="The token's id (not the token)."
)

my_tokens_schema = extend_schema_view(
    list=extend_schema(
        operation_id="listMyTokens",
        summary="List my personal access tokens",
        description="The caller's tokens for their own scripts, newest first, expired ones "
        "too; never the tokens themselves.",
    ),
    retrieve=extend_schema(
        operation_id="getMyToken", summary="Get a personal access token", parameters=[_TOKEN_ID]
    ),
    create=extend_schema(
        operation_id="createMyToken",
        summary="Make a personal access token",
        description="A token for the caller's own scripts, with the scopes an app would ask "
        "for and an expiry: it reaches what those scopes reach, as an app's token does, and "
        "no more. `token` is in this answer only; the server keeps a digest of it. At most "
        "`MAX_PERSONAL_TOKENS` unexpired ones; a token cannot make another.",
        request=PersonalTokenRequestSerializer,
        responses={201: PersonalTokenCreatedSerializer, 422: _TOO_MANY_TOKENS},
    ),
    destroy=extend_schema(
        operation_id="revokeMyToken",
        summary="Revoke a personal access token",
        description="At once: its next request gets 401.",
        parameters=[_TOKEN_ID],
    ),
)
