"""The catalog as a spreadsheet: exported with every list, imported back through the API's
checks, the publish rule and the history, a dry run first, each refused row with its column."""

import re

import pytest
import tablib
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from reversion.models import Version

from exercises.models import Exercise
from exercises.spreadsheet import COLUMNS, ExerciseResource
from tests.conftest import browser_for
from tests.exercises.conftest import EXERCISE_CHANGELIST, form_values, publishable
from tests.factories import (
    ExerciseFactory,
    ExerciseProgressionFactory,
    MuscleFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog(trainer):
    runner = publishable(ExerciseFactory(name="King Runner", slug="king-runner"))
    milder = publishable(ExerciseFactory(name="Wall Stretch", slug="wall-stretch"))
    ExerciseProgressionFactory(milder=milder, harder=runner)
    return runner


def export(user) -> tablib.Dataset:
    return ExerciseResource(user=user).export()


def sheet(rows: list[dict]) -> tablib.Dataset:
    columns = list(rows[0])
    return tablib.Dataset(*[[row[c] for c in columns] for row in rows], headers=columns)


def run(user, data: tablib.Dataset, *, dry_run: bool):
    return ExerciseResource(user=user).import_data(data, dry_run=dry_run, raise_errors=False)


def errors_of(result) -> dict[str, list[str]]:
    [row] = result.invalid_rows
    return row.error_dict


def test_the_export_holds_each_exercise_with_its_lists_one_item_per_line(trainer, catalog):
    data = export(trainer)

    assert data.headers == list(COLUMNS)
    row = dict(zip(data.headers, data[[r[0] for r in data].index("king-runner")], strict=True))
    assert row["steps"] == "\n".join(catalog.steps.values_list("text", flat=True))
    link = catalog.muscle_links.get()
    assert row["muscles"] == f"{link.muscle.slug} ({link.role})"
    assert row["milder_options"] == "wall-stretch"


def test_a_sheet_imported_as_exported_changes_nothing(trainer, catalog):
    versions = Version.objects.count()

    result = run(trainer, export(trainer), dry_run=False)

    assert not result.has_errors()
    assert not result.has_validation_errors()
    assert result.totals["skip"] == 2
    assert Version.objects.count() == versions


def test_an_edited_sheet_changes_the_lists_and_keeps_a_version_naming_the_importer(
    trainer, catalog
):
    data = export(trainer)
    index = [r[0] for r in data].index("king-runner")
    row = dict(zip(data.headers, data[index], strict=True))
    row["steps"] = "Stand tall.\nDrive one knee up.\n\nLower it."
    data[index] = [row[c] for c in data.headers]

    preview = run(trainer, data, dry_run=True)
    assert preview.totals["update"] == 1
    assert list(catalog.steps.values_list("text", flat=True)) != ["Stand tall."]  # Not yet.
    run(trainer, data, dry_run=False)

    assert list(catalog.steps.values_list("position", "text")) == [
        (1, "Stand tall."),
        (2, "Drive one knee up."),
        (3, "Lower it."),
    ]
    newest = Version.objects.get_for_object(catalog).first()
    assert newest.revision.user == trainer
    assert newest.revision.comment == "Changed by a spreadsheet import."


def test_a_new_exercise_the_rule_refuses_is_reported_and_not_saved(trainer, db):
    MuscleFactory(slug="iliopsoas")
    row = {
        "slug": "standing-march",
        "name": "Standing March",
        "kind": "strengthen",
        "summary": "Lifts one knee at a time.",
        "difficulty": "1",
        "unilateral": "1",
        "reps_per_side": "10",
        "published": "1",
        "steps": "Stand tall.\nLift one knee.",
        "muscles": "iliopsoas (primary)",
        "cautions": "",
    }

    for dry_run in (True, False):
        result = run(trainer, sheet([row]), dry_run=dry_run)
        assert "add at least one safety caution" in " ".join(errors_of(result)["published"])
    assert not Exercise.objects.filter(slug="standing-march").exists()

    row["cautions"] = "Stop if the front of the hip pinches."
    assert not run(trainer, sheet([row]), dry_run=False).has_validation_errors()
    march = Exercise.objects.get(slug="standing-march")
    assert march.published
    assert Version.objects.get_for_object(march).get().revision.comment == (
        "Imported from a spreadsheet."
    )


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("sets", "many", "“many” is not a whole number."),
        ("reps_per_side", "2.5", "“2.5” is not a whole number."),
        ("published", "maybe", "“maybe” is neither yes nor no"),
        ("muscles", "no-such-muscle (primary)", "no-such-muscle"),
        ("muscles", "iliopsoas (favourite)", "favourite"),
        ("equipment", "band (spare)", "(optional)"),
        ("milder_options", "king-runner", "cannot be an option of itself"),
        ("difficulty", "9", "9"),
        ("steps", "x" * 301, "line 1"),
    ],
)
def test_a_bad_cell_is_reported_under_its_column_and_nothing_of_the_row_is_saved(
    trainer, catalog, column, value, message
):
    MuscleFactory(slug="iliopsoas")
    before = list(catalog.steps.values_list("text", flat=True))
    row = {"slug": "king-runner", "name": "King Runner, renamed", column: value}

    result = run(trainer, sheet([row]), dry_run=False)

    errors = errors_of(result)
    assert column in errors, errors
    assert message in " ".join(errors[column])
    catalog.refresh_from_db()
    assert catalog.name == "King Runner"
    assert list(catalog.steps.values_list("text", flat=True)) == before


