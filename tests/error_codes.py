"""Every error answer the suite provokes through an operation of openapi.yaml, checked against
the codes that operation documents (x-error-codes), so that no description can miss one."""

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

# Codes any request may get that no operation lists: a failure of the server, a method the
# URL does not take (no operation at all), a request Django refuses before routing it.
UNLISTED = {"server_error", "method_not_allowed", "bad_request"}

RECORDED: set[tuple[str, str, int, str]] = set()


class RecordErrorCodes:
    """Test-only middleware (tests/settings.py): notes each JSON error answer's code."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        json_body = response.get("Content-Type", "").startswith("application/json")
        if response.status_code >= 400 and json_body and not response.streaming:
            try:
                code = json.loads(response.content)["code"]
            except (ValueError, KeyError, TypeError):
                return response
            RECORDED.add((request.method.lower(), request.path, response.status_code, code))
        return response


@cache
def _operations() -> list[tuple[re.Pattern[str], str, dict[str, Any]]]:
    schema = yaml.safe_load(Path("openapi.yaml").read_text())
    return [
        (re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), method, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    ]


def undocumented(recorded: set[tuple[str, str, int, str]]) -> list[str]:
    """Each recorded answer whose operation does not list its code under its status."""
    missing = set()
    for method, path, status, code in recorded:
        if code in UNLISTED:
            continue
        for pattern, operation_method, operation in _operations():
            if operation_method == method and pattern.match(path):
                listed = operation["responses"].get(str(status), {}).get("x-error-codes", [])
                if code not in listed:
                    missing.add(f"{operation['operationId']}: {status} `{code}` ({path})")
    return sorted(missing)
