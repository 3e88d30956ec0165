"""openapi.yaml's examples hold: the recorded ones are what the server answers (the day of
tests/contract/examples_scenario.py, replayed on a fresh database, gives them again), every
example, recorded or hand-written, fits its schema, and every JSON body has one.

With HIPFLEX_RECORD_EXAMPLES=1 (`make examples`) the replay writes the recordings instead.
"""

import copy
import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings
from django.urls import resolve
from drf_spectacular.generators import EndpointEnumerator
from jsonschema import Draft7Validator

from hipflex_api import schema_examples
from hipflex_api.schema_examples import RECORDED, examples_file, examples_files, recordings
from tests.contract.examples_scenario import play_the_day

RECORDING = os.environ.get("HIPFLEX_RECORD_EXAMPLES") == "1"

_JWT = "a JWT names a random id (jti) and a hash of the salted password hash"
_MAILED = "a mailed code is random"
_STORED = "an uploaded image is stored under a random name"

# The values that differ from one replay to the next by nature, as (recording, path): why.
# The comparison leaves exactly these out; everything else must be equal.
RANDOM_VALUES = {
    ("login", "response.access"): _JWT,
    ("login", "response.refresh"): _JWT,
    ("refreshToken", "request.body.refresh"): _JWT,
    ("refreshToken", "response.access"): _JWT,
    ("refreshToken", "response.refresh"): _JWT,
    ("changeMyPassword", "response.access"): _JWT,
    ("changeMyPassword", "response.refresh"): _JWT,
    ("confirmPasswordReset", "request.body.token"): _MAILED,
    ("confirmPasswordReset", "response.access"): _JWT,
    ("confirmPasswordReset", "response.refresh"): _JWT,
    ("verifyEmail", "request.body.token"): _MAILED,
    ("logout", "request.body.refresh"): _JWT,
    ("uploadExerciseImage", "response.url"): _STORED,
    ("uploadExerciseImage", "response.renditions"): _STORED,
    ("createMyToken", "response.token"): "a personal access token is random",
    ("createMyWebhook", "response.secret"): "a signing secret is random",
    ("rotateMyWebhookSecret", "response.secret"): "a signing secret is random",
}


def masked(key: str, recording: dict[str, Any]) -> dict[str, Any]:
    """The recording with its random values (RANDOM_VALUES) replaced by their type's name."""
    result = copy.deepcopy(recording)
    for where, path in RANDOM_VALUES:
        if where != key:
            continue
        *parents, last = path.split(".")
        node = result
        for name in parents:
            node = node.get(name, {})
        assert last in node, f"{key}: {path} is listed as random but is not in the recording"
        node[last] = f"<random {type(node[last]).__name__}>"
    return result


def _differences(played: Any, stored: Any, path: str) -> Iterator[str]:
    if isinstance(played, dict) and isinstance(stored, dict):
        for name in sorted(played.keys() | stored.keys()):
            if name not in stored or name not in played:
                yield f"{path}.{name}: only {'played' if name in played else 'recorded'}"
            else:
                yield from _differences(played[name], stored[name], f"{path}.{name}")
    elif isinstance(played, list) and isinstance(stored, list) and len(played) == len(stored):
        for index, (one, other) in enumerate(zip(played, stored, strict=True)):
            yield from _differences(one, other, f"{path}[{index}]")
    elif played != stored or type(played) is not type(stored):
        yield f"{path}: played {json.dumps(played)[:200]}, recorded {json.dumps(stored)[:200]}"


def differences(played: dict[str, Any], stored: dict[str, Any]) -> list[str]:
    """Where the day's exchanges and the recorded ones differ, random values aside."""
    found = [
        f"{key}: recorded, but the day no longer makes it" for key in stored.keys() - played.keys()
    ]
    found += [f"{key}: made by the day, but not recorded" for key in played.keys() - stored.keys()]
    for key in sorted(played.keys() & stored.keys()):
        found += _differences(masked(key, played[key]), masked(key, stored[key]), key)
    return found


def _views() -> set[type]:
    return {callback.cls for _, _, _, callback in EndpointEnumerator().get_api_endpoints()}


def stored_recordings() -> dict[str, dict[str, Any]]:
    """The recordings in the apps' files, read as the schema hook reads them."""
    return recordings(_views())