def _exported_csv(browser) -> bytes:
    fields = {f"exerciseresource_{column}": "on" for column in COLUMNS}
    response = browser.post(f"{EXERCISE_CHANGELIST}export/", {**fields, "format": "0"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return response.content


def test_a_trainer_exports_edits_previews_and_confirms_in_the_admin(trainer_browser, catalog):
    csv = _exported_csv(trainer_browser).decode().replace("King Runner", "King Runner Drill")
    upload = SimpleUploadedFile("catalog.csv", csv.encode(), content_type="text/csv")

    preview = trainer_browser.post(
        f"{EXERCISE_CHANGELIST}import/", {"import_file": upload, "format": "0"}
    )

    html = preview.content.decode()
    assert preview.status_code == 200
    shown = re.sub(r"<[^>]+>", "", html)
    assert "King Runner Drill" in shown  # The preview shows what would change...
    catalog.refresh_from_db()
    assert catalog.name == "King Runner"  # ...and changes nothing yet.
    confirm = form_values(html[html.index('action="/admin/exercises/exercise/process_import/"') :])
    confirm.pop("_save", None)
    done = trainer_browser.post(f"{EXERCISE_CHANGELIST}process_import/", confirm)
    assert done.status_code == 302
    catalog.refresh_from_db()
    assert catalog.name == "King Runner Drill"


def test_the_admin_preview_names_the_row_and_column_of_each_error(trainer_browser, catalog):
    csv = "slug,name,sets\r\nking-runner,King Runner,many\r\n"
    upload = SimpleUploadedFile("catalog.csv", csv.encode(), content_type="text/csv")

    preview = trainer_browser.post(
        f"{EXERCISE_CHANGELIST}import/", {"import_file": upload, "format": "0"}
    )

    html = preview.content.decode()
    assert "“many” is not a whole number." in html
    assert 'action="/admin/exercises/exercise/process_import/"' not in html  # No confirming.


def test_the_sheet_goes_round_as_xlsx_too(trainer_browser, trainer, catalog):
    fields = {f"exerciseresource_{column}": "on" for column in COLUMNS}
    response = trainer_browser.post(f"{EXERCISE_CHANGELIST}export/", {**fields, "format": "1"})
    data = tablib.Dataset().load(response.content, format="xlsx")

    result = run(trainer, data, dry_run=True)

    assert not result.has_validation_errors(), [r.error_dict for r in result.invalid_rows]
    assert result.totals["skip"] == 2


def test_a_person_who_may_only_read_the_catalog_cannot_import(catalog):
    reader = UserFactory(is_staff=True)
    reader.user_permissions.add(*Permission.objects.filter(codename="view_exercise"))

    assert browser_for(reader).get(f"{EXERCISE_CHANGELIST}import/").status_code == 403
    assert browser_for(reader).get(f"{EXERCISE_CHANGELIST}export/").status_code == 200
