"""Jobs kept in the database until the broker has them: a transactional outbox.

A request that asks for a job (a mail today; webhooks and thumbnails later) writes it as a row
in its own transaction, so the job exists exactly when what caused it was saved. Once that
transaction commits, the row is handed to the broker and deleted. If the broker is down or
hangs, the request still succeeds and the row stays; the relay (a beat task, or the
`relay_jobs` command) hands it over once the broker answers again. A row handed over twice
(the broker took it, then the delete failed) is one job run twice, which every task here
makes harmless: each carries its own id and does its effect once.

A job whose own rows already say it is owed needs no row of its own: webhook deliveries are
kept as rows with the time their try is due, and a beat run sends those a lost job did not.
Their send is handed to the broker after the commit with no row kept
(`outbox.publish_on_commit`).
"""
