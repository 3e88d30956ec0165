from django.contrib.auth.management import create_permissions
from django.db import migrations

TRAINERS = "Trainers"
ROUTINE_MODELS = ["routine", "routineitem"]


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("exercises")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=TRAINERS)
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="exercises", content_type__model__in=ROUTINE_MODELS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group = Group.objects.filter(name=TRAINERS).first()
    if group is not None:
        group.permissions.remove(
            *Permission.objects.filter(
                content_type__app_label="exercises", content_type__model__in=ROUTINE_MODELS
            )
        )


class Migration(migrations.Migration):
    dependencies = [("exercises", "0006_routines")]

    operations = [migrations.RunPython(grant, revoke)]
