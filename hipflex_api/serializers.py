from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Marks a response property that some answers leave out; hipflex_api.schema's hook, which makes
# every other response property required, reads the mark and removes it.
OPTIONAL_IN_RESPONSE = "x-optional-in-response"


@extend_schema_field({"type": "string", OPTIONAL_IN_RESPONSE: True})
class _RequestIdField(serializers.CharField):
    pass


# Every `code` an error answer carries, and what it means: one list for the schema's enum and
# its text. The suite checks every error it provokes against it (tests/helpers.assert_error), so
# a new code fails the suite until it is named here.
ERROR_CODES = {
    "invalid": "the input is invalid (`errors` names each field)",
    "parse_error": "the body is not valid JSON",
    "bad_request": "the request is malformed",
    "not_authenticated": "no credentials were sent",
    "authentication_failed": "the credentials are not valid",
    "token_not_valid": "the token is invalid or has expired",
    "invalid_client": "no confidential app has the client id and secret sent",
    "no_active_account": "wrong email or password",
    "user_not_found": "the account of the token no longer exists",
    "user_inactive": "the account is deactivated",
    "password_changed": "the password changed since the token was issued: log in again",
    "email_not_verified": "the address must be confirmed before logging in",
    "permission_denied": "the caller may not do this",
    "insufficient_scope": "the app's token lacks the scope this operation needs (`detail` "
    "names it): ask the person to connect the app again with it",
    "first_party_only": "the operation is open to the person's own clients only, never to "
    "a connected app's token",
    "not_found": "nothing here, or nothing the caller may see",
    "method_not_allowed": "the URL does not take this method",
    "not_acceptable": "the API answers only JSON",
    "endpoint_disabled": "the webhook endpoint is disabled: enable it again first",
    "conflict": "the request clashes with data stored meanwhile (retry it) or with a rule",
    "email_taken": "another account has the address",
    "idempotency_key_reused": "the Idempotency-Key was used with a different request",
    "gone": "what the request names was deleted",
    "occurrence_done": "every time the program is due that day has a session already: open "
    "it, or delete it to start again",
    "precondition_failed": "If-Match does not match the current ETag",
    "request_too_large": "the body is over the size limit",
    "unsupported_media_type": "the body is not JSON",
    "unprocessable": "the request is well-formed but cannot be carried out",
    "throttled": "too many requests: wait `Retry-After` seconds",
    "quota_exceeded": "the account has stored as much as a limit allows for now (`detail` "
    "names it) and nothing was saved: wait `Retry-After` seconds",
    "server_error": "the server failed (quote `request_id`)",
    "not_ready": "a dependency is down (`errors` names each)",
    "database_busy": "the database was too busy to answer in time and nothing was saved: "
    "retry after `Retry-After` seconds",
    "database_unavailable": "the database could not be reached and the request was not "
    "completed: send it again after `Retry-After` seconds",
    "storage_unavailable": "the media store did not answer and nothing was kept: retry "
    "after `Retry-After` seconds",
    "storage_full": "the media store is full and nothing was kept",
    "limits_unavailable": "the store that counts attempts is unreachable, so a request it must "
    "count was refused and nothing was done: retry after `Retry-After` seconds",
}
ERROR_CODE_CHOICES = list(ERROR_CODES)


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text="Dotted path of the offending field (`prescription.sets`, `steps.2`), "
        "or null when the error concerns the request as a whole; for a 503 from /readyz, the "
        "component that failed (`database`, `cache`, `counters`, `broker`).",
    )
    code = serializers.CharField(help_text="Machine-readable reason, such as `required`.")
    message = serializers.CharField(help_text="Human-readable explanation.")


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.ChoiceField(
        choices=ERROR_CODE_CHOICES,
        help_text="Machine-readable: "
        + "; ".join(f"`{code}`, {meaning}" for code, meaning in ERROR_CODES.items())
        + ".",
    )
    detail = serializers.CharField(help_text="Human-readable summary of what went wrong.")
    request_id = _RequestIdField(
        required=False,
        help_text="Only in a 500: the request's `X-Request-ID`, which the server's log lines "
        "for the failure carry. Quote it when reporting the problem.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        # Added here, not declared: a field named `errors` would hide Serializer.errors.
        fields = super().get_fields()
        fields["errors"] = FieldErrorSerializer(
            many=True,
            help_text="One entry per invalid field, or per failed component for a 503 from "
            "/readyz; empty for any other status.",
        )
        return fields
