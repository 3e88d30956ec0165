from django.db import migrations


class Migration(migrations.Migration):
    """IdempotencyRecord now belongs to hipflex_api.idempotency, which keeps the table."""

    dependencies = [
        ("training_sessions", "0004_drop_indexes_covered_by_composites"),
        ("idempotency", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="IdempotencyRecord")],
            database_operations=[],
        ),
    ]
