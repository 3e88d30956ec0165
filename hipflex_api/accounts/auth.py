import base64
import binascii
import functools
import itertools
import re
import weakref
from typing import Any, cast
from urllib.parse import unquote_plus

from django.conf import settings
from django.contrib.auth.hashers import check_password, identify_hasher
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import connection
from django.utils.crypto import constant_time_compare
from oauth2_provider.settings import oauth2_settings
from oauthlib.common import Request as OAuthRequest
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework_simplejwt import authentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import get_md5_hash_password

from hipflex_api.changes.counters import catalog_scope, links_scope, user_scope
from hipflex_api.changes.models import ChangeCounter
from hipflex_api.fields import hides_health_data

from .models import App, CoachingLink, User
from .permissions import COACH_PERMISSION, Coaches
from .scopes import Scope, scope_needed


def request_user(request: Request) -> User:
    """The signed-in caller, for views whose permissions already refused anonymous ones."""
    return cast(User, request.user)


def request_app(request: Request) -> App | None:
    """The app calling on its own behalf (AppClientAuthentication), or None."""
    return request.auth if isinstance(request.auth, App) else None


@functools.cache
def _user_with_versions_sql(
    coaching: bool,
) -> tuple[str, list[str], list[tuple[Any, list[Any]]]]:
    """The query, the attribute names of the user's fields it selects, and their converters
    (which, as for any ORM query, make SQLite's datetimes aware and its booleans booleans).
    For a coaching view, it reads the trainer's coaching numbers and permission too."""
    # Every name comes from the models' metadata, quoted; the values are parameters.
    quote = connection.ops.quote_name
    users = User._meta
    fields = users.concrete_fields
    counters = quote(ChangeCounter._meta.db_table)
    number = f"COALESCE((SELECT {quote('value')} FROM {counters} WHERE {quote('scope')} = %s), 0)"  # noqa: S608
    selected = [*(quote(field.column) for field in fields), number, number]
    if coaching:
        selected += [number, _clients_changes_sql(), _can_coach_sql()]
    sql = (
        f"SELECT {', '.join(selected)} FROM {quote(users.db_table)}"  # noqa: S608
        f" WHERE {quote(users.pk.column)} = %s"
    )
    columns = [field.get_col(users.db_table) for field in fields]
    converters = [
        (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
        for col in columns
    ]
    return sql, [field.attname for field in fields], converters


def _user_column(name: str) -> str:
    quote = connection.ops.quote_name
    [field] = [field for field in User._meta.concrete_fields if field.name == name]
    return f"{quote(User._meta.db_table)}.{quote(field.column)}"


def _clients_changes_sql() -> str:
    """The sum of the change numbers of the trainer's standing clients. Between two starts or
    ends of a link (links_scope) the clients are the same and their numbers only grow, so
    the sum moves whenever any client's data does."""
    quote = connection.ops.quote_name
    links, counters = CoachingLink._meta, ChangeCounter._meta
    client, trainer = links.get_field("client").column, links.get_field("trainer").column
    return (
        f"COALESCE((SELECT SUM(c.{quote('value')}) FROM {quote(links.db_table)} l"  # noqa: S608
        f" INNER JOIN {quote(counters.db_table)} c"
        f" ON c.{quote('scope')} = %s || CAST(l.{quote(client)} AS TEXT)"
        f" WHERE l.{quote(trainer)} = {_user_column(User._meta.pk.name)}"
        f" AND l.{quote(links.get_field('ended_at').column)} IS NULL), 0)"
    )


def _can_coach_sql() -> str:
    """Whether the user holds the coach permission, as ModelBackend.has_perm answers it: an
    active superuser, or the permission given to the user or to one of their groups."""
    quote = connection.ops.quote_name
    permission = User._meta.get_field("user_permissions")
    groups = User._meta.get_field("groups")
    group_permission = Group._meta.get_field("permissions")
    perms, types = Permission._meta, ContentType._meta
    coach = (
        f"SELECT p.{quote('id')} FROM {quote(perms.db_table)} p"  # noqa: S608
        f" INNER JOIN {quote(types.db_table)} t ON p.{quote('content_type_id')} = t.{quote('id')}"
        f" WHERE t.{quote('app_label')} = %s AND p.{quote('codename')} = %s"
    )
    user_id = _user_column(User._meta.pk.name)
    given = (
        f"SELECT 1 FROM {quote(permission.m2m_db_table())} up"  # noqa: S608
        f" WHERE up.{quote(permission.m2m_column_name())} = {user_id}"
        f" AND up.{quote(permission.m2m_reverse_name())} IN ({coach})"
    )
    group_id = quote(groups.m2m_reverse_name())
    grouped = (
        f"SELECT 1 FROM {quote(groups.m2m_db_table())} ug"  # noqa: S608
        f" INNER JOIN {quote(group_permission.m2m_db_table())} gp"
        f" ON gp.{quote(group_permission.m2m_column_name())} = ug.{group_id}"
        f" WHERE ug.{quote(groups.m2m_column_name())} = {user_id}"
        f" AND gp.{quote(group_permission.m2m_reverse_name())} IN ({coach})"
    )
    return (
        f"({_user_column('is_active')} AND ({_user_column('is_superuser')}"
        f" OR EXISTS ({given}) OR EXISTS ({grouped})))"
    )


def user_with_versions(user_id: int, *, coaching: bool = False) -> User | None:
    """The user, with the user's and the catalog's change numbers for user_version, or None.
    With `coaching`, also the numbers clients_version makes the trainer's list from and
    whether the user may coach (`can_coach`, for the Coaches permission).

    Hand-written SQL: building and compiling this query with the ORM took four times as long as
    the database took to answer it, on every authenticated request.
    """
    # No account has an id past the column's range, and the database would fail on one (a
    # 500), where the ORM's own lookups find nothing.
    low, high = connection.ops.integer_field_range(User._meta.pk.get_internal_type())
    if not low <= user_id <= high:
        return None
    sql, attnames, converters = _user_with_versions_sql(coaching)
    params: list[Any] = [user_scope(user_id), catalog_scope()]
    if coaching:  # The coach permission is looked for twice: given, and through a group.
        coach = COACH_PERMISSION.split(".", 1)
        params += [links_scope(user_id), user_scope(""), *coach, *coach]
    with connection.cursor() as cursor:
        _execute(cursor, f"hipflex_user_with_versions_{int(coaching)}", sql, [*params, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    values = list(row[: len(attnames)])
    for index, (col, column_converters) in enumerate(converters):
        for convert in column_converters:
            values[index] = convert(values[index], col, connection)
    user = User.from_db(connection.alias, attnames, values)
    numbers = row[len(attnames) :]
    user.user_changes, user.catalog_changes = numbers[0], numbers[1]  # type: ignore[attr-defined]
    if coaching:
        user.links_changes, user.clients_changes = numbers[2], numbers[3]  # type: ignore[attr-defined]
        user.can_coach = bool(numbers[4])  # type: ignore[attr-defined]
    return user


# The statements prepared on each PostgreSQL connection (psycopg's object), by name.
_prepared: "weakref.WeakKeyDictionary[Any, set[str]]" = weakref.WeakKeyDictionary()


def _execute(cursor: Any, name: str, sql: str, params: list[Any]) -> None:
    """Run the query; on PostgreSQL as a statement prepared once per connection (unless
    DATABASE_PREPARED_STATEMENTS is off, as behind a pooler in transaction mode): planning the
    coaching query took 0.7 ms each time, five times as long as running it."""
    if connection.vendor != "postgresql" or not settings.DATABASE_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    raw = connection.connection
    done = _prepared.setdefault(raw, set())
    if name not in done:
        numbers = itertools.count(1)
        numbered = re.sub("%s", lambda _: f"${next(numbers)}", sql)
        # Straight on psycopg's connection: a set-up statement, not one of the request's.
        raw.execute(f"PREPARE {name} AS {numbered}")
        done.add(name)
    cursor.execute(f"EXECUTE {name} ({', '.join(['%s'] * len(params))})", params)


class JWTAuthentication(authentication.JWTAuthentication):
    """simplejwt's Bearer authentication, with the caller's change numbers read in the same query.

    The private reads (session list, sync, stats) answer from a cache keyed by those numbers
    (hipflex_api.changes.counters.user_version), so they need no query of their own. The checks are
    simplejwt's own: the user exists, is active, and has not changed password since the token.
    """

    def authenticate(self, request: Request) -> tuple[User, Token] | None:  # type: ignore[override]
        raw = _bearer_token(self, request)
        if raw is None or not _is_jwt(raw):
            return None  # No token, or an app's: AppTokenAuthentication's.
        validated = self.get_validated_token(raw)  # simplejwt's own steps, the header read once
        return self.get_user(validated, coaching=_coaching_view(request)), validated

    def get_user(self, validated_token: Token, *, coaching: bool = False) -> User:  # type: ignore[override]
        if User._meta.pk.name != api_settings.USER_ID_FIELD:
            raise ImproperlyConfigured("SIMPLE_JWT's USER_ID_FIELD must be the primary key.")
        try:
            user_id = User._meta.pk.to_python(validated_token[api_settings.USER_ID_CLAIM])
        except (KeyError, ValidationError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        user: User | None = user_with_versions(user_id, coaching=coaching)
        if user is None:
            raise AuthenticationFailed("User not found", code="user_not_found")
        if api_settings.CHECK_USER_IS_ACTIVE and not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        if api_settings.CHECK_REVOKE_TOKEN and validated_token.get(
            api_settings.REVOKE_TOKEN_CLAIM
        ) != get_md5_hash_password(user.password):
            raise AuthenticationFailed(
                "The user's password has been changed.", code="password_changed"
            )
        return user


def _coaching_view(request: Request) -> bool:
    # A coaching view reads the trainer's numbers and permission with the row.
    view = request.parser_context.get("view")
    return Coaches in getattr(view, "permission_classes", ())


def _bearer_token(auth: authentication.JWTAuthentication, request: Request) -> bytes | None:
    header = auth.get_header(request)
    return None if header is None else auth.get_raw_token(header)


def _is_jwt(token: bytes | None) -> bool:
    # A JWT is three dot-separated parts; an app's or a personal token has no dot at all.
    return token is not None and token.count(b".") == 2


class InsufficientScope(PermissionDenied):
    default_code = "insufficient_scope"


class FirstPartyOnly(PermissionDenied):
    default_code = "first_party_only"
    default_detail = (
        "This operation is open to the person's own clients only: a connected app's token "
        "cannot call it."
    )


class AppTokenAuthentication(BaseAuthentication):
    """A third-party app's access token (django-oauth-toolkit), held to the scope the
    operation needs (accounts.scopes): an operation that names none refuses it (403
    first_party_only), and a token without the scope named gets 403 insufficient_scope.

    Checked by the toolkit's own validator, from the Authorization header alone: the
    toolkit's DRF class would parse the body first, before the view's own parsers and
    limits."""

    def authenticate(self, request: Request) -> tuple[User, Any] | None:
        raw = _bearer_token(_JWT, request)
        if raw is None or _is_jwt(raw):
            return None
        # Without the query, which oauthlib's parser refuses where Django's does not ("[").
        checked = OAuthRequest(
            request.build_absolute_uri(request.path), http_method=request.method or "GET"
        )
        token = raw.decode("latin-1")
        if not oauth2_settings.OAUTH2_VALIDATOR_CLASS().validate_bearer_token(token, [], checked):
            raise AuthenticationFailed(
                "The access token is not valid: it has expired, was revoked, or was never issued.",
                code="token_not_valid",
            )
        user, access_token = checked.user, checked.access_token
        if user is None:  # A token issued to the app itself: no grant here makes one.
            raise AuthenticationFailed(
                "The access token speaks for no person.", code="token_not_valid"
            )
        if not user.is_active:
            raise AuthenticationFailed("User is inactive", code="user_inactive")
        needed = scope_needed(request.parser_context.get("view"), request.method or "")
        if needed is None:
            raise FirstPartyOnly()
        if missing := [scope for scope in needed if not access_token.allow_scopes([scope])]:
            raise InsufficientScope(
                f"This app's token lacks {', '.join(f'`{s}`' for s in missing)}, which this "
                "operation needs: the person must connect the app again and grant it."
            )
        if not access_token.allow_scopes([Scope.PAIN_READ]):
            hides_health_data.set(True)  # Its answers leave pain out.
        return user, access_token

    def authenticate_header(self, request: Request) -> str:
        return _JWT.authenticate_header(request)

    def schema_refusals(self, view: Any, method: str) -> list[str]:
        """The 403 codes an app's token gets from this operation, for the schema."""
        return ["insufficient_scope" if scope_needed(view, method) else "first_party_only"]


_JWT = JWTAuthentication()


def _secret_matches(given: str, stored: str) -> bool:
    """As the toolkit checks a client secret: kept hashed, or (an app registered with
    hashing off) as it is."""
    try:
        identify_hasher(stored)
    except ValueError:
        return constant_time_compare(given, stored)
    return check_password(given, stored)


class AppClientAuthentication(BaseAuthentication):
    """A confidential app itself, by its client id and secret in HTTP Basic (RFC 6749,
    2.3.1), as at the token endpoint: for what an app manages on its own behalf (its
    webhook endpoints), never a person's data. The caller is anonymous and `request.auth`
    the app (request_app). A public app holds no secret, and so has no way in here."""

    schema_credential_codes = ("invalid_client",)

    def authenticate(self, request: Request) -> tuple[AnonymousUser, App] | None:
        scheme, _, credentials = get_authorization_header(request).partition(b" ")
        if scheme.lower() != b"basic":
            return None
        try:
            client_id, _, secret = (
                base64.b64decode(credentials, validate=True).decode().partition(":")
            )
        except (binascii.Error, UnicodeDecodeError):
            raise AuthenticationFailed(
                "The Basic credentials are not base64 of `client_id:client_secret`.",
                code="invalid_client",
            ) from None
        app = App.objects.filter(
            client_id=unquote_plus(client_id), client_type=App.CLIENT_CONFIDENTIAL
        ).first()
        if app is None or not _secret_matches(unquote_plus(secret), app.client_secret):
            raise AuthenticationFailed(
                "No confidential app has this client id and secret.", code="invalid_client"
            )
        return AnonymousUser(), app

    def authenticate_header(self, request: Request) -> str:
        return 'Basic realm="api"'
