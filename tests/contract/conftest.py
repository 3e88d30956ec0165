"""Clients generated from the committed openapi.yaml, as integrators would make them: a Python
package, and the TypeScript clients of mobile teams with the compiler their code must pass."""

import importlib
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

PACKAGE = "hipflex_client"


@pytest.fixture(scope="session")
def generated_client(tmp_path_factory):
    """Generate the client package into a temporary folder and import it.

    The generator must accept the schema without a single warning: anything it skips (a
    body, a header, a response) is missing from every client made this way.
    """
    out = tmp_path_factory.mktemp("generated")
    config = out / "generator.yaml"
    # No ruff post-hooks: the code only has to import, and ruff need not be on PATH.
    config.write_text("post_hooks: []\n")
    result = subprocess.run(  # noqa: S603 - a fixed argv, no shell
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(Path(settings.BASE_DIR) / "openapi.yaml"),
            "--output-path",
            str(out / PACKAGE),
            "--meta",
            "none",
            "--config",
            str(config),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    assert "warning" not in report.lower(), report
    assert "error" not in report.lower(), report

    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


# The TypeScript clients mobile teams generate from openapi.yaml, and the compiler they use.

NODE_TOOLS = Path(settings.BASE_DIR) / "node_modules" / ".bin"
TYPESCRIPT_SOURCES = Path(__file__).parent / "typescript"
# Plain output to read in a failure, and nothing sent home by the tools.
NODE_ENV = {
    "NO_COLOR": "1",
    "FORCE_COLOR": "0",
    "REDOCLY_TELEMETRY": "off",
    "REDOCLY_SUPPRESS_UPDATE_NOTICE": "true",
    "NO_UPDATE_NOTIFIER": "1",
}


def run_node(argv, *, cwd, timeout, env=None):
    """Run node or one of the repository's npm tools in `cwd`; what it printed, which the
    failure message shows in full if it exits non-zero."""
    assert (NODE_TOOLS / "tsc").exists(), "the npm tools are missing: make node_modules/.installed"
    result = subprocess.run(  # noqa: S603 - a fixed argv, no shell
        argv,
        cwd=cwd,
        env={**os.environ, **NODE_ENV, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = result.stdout + result.stderr
    command = shlex.join(map(str, argv))
    assert result.returncode == 0, f"$ {command} (exit {result.returncode})\n{output}"
    return output


def generate(tool, *args, cwd):
    """Run a generator, which must not warn: what it warns of, it skipped or guessed."""
    output = run_node([NODE_TOOLS / tool, *args], cwd=cwd, timeout=120)
    for word in ("warn", "error"):
        assert word not in output.lower(), f"{tool} {shlex.join(args)}:\n{output}"


def typescript_project(folder, *sources):
    """A build folder for the TypeScript day: its config, the named sources from
    tests/contract/typescript, the schema as it is now, and the repository's node_modules."""
    for name in ("package.json", "tsconfig.json", *sources):
        shutil.copy(TYPESCRIPT_SOURCES / name, folder / name)
    shutil.copy(Path(settings.BASE_DIR) / "openapi.yaml", folder / "openapi.yaml")
    (folder / "node_modules").symlink_to(NODE_TOOLS.parent, target_is_directory=True)
    (folder / "generated").mkdir()
    return folder


def compile_typescript(project):
    """tsc over the project, generated code included: no error, nor anything else said."""
    output = run_node(
        [NODE_TOOLS / "tsc", "--project", project, "--strict", "--pretty", "false"],
        cwd=project,
        timeout=180,
    )
    assert output == "", output


@pytest.fixture(scope="session")
def openapi_typescript_types(tmp_path_factory):
    """openapi-typescript's types for openapi.yaml: the path of the generated schema.d.ts."""
    out = tmp_path_factory.mktemp("openapi-typescript")
    shutil.copy(Path(settings.BASE_DIR) / "openapi.yaml", out / "openapi.yaml")
    # Its own defaults, as an integrator runs it: the schema must read right with them.
    generate("openapi-typescript", "openapi.yaml", "--output", "schema.d.ts", cwd=out)
    return out / "schema.d.ts"


@pytest.fixture
def seeded_server(live_server, transactional_db):
    """The base URL of a live server with the seed catalog, for clients in other processes."""
    call_command("seed_catalog", verbosity=0)
    return live_server.url
