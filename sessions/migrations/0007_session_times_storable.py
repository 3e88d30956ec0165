import datetime

from django.conf import settings
from django.db import migrations, models
from django.db.models import F, Q

# As sessions/limits.py has them now; a migration keeps its own copy.
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST_STORABLE = datetime.datetime(2200, 1, 1, tzinfo=datetime.UTC)


def move_impossible_times(apps, schema_editor):
    """A session a wrong clock put before 1970 or past 2200 (which broke stats) moves to when
    the server received it, the best guess of when it happened; its end is unknown. It gets a
    new version and change number, so that every device syncs the corrected time."""
    session_model = apps.get_model("training_sessions", "WorkoutSession")
    counter_model = apps.get_model("changes", "ChangeCounter")
    impossible = session_model.objects.filter(
        Q(started_at__lt=EARLIEST) | Q(started_at__gte=LATEST_STORABLE)
        | Q(ended_at__gte=LATEST_STORABLE)
    )
    for session in impossible.only("pk", "user_id", "created_at").iterator():
        counter, _ = counter_model.objects.get_or_create(
            scope=f"user:{session.user_id}", defaults={"value": 0}
        )
        counter_model.objects.filter(pk=counter.pk).update(value=F("value") + 1)
        counter.refresh_from_db()
        session_model.objects.filter(pk=session.pk).update(
            started_at=session.created_at,
            ended_at=None,
            version=F("version") + 1,
            change_seq=counter.value,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("changes", "0001_initial"),
        ("exercises", "0009_trainer_friendly_messages"),
        ("training_sessions", "0006_range_messages"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(move_impossible_times, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="workoutsession",
            constraint=models.CheckConstraint(
                condition=Q(started_at__gte=EARLIEST)
                & Q(started_at__lt=LATEST_STORABLE)
                & (Q(ended_at__isnull=True) | Q(ended_at__lt=LATEST_STORABLE)),
                name="session_times_storable",
                violation_error_message="A session's times must be from 1970 on.",
            ),
        ),
    ]
