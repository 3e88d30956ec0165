"""The bodies of the probes' answers (errors take the one error shape, hipflex_api.errors)."""

from rest_framework import serializers


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="Always `ok`: the process answers.")


class ReadinessChecksSerializer(serializers.Serializer):
    database = serializers.CharField(help_text="`ok`: the database answered a query.")
    cache = serializers.CharField(help_text="`ok`: the cache stored and returned a value.")
    counters = serializers.CharField(
        help_text="`ok`: the store of throttle counts (`COUNTERS_REDIS_URL`, else `REDIS_URL`, "
        "else the process's memory) stored and returned a value."
    )
    broker = serializers.CharField(
        help_text="`ok`: the Celery broker accepted a connection; `not_configured` when no "
        "broker is set and tasks run in the web process."
    )


class ReadinessSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="Always `ready` (otherwise the answer is a 503).")
    checks = ReadinessChecksSerializer(help_text="The outcome of each check.")