def merged(played: dict[str, Any], stored: dict[str, Any]) -> dict[str, Any]:
    """What to store: each recording as played, unless only its random values changed."""
    return {
        key: stored[key]
        if key in stored and masked(key, stored[key]) == masked(key, recording)
        else recording
        for key, recording in played.items()
    }


def write_recordings(played: dict[str, Any]) -> None:
    """Store each recording in the file of the app whose view serves its path."""
    files: dict[Path, dict[str, Any]] = defaultdict(dict)
    for key, recording in merged(played, stored_recordings()).items():
        files[examples_file(resolve(recording["request"]["path"]).func.cls)][key] = recording
    for path in examples_files(_views()) - files.keys():
        path.unlink(missing_ok=True)
    for path, found in files.items():
        text = json.dumps(found, indent=2, sort_keys=True, ensure_ascii=False)
        path.write_text(f"{text}\n", encoding="utf-8")


# Real commits, so that mail goes out as on a server, on a database whose ids count from 1
# again, so that they are the recorded ones on PostgreSQL too.
@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_the_day_answers_as_recorded():
    day = play_the_day()
    if RECORDING:
        write_recordings(day.recorded)

    assert differences(day.recorded, stored_recordings()) == []
    assert {key.partition("@")[0] for key in day.recorded} == day.operations.ids()


# The examples against their schemas, in the committed openapi.yaml.


