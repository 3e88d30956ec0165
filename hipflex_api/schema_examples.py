"""openapi.yaml's `recorded` examples: what a day of real requests sent and got back.

tests/contract/examples_scenario.py plays the day against the server in-process; `make
examples` stores its exchanges in an `openapi_examples.json` beside the views of each app,
keyed by operationId (`operationId@status` for an operation's second success status):
`{"request": {"method", "path", "query"?, "body"?}, "status", "response"?}`. The hook below
puts them in the schema, beside the hand-written examples, and fails generation while an
operation that takes or returns JSON has none, or a recording names an operation that is gone.
"""

import inspect
import json
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from drf_spectacular.drainage import warn

EXAMPLES_FILE = "openapi_examples.json"
RECORDED = "recorded"
JSON = "application/json"
ANSWERED = "As the server answered"
REMAKE = "run `make examples`"


# Where installed packages live: their views (drf-spectacular's docs pages) have no recordings.
_INSTALLED = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}


def examples_file(view_class: type) -> Path:
    """Where the recordings of a view's operations are kept: beside the module that defines it."""
    return Path(inspect.getfile(view_class)).resolve().parent / EXAMPLES_FILE


def examples_files(view_classes: Iterable[type]) -> set[Path]:
    """The files of the apps these views belong to, installed packages' views aside."""
    files = {examples_file(view) for view in view_classes}
    return {path for path in files if not _INSTALLED & set(path.parents)}


def recordings(view_classes: Iterable[type]) -> dict[str, dict[str, Any]]:
    """Every recording of the apps these views belong to, keyed as the files key them."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(examples_files(view_classes)):
        if not path.exists():
            continue
        for key, recording in json.loads(path.read_text(encoding="utf-8")).items():
            if key in found:
                warn(f"{path}: {key} is recorded in another app's {EXAMPLES_FILE} too.")
            found[key] = recording
    return found


def _operations(result: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for item in result.get("paths", {}).values():
        yield from (operation for operation in item.values() if isinstance(operation, dict))


def _request_line(request: dict[str, Any]) -> str:
    query = f"?{urlencode(request['query'])}" if request.get("query") else ""
    return f"`{request['method']} {request['path']}{query}`"


def _json_content(holder: dict[str, Any] | None) -> dict[str, Any] | None:
    return (holder or {}).get("content", {}).get(JSON)


def _add_request(operation: dict[str, Any], key: str, recording: dict[str, Any]) -> None:
    request, status = recording["request"], recording["status"]
    content = _json_content(operation.get("requestBody"))
    if content is None:
        warn(f"{key}: the recording sends a body, but the schema takes none: {REMAKE}.")
        return
    examples = content.setdefault("examples", {})
    # A retry sends what the first call did: one example shows both.
    if any(
        name.startswith(RECORDED) and example["value"] == request["body"]
        for name, example in examples.items()
    ):
        return
    name = RECORDED if RECORDED not in examples else f"{RECORDED}-{status}"
    examples[name] = {
        "summary": f"As sent (answered {status})",
        "description": _request_line(request),
        "value": request["body"],
    }


def _add_response(operation: dict[str, Any], key: str, recording: dict[str, Any]) -> None:
    status = str(recording["status"])
    content = _json_content(operation["responses"][status])
    if content is None:
        warn(f"{key}: the recorded {status} has a JSON body, the schema's has none: {REMAKE}.")
        return
    content.setdefault("examples", {})[RECORDED] = {
        "summary": ANSWERED,
        "description": f"The answer to {_request_line(recording['request'])}.",
        "value": recording["response"],
    }


def _check_complete(operation: dict[str, Any]) -> None:
    """Warn of each JSON body of the operation that no recording shows."""
    operation_id = operation["operationId"]
    request = _json_content(operation.get("requestBody"))
    if request is not None and RECORDED not in request.get("examples", {}):
        warn(f"{operation_id} takes JSON but has no recorded request: {REMAKE}.")
    for status, response in operation.get("responses", {}).items():
        content = _json_content(response)
        if (
            status.startswith("2")
            and content is not None
            and RECORDED not in content.get("examples", {})
        ):
            warn(f"{operation_id} answers {status} with JSON but has no recorded one: {REMAKE}.")


def apply_recordings(result: dict[str, Any], found: dict[str, dict[str, Any]]) -> None:
    """Add the recordings to the schema as examples; warn of what is missing or stale."""
    operations = {operation["operationId"]: operation for operation in _operations(result)}
    for key, recording in sorted(found.items()):
        operation = operations.get(key.partition("@")[0])
        if operation is None:
            warn(f"{key} is recorded, but the schema has no such operation: {REMAKE}.")
            continue
        if str(recording["status"]) not in operation["responses"]:
            warn(f"{key}: the schema lists no {recording['status']} answer: {REMAKE}.")
            continue
        if "body" in recording["request"]:
            _add_request(operation, key, recording)
        if "response" in recording:
            _add_response(operation, key, recording)
    for operation in operations.values():
        _check_complete(operation)


def add_recorded_examples(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Each operation's recorded request and answer, as examples named `recorded`."""
    apply_recordings(
        result, recordings({callback.cls for _, _, _, callback in generator.endpoints})
    )
    return result
