from django.contrib.auth.management import create_permissions
from django.db import migrations

TRAINERS = "Trainers"


def _coach(apps):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="accounts", codename="coach")


def grant(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs this one now.
    app_config = apps.get_app_config("accounts")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    group, _ = Group.objects.get_or_create(name=TRAINERS)
    group.permissions.add(*_coach(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=TRAINERS).first()
    if group is not None:
        group.permissions.remove(*_coach(apps))


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0012_ordered_lists"),
        ("accounts", "0004_coaching_links"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
