from django.contrib.auth.management import create_permissions
from django.db import migrations

TRAINERS = "Trainers"


def create_trainers_group(apps, schema_editor):
    # Permissions are normally created after all migrations; the group needs them now.
    app_config = apps.get_app_config("exercises")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=TRAINERS)
    group.permissions.add(*Permission.objects.filter(content_type__app_label="exercises"))


def remove_trainers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=TRAINERS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("exercises", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_trainers_group, remove_trainers_group)]
