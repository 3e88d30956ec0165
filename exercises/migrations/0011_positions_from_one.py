"""Every ordered list numbered 1, 2, 3… in its current order (position, then when added), so
that the next migration's constraints hold: lists used to count from 0, and the admin saved
two rows at one position without a word."""

from django.db import migrations

# Model, and the field naming the list's owner.
LISTS = [
    ("ExerciseStep", "exercise_id"),
    ("ExerciseCue", "exercise_id"),
    ("ExerciseCaution", "exercise_id"),
    ("ExerciseSetupNote", "exercise_id"),
    ("ExerciseMedia", "exercise_id"),
    ("RoutineItem", "routine_id"),
]


def _renumber(apps, schema_editor):
    for name, owner in LISTS:
        model = apps.get_model("exercises", name)
        rows = model.objects.order_by(owner, "position", "id").values_list("id", owner)
        changed, place, previous = [], 0, None
        for pk, parent in rows:
            place = place + 1 if parent == previous else 1
            previous = parent
            changed.append(model(pk=pk, position=place))
        model.objects.bulk_update(changed, ["position"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("exercises", "0010_uploaded_images")]

    operations = [migrations.RunPython(_renumber, migrations.RunPython.noop)]