@pytest.fixture(scope="module")
def committed_schema():
    text = (Path(settings.BASE_DIR) / "openapi.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield f"{method.upper()} {path}", operation


def _json_bodies(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(operationId, "request" or the status, its application/json media type) for each body."""
    for _, operation in _operations(schema):
        where = operation["operationId"]
        request = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if request is not None:
            yield where, "request", request
        for status, response in operation["responses"].items():
            if (media := response.get("content", {}).get("application/json")) is not None:
                yield where, status, media


def _property_names(schema: dict[str, Any], components: dict[str, Any]) -> set[str]:
    """The properties an object schema lists, those of the schemas it combines included."""
    if "$ref" in schema:
        return _property_names(components[schema["$ref"].rsplit("/", 1)[1]], components)
    names = set(schema.get("properties", {}))
    for key in ("allOf", "anyOf", "oneOf"):
        for option in schema.get(key, []):
            names |= _property_names(option, components)
    return names


def json_schema(
    schema: dict[str, Any], components: dict[str, Any], *, closed: bool = True
) -> dict[str, Any]:
    """An OpenAPI 3.0 schema as JSON Schema: references resolved, `nullable` as a null type,
    and objects closed to the properties they list, as Redocly's linter reads examples. (The
    parts of an allOf are closed together, as one object, not each on its own.)"""
    if "$ref" in schema:
        target = components[schema["$ref"].rsplit("/", 1)[1]]
        return json_schema(target, components, closed=closed)
    converted = {key: value for key, value in schema.items() if key != "nullable"}
    if "properties" in schema:
        converted["properties"] = {
            name: json_schema(value, components) for name, value in schema["properties"].items()
        }
    for key in ("items", "additionalProperties", "not"):
        if isinstance(schema.get(key), dict):
            converted[key] = json_schema(schema[key], components)
    for key in ("allOf", "anyOf", "oneOf"):
        if key in schema:
            converted[key] = [json_schema(part, components, closed=False) for part in schema[key]]
    names = _property_names(schema, components)
    if closed and names and "additionalProperties" not in schema:
        listed = {name: {} for name in names}
        converted["properties"] = {**listed, **converted.get("properties", {})}
        converted["additionalProperties"] = False
    return {"anyOf": [{"type": "null"}, converted]} if schema.get("nullable") else converted


def schema_violations(schema: dict[str, Any]) -> list[str]:
    """Every example of a JSON body that its schema refuses, and why."""
    components = schema["components"]["schemas"]
    found = []
    for where, part, media in _json_bodies(schema):
        validator = Draft7Validator(
            json_schema(media["schema"], components), format_checker=Draft7Validator.FORMAT_CHECKER
        )
        examples = dict(media.get("examples", {}))
        if "example" in media:
            examples["example"] = {"value": media["example"]}
        for name, example in examples.items():
            found += [
                f"{where} {part} example {name!r}, at {error.json_path}: {error.message}"
                for error in validator.iter_errors(example["value"])
            ]
    return found


def test_every_example_fits_its_schema(committed_schema):
    assert schema_violations(committed_schema) == []


def test_every_json_request_and_success_answer_has_an_example(committed_schema):
    missing = [
        f"{where} {part}"
        for where, part, media in _json_bodies(committed_schema)
        if (part == "request" or part.startswith("2"))
        and not (media.get("examples") or "example" in media)
    ]

    assert missing == []


def _without_recorded_examples(schema: dict[str, Any]) -> dict[str, Any]:
    stripped = copy.deepcopy(schema)
    for _, _, media in _json_bodies(stripped):
        examples = media.get("examples", {})
        for name in [name for name in examples if name.startswith(RECORDED)]:
            del examples[name]
        if "examples" in media and not examples:
            del media["examples"]
    return stripped


def test_the_schema_shows_the_recordings_as_stored(committed_schema, monkeypatch):
    warned = []
    monkeypatch.setattr(schema_examples, "warn", warned.append)
    result = _without_recorded_examples(committed_schema)

    schema_examples.apply_recordings(result, stored_recordings())

    assert warned == []
    assert result == committed_schema


# The checks themselves can fail.


def test_a_changed_answer_is_caught_and_a_random_value_is_not():
    stored = stored_recordings()
    changed = copy.deepcopy(stored)
    changed["getExercise"]["response"]["name"] = "King Runner, renamed"
    changed["login"]["response"]["access"] = "another.signed.token"
    del changed["getMuscle"]

    assert differences(changed, stored) == [
        "getMuscle: recorded, but the day no longer makes it",
        'getExercise.response.name: played "King Runner, renamed", recorded "King Runner"',
    ]


def test_a_random_value_that_is_gone_is_caught():
    stored = stored_recordings()
    del stored["login"]["response"]["refresh"]

    with pytest.raises(AssertionError, match=r"login: response.refresh is listed as random"):
        masked("login", stored["login"])


def test_re_recording_keeps_a_recording_whose_only_change_is_random():
    stored = stored_recordings()
    played = copy.deepcopy(stored)
    played["login"]["response"]["access"] = "another.signed.token"
    played["getExercise"]["response"]["name"] = "King Runner, renamed"

    kept = merged(played, stored)

    assert kept["login"] == stored["login"]
    assert kept["getExercise"] == played["getExercise"]


def test_an_example_that_breaks_its_schema_is_caught(committed_schema):
    broken = copy.deepcopy(committed_schema)
    detail = broken["paths"]["/api/v1/exercises/{slug}/"]["get"]["responses"]["200"]
    value = detail["content"]["application/json"]["examples"]["recorded"]["value"]
    value["difficulty"] = "hard"
    value["muscles"][0]["strength"] = 3
    register = broken["paths"]["/api/v1/auth/register/"]["post"]["requestBody"]
    del register["content"]["application/json"]["examples"]["recorded"]["value"]["password"]

    caught = set(schema_violations(broken)) - set(schema_violations(committed_schema))

    assert caught == {
        "register request example 'recorded', at $: 'password' is a required property",
        "getExercise 200 example 'recorded', at $.difficulty: 'hard' is not one of [1, 2, 3]",
        "getExercise 200 example 'recorded', at $.difficulty: 'hard' is not of type 'integer'",
        "getExercise 200 example 'recorded', at $.muscles[0]: Additional properties are not "
        "allowed ('strength' was unexpected)",
    }


def test_schema_generation_fails_for_an_operation_without_recordings_or_a_stale_one(
    committed_schema, monkeypatch
):
    warned = []
    monkeypatch.setattr(schema_examples, "warn", warned.append)
    found = stored_recordings()
    del found["getMuscle"], found["register"]
    found["listWidgets"] = found["listMuscles"]

    schema_examples.apply_recordings(_without_recorded_examples(committed_schema), found)

    assert warned == [
        "listWidgets is recorded, but the schema has no such operation: run `make examples`.",
        "register takes JSON but has no recorded request: run `make examples`.",
        "register answers 202 with JSON but has no recorded one: run `make examples`.",
        "getMuscle answers 200 with JSON but has no recorded one: run `make examples`.",
    ]
