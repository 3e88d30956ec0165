"""A Python client generated from the committed openapi.yaml, as an integrator would make it."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

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
