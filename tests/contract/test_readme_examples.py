"""The README's curl examples for a phone, read from README.md itself: each one, sent with the
real curl to a live server, answers what its comment says, and each JSON body it sends is the
request type openapi-typescript generates for its operation."""

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import yaml
from django.conf import settings

from tests.contract.conftest import compile_typescript, typescript_project

README = Path(settings.BASE_DIR) / "README.md"
SECTION = "## Logging workouts from a phone"
README_SERVER = "localhost:8000"


def readme_commands():
    """The curl commands of the README's section, each as (its words, its comment)."""
    text = README.read_text()
    assert SECTION in text, f"README.md has no {SECTION!r}, whose examples this tests"
    section = text.split(SECTION, 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert block, f"README.md has no ```sh block under {SECTION!r}"
    commands, pending = [], ""
    for line in block.group(1).replace("\\\n", " ").splitlines(keepends=True):
        pending += line
        try:
            words = shlex.split(pending)
        except ValueError:  # a quote still open: the command goes on
            continue
        pending = ""
        if words:
            cut = words.index("#") if "#" in words else len(words)
            commands.append((words[:cut], " ".join(words[cut + 1 :])))
    assert pending == "", f"an unfinished command in README.md: {pending}"
    assert commands, f"no command under {SECTION!r}"
    for words, _ in commands:
        assert words[0] == "curl", words
    return commands


def option(words, flag):
    """The value after `flag` (the last one if given more than once), or None."""
    values = [words[i + 1] for i, word in enumerate(words[:-1]) if word == flag]
    return values[-1] if values else None


def url_of(words):
    (url,) = [word for word in words if README_SERVER in word]
    return url


def operation_of(words):
    """The openapi.yaml path template and method that a command calls."""
    path = urlsplit(f"http://{url_of(words)}").path
    method = (option(words, "-X") or "GET").lower()
    schema = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
    for template, operations in schema["paths"].items():
        if re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) and method in operations:
            return template, method
    raise AssertionError(f"openapi.yaml has no {method.upper()} for {path}")


def test_readme_curl_examples_answer_what_their_comments_say(seeded_server, tmp_path):
    curl = shutil.which("curl")
    assert curl, "the README's examples need curl on PATH"
    access = None
    for number, (words, comment) in enumerate(readme_commands()):
        statuses = {int(status) for status in re.findall(r"\b[1-5]\d\d\b", comment)}
        assert statuses, f"the README's comment should say what {shlex.join(words)} answers"
        args = [word.replace(README_SERVER, seeded_server) for word in words[1:]]
        if access is not None:
            args = [arg.replace("$ACCESS", access) for arg in args]
        body = tmp_path / f"answer-{number}.json"
        # -q first: no ~/.curlrc of the machine changes what is sent.
        argv = [curl, "-q", *args, "--max-time", "10", "--output", body, "-w", "%{http_code}"]
        sent = subprocess.run(  # noqa: S603 - the README's own argv, no shell
            argv,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert sent.returncode == 0, (words, sent.stderr)
        answer = body.read_text()
        assert int(sent.stdout) in statuses, (shlex.join(words), sent.stdout, answer)
        access = json.loads(answer).get("access", access)
    assert access is not None, "no example logs in, so none can send $ACCESS"


def test_readme_request_bodies_are_the_generated_request_types(tmp_path, openapi_typescript_types):
    project = typescript_project(tmp_path)
    shutil.copy(openapi_typescript_types, project / "generated" / "schema.d.ts")
    lines = ['import type { paths } from "./generated/schema.js";', ""]
    for number, (words, _) in enumerate(readme_commands()):
        data = option(words, "-d")
        if data is None:
            continue
        assert "Content-Type: application/json" in words, f"{shlex.join(words)} sends no JSON type"
        template, method = operation_of(words)
        operation = f'paths["{template}"]["{method}"]'
        lines += [
            f"// README.md: {method.upper()} {template}",
            f'export const body{number}: NonNullable<{operation}["requestBody"]>["content"]'
            f'["application/json"] = {json.dumps(json.loads(data), indent=2)};',
            "",
        ]
    assert len(lines) > 2, "the README's examples send no body"
    (project / "readme-bodies.ts").write_text("\n".join(lines))
    compile_typescript(project)
