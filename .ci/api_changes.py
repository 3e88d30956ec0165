#!/usr/bin/env python3
"""Fail when openapi.yaml breaks generated clients without saying so.

Every schema that carries a version must be one a client generated from the first schema of
that version still works with. A change that breaks such clients (an operation removed or
renamed, a response field removed, retyped or no longer always sent, a request field newly
required, an enum value removed) needs a new major version in SPECTACULAR_SETTINGS and a
section for it in CHANGELOG.md. The schemas compared come from git: the first commit whose
openapi.yaml carries the current version, and the first that carried the version before it.

    python .ci/api_changes.py            # check the committed openapi.yaml
"""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
METHODS = {"get", "put", "post", "delete", "patch"}


def _operations(schema: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in schema.get("paths", {}).items()
        for method, operation in item.items()
        if method in METHODS
    }


def _successes(operation: dict[str, Any]) -> set[str]:
    return {status for status in operation.get("responses", {}) if status.startswith("2")}


def _property_type(prop: dict[str, Any]) -> Any:
    """What a generated client types a property as: the components it names (however it names
    them: `$ref`, or `allOf`/`anyOf` beside a null), else its JSON type."""
    refs = [prop["$ref"]] if "$ref" in prop else []
    for key in ("allOf", "anyOf", "oneOf"):
        refs += [member["$ref"] for member in prop.get(key, []) if "$ref" in member]
    return tuple(refs) or prop.get("type")


def _fields(component: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
    """A component's properties and required names, also where it is an allOf of them and a
    rule (hipflex_api.schema.state_one_of_required)."""
    parts = [component, *[part for part in component.get("allOf", []) if "$ref" not in part]]
    properties: dict[str, Any] = {}
    required: set[str] = set()
    for part in parts:
        properties.update(part.get("properties", {}))
        required.update(part.get("required", []))
    return properties, required


def _components(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    found = []
    before, after = old["components"]["schemas"], new["components"]["schemas"]
    for name, component in before.items():
        if name not in after:
            found.append(f"component {name} removed")
            continue
        now = after[name]
        gone = set(component.get("enum", [])) - set(now.get("enum", []))
        found += [f"{name}: enum value {value!r} removed" for value in sorted(gone, key=str)]
        (properties, required), (now_properties, now_required) = _fields(component), _fields(now)
        if name.endswith("Request"):
            found += [
                f"{name}: {field} is now required" for field in sorted(now_required - required)
            ]
            continue
        for field, prop in properties.items():
            if field not in now_properties:
                found.append(f"{name}: {field} removed")
            elif _property_type(prop) != _property_type(now_properties[field]):
                found.append(f"{name}: {field} changed type")
            elif field in required and field not in now_required:
                # A client typed it as always there; now it must handle it missing.
                found.append(f"{name}: {field} may now be left out")
    return found


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in `new` breaks a client generated from `old`."""
    found = []
    before, after = _operations(old), _operations(new)
    for (method, path), operation in before.items():
        name = f"{method.upper()} {path}"
        if (method, path) not in after:
            found.append(f"{name} removed")
            continue
        now = after[method, path]
        if now.get("operationId") != operation.get("operationId"):
            found.append(
                f"{name} renamed {operation.get('operationId')} -> {now.get('operationId')}"
            )
        gone = _successes(operation) - _successes(now)
        found += [f"{name} no longer answers {status}" for status in sorted(gone)]
    return found + _components(old, new)


def _git(*args: str) -> str:
    return subprocess.run(  # noqa: S603 (git, with fixed arguments)
        [shutil.which("git") or "git", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _history() -> list[tuple[str, dict[str, Any]]]:
    """(commit, schema) for every commit that changed openapi.yaml, oldest first."""
    commits = _git("log", "--reverse", "--format=%H", "--", "openapi.yaml").split()
    return [(c, yaml.safe_load(_git("show", f"{c}:openapi.yaml"))) for c in commits]


def _major(version: str) -> int:
    return int(version.split(".")[0])


def check(entries: list[dict[str, Any]], changelog: str) -> list[str]:
    """Problems with the last of `entries`, the schemas in the order they were committed."""
    current = entries[-1]
    version = current["info"]["version"]
    first = next(i for i, schema in enumerate(entries) if schema["info"]["version"] == version)
    problems = [
        f"{version} breaks its first schema: {change} (a change like this needs a new major "
        "version and a CHANGELOG.md section)"
        for change in breaking_changes(entries[first], current)
    ]
    if first == 0:
        return problems
    if f"## {version}" not in changelog:
        problems.append(f"CHANGELOG.md has no section '## {version}'")
    previous = entries[first - 1]["info"]["version"]
    released = next(s for s in entries if s["info"]["version"] == previous)
    if _major(version) <= _major(previous):
        problems += [
            f"{change}: breaks {previous}, so {version} must be a new major version"
            for change in breaking_changes(released, entries[first])
        ]
    return problems


def main() -> int:
    current = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    entries = [schema for _, schema in _history()]
    if not entries or entries[-1] != current:
        entries.append(current)  # Not committed yet.
    changelog = (ROOT / "CHANGELOG.md").read_text() if (ROOT / "CHANGELOG.md").exists() else ""
    problems = check(entries, changelog)
    for problem in problems:
        print(f"openapi.yaml: {problem}", file=sys.stderr)
    if not problems:
        print(f"openapi.yaml {current['info']['version']}: no change breaks clients unannounced.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
