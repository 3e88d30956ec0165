"""A trainer's day in the admin, in the browser: an exercise built from nothing, its steps
dragged into order, a photo with its licence, the preview, publishing refused until a caution
is there, then the API serving it; an edit compared with the version before and reverted; the
catalog exported to a spreadsheet and imported back after a dry run."""

import json

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from exercises.models import Exercise
from tests.conftest import an_image
from tests.factories import MuscleFactory

EXERCISES = "/admin/exercises/exercise/"


@pytest.fixture(autouse=True)
def _media_served(settings):
    settings.ROOT_URLCONF = "tests.browser.urls"


@pytest.fixture
def signed_in(browser, trainer_with_password):
    browser.sign_in(trainer_with_password.email)
    return browser


def save(page, button: str = "_continue") -> None:
    with page.expect_navigation():
        page.click(f"input[name={button}]")


def messages(page) -> str:
    return page.locator(".messagelist").inner_text()


def add_row(page, group: str) -> None:
    page.click(f"#{group}-group .add-row a")


def pick(page, row: str, text: str) -> None:
    """Choose `text` in an autocomplete box (select2) of inline row `row`."""
    page.click(f"#{row} .select2-selection")
    page.fill(".select2-search__field", text)
    page.click(f".select2-results__option:has-text('{text}')")


def build_standing_march(page, tmp_path) -> None:
    page.fill("#id_name", "Standing March")
    page.select_option("#id_kind", "strengthen")
    page.fill("#id_summary", "Lifts one knee at a time to wake the hip flexors.")
    page.check("#id_unilateral")
    page.fill("#id_reps_per_side", "10")
    for index, text in enumerate(["Lift one knee.", "Lower it slowly.", "Stand tall."]):
        add_row(page, "steps")
        page.fill(f"#id_steps-{index}-text", text)
    add_row(page, "muscle_links")
    pick(page, "muscle_links-0", "Iliopsoas")
    page.select_option("#id_muscle_links-0-role", "primary")
    photo = tmp_path / "march.jpg"
    photo.write_bytes(an_image("JPEG", (1200, 900)))
    add_row(page, "media")
    page.select_option("#id_media-0-kind", "image")
    page.set_input_files("#id_media-0-file", str(photo))
    page.fill("#id_media-0-caption", "Knee at hip height")
    page.fill("#id_media-0-licence", "CC BY 4.0")
    page.fill("#id_media-0-attribution", "Sam, a hipflex trainer")


def test_a_trainer_builds_an_exercise_previews_it_and_publishes_it_once_it_is_safe(
    signed_in, tmp_path
):
    MuscleFactory(name="Iliopsoas")
    page = signed_in.page
    signed_in.go(f"{EXERCISES}add/")
    build_standing_march(page, tmp_path)
    page.check("#id_published")  # Asked for at once, without a caution.
    save(page)

    assert "add at least one safety caution" in messages(page)
    exercise = Exercise.objects.get(slug="standing-march")
    assert not exercise.published
    # "Stand tall." belongs first: dragged from the bottom to the top.
    page.locator("#steps-2 td.original p").drag_to(page.locator("#steps-0 td.original p"))
    add_row(page, "cautions")
    page.fill("#id_cautions-0-text", "Stop if the front of the hip pinches.")
    save(page)
    assert list(exercise.steps.values_list("text", flat=True)) == [
        "Stand tall.",
        "Lift one knee.",
        "Lower it slowly.",
    ]
    page.click("text=Preview as the app shows it")
    phone = page.locator("[data-testid=phone]")
    expect(phone.locator("[data-testid=steps] li").first).to_have_text("Stand tall.")
    expect(phone).to_contain_text("10 reps per side")
    expect(phone).to_contain_text("Credit: Sam, a hipflex trainer (CC BY 4.0)")
    assert phone.locator("img").evaluate("img => img.naturalWidth") > 0  # Served, and drawn.
    expect(page.locator(".errornote")).to_contain_text("A draft: apps do not see it yet.")

    page.go_back()
    page.check("#id_published")
    save(page)
    exercise.refresh_from_db()
    assert exercise.published, messages(page)
    served = json.loads(
        page.request.get(f"{signed_in.url}/api/v1/exercises/standing-march/").text()
    )
    assert served["steps"] == ["Stand tall.", "Lift one knee.", "Lower it slowly."]
    assert served["media"][0]["licence"] == "CC BY 4.0"
    assert signed_in.outside == []
    assert signed_in.console_errors == []


def test_a_trainer_compares_an_edit_with_the_version_before_and_reverts_it(signed_in, tmp_path):
    MuscleFactory(name="Iliopsoas")
    page = signed_in.page
    signed_in.go(f"{EXERCISES}add/")
    build_standing_march(page, tmp_path)
    save(page)
    page.fill("#id_summary", "A summary that went wrong.")
    page.fill("#id_steps-0-text", "Jump.")
    save(page)

    page.click("a.historylink")
    page.click("#change-history input[type=submit]")  # The two newest, preselected.
    expect(page.locator("#content")).to_contain_text("A summary that went wrong.")
    expect(page.locator("#content")).to_contain_text("to wake the hip flexors")
    page.go_back()
    # The older version (the first save), opened and saved again: the revert.
    page.locator("#change-history tbody tr").last.locator("th a").click()
    save(page, "_save")

    exercise = Exercise.objects.get(slug="standing-march")
    assert exercise.summary == "Lifts one knee at a time to wake the hip flexors."
    assert exercise.steps.values_list("text", flat=True).first() == "Lift one knee."
    signed_in.go(f"{EXERCISES}{exercise.pk}/history/")
    newest = page.locator("#change-history tbody tr").first
    expect(newest).to_contain_text("Reverted to previous version")
    expect(newest).to_contain_text("sam@example.com")
    assert signed_in.console_errors == []


def test_a_trainer_exports_the_catalog_and_imports_it_back_after_a_dry_run(signed_in, tmp_path):
    call_command("seed_catalog", verbosity=0)
    page = signed_in.page
    signed_in.go(EXERCISES)
    page.click("a.export_link")
    page.select_option("select[name=format]", label="csv")
    with page.expect_download() as download:
        page.click("#content input[type=submit]")
    sheet = tmp_path / "catalog.csv"
    download.value.save_as(sheet)
    runner = Exercise.objects.get(slug="king-runner")
    first_step = runner.steps.first().text
    sheet.write_text(sheet.read_text().replace(first_step, "Stand tall on one leg."))

    signed_in.go(EXERCISES)
    page.click("a.import_link")
    page.set_input_files("input[name=import_file]", str(sheet))
    page.select_option("select[name=format]", label="csv")
    save_button = "#content input[type=submit]"
    with page.expect_navigation():
        page.click(save_button)

    # The dry run: one row to update, the others unchanged, nothing written yet.
    expect(page.locator("#content")).to_contain_text("Stand tall on one leg.")
    assert runner.steps.first().text == first_step
    with page.expect_navigation():
        page.click("input[value='Confirm import']")
    expect(page.locator(".messagelist")).to_contain_text("1 update")
    assert runner.steps.first().text == "Stand tall on one leg."
