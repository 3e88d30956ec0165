from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

# Marks a response property that some answers leave out; hipflex_api.schema's hook, which makes
# every other response property required, reads the mark and removes it.
OPTIONAL_IN_RESPONSE = "x-optional-in-response"


@extend_schema_field({"type": "string", OPTIONAL_IN_RESPONSE: True})
class _RequestIdField(serializers.CharField):
    pass


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True,
        help_text="Dotted path of the offending field (`prescription.sets`, `steps.2`), "
        "or null when the error concerns the request as a whole; for a 503 from /readyz, the "
        "component that failed (`database`, `cache`, `broker`).",
    )
    code = serializers.CharField(help_text="Machine-readable reason, such as `required`.")
    message = serializers.CharField(help_text="Human-readable explanation.")


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    status = serializers.IntegerField(help_text="The HTTP status code, repeated.")
    code = serializers.CharField(
        help_text="Machine-readable error code: `invalid`, `parse_error`, `not_authenticated`, "
        "`permission_denied`, `not_found`, `method_not_allowed`, `not_acceptable`, `conflict`, "
        "`gone`, `precondition_failed`, `request_too_large`, `unsupported_media_type`, "
        "`idempotency_key_reused`, `throttled`, `token_not_valid`, `user_not_found`, "
        "`no_active_account`, `bad_request`, `server_error`, `not_ready`, `email_taken`, "
        "`email_not_verified`."
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
