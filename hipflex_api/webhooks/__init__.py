"""Signed webhooks: the endpoints a person registers, the events their changes make, and the
deliveries a job sends, signed to the Standard Webhooks specification.

A change writes its event and one delivery per subscribed endpoint in its own transaction,
with one job (hipflex_api.jobs) that sends them once it commits: never inside the request.
A delivery that fails is tried again on a schedule (WEBHOOK_RETRY_SECONDS) by the beat task
that sends what is due; one that fails every try marks its endpoint failing, and an endpoint
failing for longer than WEBHOOK_DISABLE_AFTER_SECONDS is disabled and its owner told by mail.
Each event keeps one id on every try, so a receiver drops what it has seen.
"""
