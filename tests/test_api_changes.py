"""The check that openapi.yaml breaks no generated client without a new major version."""

import copy
import importlib.util
from pathlib import Path

import pytest
import yaml

_PATH = Path(__file__).resolve().parent.parent / ".ci" / "api_changes.py"
_spec = importlib.util.spec_from_file_location("api_changes", _PATH)
api_changes = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(api_changes)


def _next_major(schema):
    return f"{int(schema['info']['version'].split('.')[0]) + 1}.0.0"


# A section for the committed schema's version and the next major one.
_COMMITTED = yaml.safe_load((_PATH.parent.parent / "openapi.yaml").read_text())
CHANGELOG = (
    f"# Changelog\n\n## {_next_major(_COMMITTED)}\n\nBreaking: ...\n\n"
    f"## {_COMMITTED['info']['version']}\n\n## 2.0.0\n"
)


@pytest.fixture(scope="module")
def released():
    return yaml.safe_load((_PATH.parent.parent / "openapi.yaml").read_text())


def _changed(schema, *, version=None):
    new = copy.deepcopy(schema)
    if version:
        new["info"]["version"] = version
    return new


def test_the_committed_schema_passes(released):
    assert api_changes.check([released], CHANGELOG) == []


def test_a_removed_response_field_is_caught(released):
    new = _changed(released)
    del new["components"]["schemas"]["Exercise"]["properties"]["summary"]

    (problem,) = api_changes.check([released, new], CHANGELOG)

    assert "Exercise: summary removed" in problem


def test_a_renamed_operation_is_caught(released):
    new = _changed(released)
    new["paths"]["/api/v1/exercises/"]["get"]["operationId"] = "fetchExercises"

    (problem,) = api_changes.check([released, new], CHANGELOG)

    assert "renamed listExercises -> fetchExercises" in problem


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (lambda s: s["paths"].pop("/api/v1/sync/"), "GET /api/v1/sync/ removed"),
        (
            lambda s: s["components"]["schemas"]["RegisterRequest"]["required"].append(
                "display_name"
            ),
            "RegisterRequest: display_name is now required",
        ),
        (
            lambda s: s["components"]["schemas"]["DifficultyEnum"]["enum"].remove(3),
            "DifficultyEnum: enum value 3 removed",
        ),
        (
            lambda s: s["paths"]["/api/v1/sessions/{id}/"]["put"]["responses"].pop("201"),
            "PUT /api/v1/sessions/{id}/ no longer answers 201",
        ),
        (
            lambda s: s["components"]["schemas"]["Exercise"]["required"].remove("summary"),
            "Exercise: summary may now be left out",
        ),
    ],
    ids=[
        "operation-removed",
        "newly-required",
        "enum-value-removed",
        "status-removed",
        "no-longer-always-sent",
    ],
)
def test_other_breaking_changes_are_caught(released, change, found):
    new = _changed(released)
    change(new)

    problems = api_changes.check([released, new], CHANGELOG)

    assert any(found in problem for problem in problems), problems


def test_an_added_optional_field_breaks_nothing(released):
    new = _changed(released)
    new["components"]["schemas"]["Exercise"]["properties"]["tempo"] = {"type": "string"}
    new["components"]["schemas"]["RegisterRequest"]["properties"]["nickname"] = {"type": "string"}

    assert api_changes.check([released, new], CHANGELOG) == []


def test_a_breaking_change_passes_with_a_new_major_version_and_its_changelog(released):
    new = _changed(released, version=_next_major(released))
    del new["components"]["schemas"]["Exercise"]["properties"]["summary"]

    assert api_changes.check([released, new], CHANGELOG) == []
    # Then the new major's own schema is the one later changes must keep working with.
    later = _changed(new)
    del later["components"]["schemas"]["Exercise"]["properties"]["name"]
    assert api_changes.check([released, new, later], CHANGELOG)


def test_a_new_version_needs_its_changelog_section_and_a_breaking_one_a_new_major(released):
    major, minor, _patch = map(int, released["info"]["version"].split("."))
    next_minor = f"{major}.{minor + 1}.0"
    new = _changed(released, version=next_minor)
    del new["components"]["schemas"]["Exercise"]["properties"]["summary"]

    problems = api_changes.check([released, new], CHANGELOG)

    assert any(f"no section '## {next_minor}'" in problem for problem in problems), problems
    assert any("must be a new major version" in problem for problem in problems), problems


def test_a_field_newly_required_inside_an_all_of_is_caught(released):
    new = _changed(released)
    fields = new["components"]["schemas"]["SetLogRequest"]["allOf"][0]
    fields["required"] = [*fields["required"], "notes"]

    (problem,) = api_changes.check([released, new], CHANGELOG)

    assert "SetLogRequest: notes is now required" in problem


def test_a_nullable_reference_written_another_way_is_no_change(released):
    old = _changed(released)
    advice = old["components"]["schemas"]["Advice"]["properties"]
    advice["suggested"] = {
        "allOf": [{"$ref": "#/components/schemas/ExerciseRef"}],
        "nullable": True,
    }

    assert api_changes.check([old, released], CHANGELOG) == []
    advice["suggested"] = {"$ref": "#/components/schemas/Muscle"}
    assert api_changes.check([old, released], CHANGELOG)
