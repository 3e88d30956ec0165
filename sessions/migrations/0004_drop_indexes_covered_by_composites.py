import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The foreign keys' own indexes, each the first column of a composite index or constraint that
# serves the same lookups. Dropped by name rather than by AlterField, which would drop and
# re-add each foreign key (on PostgreSQL, checking every row again under a table lock) or,
# on SQLite, copy the whole table.
_COVERED = [
    ("training_sessions_idempotencyrecord", "user_id", "59df449b"),
    ("training_sessions_setlog", "exercise_id", "b979e694"),
    ("training_sessions_setlog", "session_id", "409a96ca"),
    ("training_sessions_workoutsession", "user_id", "5cb75782"),
]


def _drop_index(table: str, column: str, suffix: str) -> migrations.RunSQL:
    name = f"{table}_{column}_{suffix}"
    return migrations.RunSQL(
        f'DROP INDEX IF EXISTS "{name}"',
        reverse_sql=f'CREATE INDEX "{name}" ON "{table}" ("{column}")',
    )


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0009_trainer_friendly_messages"),
        ("training_sessions", "0003_routine_is_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[_drop_index(*index) for index in _COVERED],
            state_operations=[
                migrations.AlterField(
                    model_name="idempotencyrecord",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="idempotency_records",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="setlog",
                    name="exercise",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="set_logs",
                        to="exercises.exercise",
                    ),
                ),
                migrations.AlterField(
                    model_name="setlog",
                    name="session",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="sets",
                        to="training_sessions.workoutsession",
                    ),
                ),
                migrations.AlterField(
                    model_name="workoutsession",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="workout_sessions",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
        ),
    ]
