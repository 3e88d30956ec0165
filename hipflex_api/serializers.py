from rest_framework import serializers


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
        "`no_active_account`, `bad_request`, `server_error`, `not_ready`."
    )
    detail = serializers.CharField(help_text="Human-readable summary of what went wrong.")

    def get_fields(self) -> dict[str, serializers.Field]:
        # Added here, not declared: a field named `errors` would hide Serializer.errors.
        fields = super().get_fields()
        fields["errors"] = FieldErrorSerializer(
            many=True,
            help_text="One entry per invalid field, or per failed component for a 503 from "
            "/readyz; empty for any other status.",
        )
        return fields
