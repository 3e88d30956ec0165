"""The Idempotency-Key header: a retried POST gets its first answer again (see keys.py)."""
