"""Change numbers per scope (a user's logs, the catalog): see counters.py."""
