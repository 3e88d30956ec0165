"""Running the service: health and readiness probes, request ids and request logs, task logs,
Prometheus metrics and Sentry."""
