"""The bodies of the probes' answers (errors take the one error shape, hipflex_api.errors)."""

from rest_framework import serializers


class HealthSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="Always `ok`: the process answers.")


_FAILED = " `unreachable` or `timeout` when it failed, or did not answer in time."


class ReadinessChecksSerializer(serializers.Serializer):
    database = serializers.CharField(
        help_text="`ok`: the database answered a query (if not, the answer is a 503)."
    )
    cache = serializers.CharField(
        help_text="`ok`: the cache of answers stored and returned a value;" + _FAILED
    )
    counters = serializers.CharField(
        help_text="`ok`: the store of throttle counts (`COUNTERS_REDIS_URL`, else `REDIS_URL`, "
        "else the process's memory) stored and returned a value;" + _FAILED
    )
    broker = serializers.CharField(
        help_text="`ok`: the Celery broker accepted a connection; `not_configured` when no "
        "broker is set and tasks run in the web process;" + _FAILED
    )


class ReadinessSerializer(serializers.Serializer):
    # A string, as it was when only `ready` came with a 200: an enum now would break clients.
    status = serializers.CharField(
        help_text="`ready`: every check passed. `degraded`: the database answered but another "
        "part failed (`checks` names it); the API still answers without it, as the README's "
        '"When a part fails" says, so keep sending traffic and mend the part.',
    )
    checks = ReadinessChecksSerializer(help_text="The outcome of each check.")
