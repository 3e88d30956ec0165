"""A phone's day in TypeScript, through each client generator mobile teams use, against a live
server: the generated code and the day compile under `tsc --strict` with no error and no cast,
then the compiled day runs with node. The days are in tests/contract/typescript/."""

import shutil

import pytest

from sessions.models import WorkoutSession
from tests.contract.conftest import (
    compile_typescript,
    generate,
    run_node,
    typescript_project,
)

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "ann@example.com"
DONE = "the phone's day went as openapi.yaml says"


def play(script, server_url):
    """Run the compiled day against the server; then check what the server kept."""
    output = run_node(
        ["node", script],
        cwd=script.parent,
        timeout=60,
        env={"HIPFLEX_API_URL": server_url},
    )
    assert output.rstrip().endswith(DONE), output
    # One session however often it was sent, and its tombstone kept for other devices.
    (session,) = WorkoutSession.objects.filter(user__email=EMAIL)
    assert session.deleted_at is not None


def test_openapi_fetch_plays_the_phone_day(tmp_path, openapi_typescript_types, seeded_server):
    project = typescript_project(tmp_path, "day.ts", "openapi-fetch-day.ts")
    shutil.copy(openapi_typescript_types, project / "generated" / "schema.d.ts")
    compile_typescript(project)
    play(project / "out" / "openapi-fetch-day.js", seeded_server)


def test_orval_fetch_client_plays_the_phone_day(tmp_path, seeded_server):
    project = typescript_project(tmp_path, "day.ts", "orval-day.ts", "orval.config.mjs")
    generate("orval", "--config", "orval.config.mjs", "--fail-on-warnings", cwd=project)
    compile_typescript(project)
    play(project / "out" / "orval-day.js", seeded_server)
