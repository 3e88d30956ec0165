import re
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.core.management import call_command

from hipflex_api import docs
from tests.conftest import REFRESH_URL
from tests.helpers import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    path = tmp_path_factory.mktemp("schema") / "openapi.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_operation_has_a_summary_tag_and_json_errors(schema):
    for path, method, operation in _operations(schema):
        assert operation.get("summary"), (method, path)
        assert operation["tags"], (method, path)
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref == "#/components/schemas/Error", (method, path, status)


def test_error_responses_follow_what_each_operation_can_return(schema):
    paths = schema["paths"]

    def statuses(path, method):
        return set(paths[path][method]["responses"])

    exercises, exercise = "/api/v1/exercises/", "/api/v1/exercises/{slug}/"
    # 406, a refused Accept header, is every operation's (tests/test_errors.py asks each), and
    # 400, a query parameter the operation does not read; 503, a database that cannot answer;
    # 403, an app's token without `catalog:read`; 401, credentials sent that are not valid.
    assert statuses(exercises, "get") == {"200", "304", "400", "401", "403", "404", "406", "503"}
    assert statuses(exercises, "post") == {
        *("201", "400", "401", "403", "406", "409", "413", "415", "503")
    }
    assert statuses(exercise, "get") == {"200", "304", "400", "401", "403", "404", "406", "503"}
    assert statuses(exercise, "delete") == {
        *("204", "400", "401", "403", "404", "406", "409", "503")
    }
    assert statuses(exercise, "patch") == {
        "200",
        "400",
        "401",
        "403",
        "404",
        "406",
        "409",
        "413",
        "415",
        "503",
    }
    assert statuses("/api/v1/auth/token/", "post") >= {"200", "400", "401", "429"}


def test_a_public_operation_answers_a_stale_token_with_its_documented_401(schema, api_client):
    documented = schema["paths"]["/api/v1/exercises/"]["get"]["responses"]["401"]
    api_client.credentials(HTTP_AUTHORIZATION="Bearer not-a-token-this-server-issued")

    refused = api_client.get("/api/v1/exercises/")
    api_client.credentials()

    assert assert_error(refused, 401, "token_not_valid")
    assert "token_not_valid" in documented["x-error-codes"]
    assert "not_authenticated" not in documented["x-error-codes"]
    assert api_client.get("/api/v1/exercises/").status_code == 200


def test_unauthorized_and_throttled_responses_document_their_headers(schema):
    post = schema["paths"]["/api/v1/exercises/"]["post"]["responses"]
    assert "WWW-Authenticate" in post["401"]["headers"]
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "Retry-After" in token["429"]["headers"]


def test_every_operation_that_uses_the_database_documents_both_its_503s_and_the_others_do_not(
    schema,
):
    unavailable = {
        operation["operationId"]: operation["responses"].get("503", {})
        for item in schema["paths"].values()
        for operation in item.values()
    }
    free = {"getApiIndex", "checkHealth", "checkReadiness"}  # URL links, the probes.

    for name, answer in unavailable.items():
        codes = answer.get("x-error-codes", [])
        # Unreachable (a restart), or too busy (a statement timeout: a read may meet one too).
        assert ("database_unavailable" in codes) is (name not in free), name
        assert ("database_busy" in codes) is (name not in free), name
        if name not in free:
            assert "Retry-After" in answer["headers"], name
    assert "Retry-After" not in unavailable["checkReadiness"].get("headers", {})


def test_what_the_counters_count_documents_their_503_and_nothing_else_does(schema):
    counted = {
        operation["operationId"]: operation["responses"]["503"]
        for item in schema["paths"].values()
        for operation in item.values()
        if "limits_unavailable" in operation["responses"].get("503", {}).get("x-error-codes", [])
    }

    # Every throttled operation, and only those: the rest go on while the counters are down.
    assert sorted(counted) == [
        "changeMyEmail",
        "changeMyPassword",
        "confirmPasswordReset",
        "deleteMyAccount",
        "login",
        "pingMyWebhook",
        "redeemInvitation",
        "redeliverMyWebhookDelivery",
        "register",
        "requestPasswordReset",
        "resendEmailVerification",
        "verifyEmail",
    ]
    assert all("Retry-After" in answer["headers"] for answer in counted.values())


def test_exercise_detail_has_an_example_and_filters_are_documented(schema):
    detail = schema["paths"]["/api/v1/exercises/{slug}/"]["get"]
    examples = detail["responses"]["200"]["content"]["application/json"]["examples"]
    assert examples
    listing = schema["paths"]["/api/v1/exercises/"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"kind", "muscle", "equipment", "difficulty", "unilateral", "search"} <= names
    assert {"updated_since", "ordering", "page", "page_size"} <= names
    page_size = next(p for p in listing["parameters"] if p["name"] == "page_size")
    assert page_size["schema"]["maximum"] == 100


def test_committed_openapi_yaml_matches_the_code(schema, settings):
    from pathlib import Path

    committed = yaml.safe_load((Path(settings.BASE_DIR) / "openapi.yaml").read_text())
    assert committed == schema


def test_docs_pages_are_served_from_our_own_static_files(client):
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 200
        html = response.content.decode()
        scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
        # Every script is this server's own copy. (Not a search for "cdn": the nonce can spell it.)
        assert scripts
        assert all(
            src.startswith(("/static/drf_spectacular_sidecar/", "/api/redoc/")) for src in scripts
        ), scripts
        # Nothing else from elsewhere either: drf-spectacular's ReDoc page links Google's fonts.
        assert not re.findall(r"(?:href|src)=\"(?:https?:)?//", html), url
    assert client.get("/api/schema/").status_code == 200


def test_redoc_is_served_without_the_logo_it_would_fetch_from_a_cdn(client):
    (src,) = re.findall(
        r"<script[^>]*\bsrc=\"([^\"]+)\"", client.get("/api/redoc/").content.decode()
    )
    response = client.get(src)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    script = b"".join(response)
    assert b"Redoc" in script
    # The sidecar's copy names the logo's address; the one served does not.
    assert (
        b"https://cdn.redoc.ly/redoc/logo-mini.svg"
        in Path(finders.find(docs.REDOC_BUNDLE)).read_bytes()
    )
    assert b"cdn.redoc.ly" not in script
    again = client.get(src, HTTP_IF_NONE_MATCH=f'"other", W/{response["ETag"]}')
    assert again.status_code == 304
    assert client.get(src, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_swagger_ui_assets_are_served_offline(client):
    response = client.get("/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")
    assert response.status_code == 200


def test_site_root_points_newcomers_to_the_docs(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == "/api/docs/"


def test_deleting_the_account_documents_its_password_body(schema):
    operation = schema["paths"]["/api/v1/me/"]["delete"]
    body = operation["requestBody"]
    assert body["required"] is True
    ref = body["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert component["required"] == ["password"]


def test_the_error_shape_says_request_id_comes_only_with_some_errors(schema):
    error = schema["components"]["schemas"]["Error"]

    assert "request_id" in error["properties"]
    assert error["required"] == ["code", "detail", "errors", "status"]
    assert "x-optional-in-response" not in yaml.safe_dump(schema)


# The verbs operation ids start with; a new operation may need a new one, on purpose.
OPERATION_VERBS = {
    "accept", "change", "check", "confirm", "copy", "create", "decline", "delete", "end",
    "export", "get", "list", "login", "logout", "ping", "redeem", "redeliver", "refresh",
    "register", "replace", "request", "resend", "revoke", "rotate", "save", "start", "update",
    "upload", "verify", "withdraw",
}  # fmt: skip
_METHODS = {"get", "put", "post", "delete", "patch"}


def test_every_operation_has_a_verb_noun_id_of_its_own(schema):
    ids = [
        operation["operationId"]
        for path in schema["paths"].values()
        for operation in path.values()
        if isinstance(operation, dict) and "operationId" in operation
    ]

    assert (
        len(ids)
        == len(set(ids))
        == sum(1 for path in schema["paths"].values() for method in path if method in _METHODS)
    )
    for operation_id in ids:
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation_id), operation_id
        assert re.match(r"[a-z]+", operation_id).group() in OPERATION_VERBS, operation_id


def test_every_response_says_what_it_is(schema):
    for path, method, operation in _operations(schema):
        for status, response in operation["responses"].items():
            assert response.get("description", "").strip(), (method, path, status)


def test_the_committed_schema_names_make_runs_server_and_the_served_one_its_own(client):
    committed = yaml.safe_load(Path("openapi.yaml").read_text())
    served = yaml.safe_load(client.get("/api/schema/").content)

    assert [server["url"] for server in committed["servers"]] == ["http://127.0.0.1:8000"]
    assert served["servers"] == [{"url": "http://testserver"}]
    assert committed["info"]["license"]["name"] == "MIT"
    assert committed["info"]["contact"]["name"]


def _walk(node):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def test_every_enum_is_a_named_component_whose_members_have_names(schema):
    components = schema["components"]["schemas"]
    for path, method, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            assert "enum" not in parameter["schema"], (method, path, parameter["name"])
            assert "enum" not in parameter["schema"].get("items", {}), (method, path)
    for name, component in components.items():
        if "enum" in component:
            names = component.get("x-enum-varnames", [])
            values = [value for value in component["enum"] if value is not None]
            assert len(names) == len(set(names)) == len(values), name
            assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", n) for n in names), (name, names)
    assert components["DifficultyEnum"]["x-enum-varnames"] == [
        "BEGINNER",
        "INTERMEDIATE",
        "ADVANCED",
    ]


def test_a_nullable_choice_is_its_enum_made_nullable_not_a_one_of_with_a_null_enum(schema):
    components = schema["components"]["schemas"]
    assert "NullEnum" not in components
    assert not [node for node in _walk(schema) if "oneOf" in node]
    side = components["Advice"]["properties"]["painful_side"]
    assert side["allOf"] == [{"$ref": "#/components/schemas/PainfulSideEnum"}]
    assert components["Adjustment"]["properties"]["painful_side"] == {
        "allOf": [{"$ref": "#/components/schemas/PainfulSideEnum"}],
        "x-health-data": True,
    }
    painful_side = components["PainfulSideEnum"]
    assert (painful_side["nullable"], painful_side["enum"]) == (True, ["left", "right", None])


def test_a_nullable_reference_has_a_type_beside_nullable_as_openapi_3_0_3_requires(schema):
    components = schema["components"]["schemas"]
    nullable_without_type = [
        node for node in _walk(schema) if node.get("nullable") and "type" not in node
    ]
    assert nullable_without_type == []
    assert components["Advice"]["properties"]["suggested"]["anyOf"] == [
        {"$ref": "#/components/schemas/ExerciseRef"},
        {"type": "object", "nullable": True, "enum": [None]},
    ]


def test_an_error_code_an_operation_does_not_list_is_caught():
    from tests.error_codes import undocumented

    listed = ("post", "/api/v1/auth/token/", 401, "no_active_account")
    unlisted = ("post", "/api/v1/auth/token/", 401, "gone")
    elsewhere = ("get", "/api/v1/sessions/0b6a9e0c-5f1e-4d61-9d67-2f4c1b7a8e11/", 412, "gone")

    assert undocumented({listed}) == []
    assert undocumented({listed, unlisted, elsewhere}) == [
        "getSession: 412 `gone` (/api/v1/sessions/0b6a9e0c-5f1e-4d61-9d67-2f4c1b7a8e11/)",
        "login: 401 `gone` (/api/v1/auth/token/)",
    ]


def _properties(component):
    """A component's own fields, also where it is an allOf of them and a rule."""
    return component["allOf"][0]["properties"] if "allOf" in component else component["properties"]


@pytest.mark.parametrize(
    ("component", "fields"),
    [
        ("SetLogRequest", ["reps", "hold_seconds"]),
        ("RoutineItemRequest", ["reps_per_side", "hold_seconds"]),
    ],
)
def test_a_rule_needing_one_of_two_fields_is_stated_with_any_of(schema, component, fields):
    (rule,) = schema["components"]["schemas"][component]["allOf"][1:]

    assert [branch["required"] for branch in rule["anyOf"]] == [[name] for name in fields]
    for branch, name in zip(rule["anyOf"], fields, strict=True):
        assert branch["properties"][name]["type"] == "integer"
        assert "nullable" not in branch["properties"][name]  # given means not null


def test_nested_lists_in_requests_state_their_bounds(schema, settings):
    from exercises import limits

    components = schema["components"]["schemas"]
    items = _properties(components["RoutineRequest"])["items"]
    sets = _properties(components["WorkoutSessionRequest"])["sets"]

    assert (items["minItems"], items["maxItems"]) == (1, limits.ROUTINE_ITEMS)
    assert sets["maxItems"] == settings.MAX_SETS_PER_SESSION
    assert "maxItems" not in _properties(components["WorkoutSession"])["sets"]


def test_request_text_states_what_the_server_refuses_in_it(schema, user_client):
    components = schema["components"]["schemas"]
    notes = re.compile(_properties(components["WorkoutSessionRequest"])["notes"]["pattern"])
    token = re.compile(_properties(components["TokenRefreshRequest"])["refresh"]["pattern"])

    # Notes may be blank but hold no NUL; a refresh token must hold more than whitespace,
    # by Python's reckoning, which is what DRF strips (\x1c is whitespace to it, not to ECMA).
    assert [bool(notes.fullmatch(text)) for text in ("", " ", "a\x00")] == [True, True, False]
    assert [bool(token.fullmatch(text)) for text in (" t ", " \r", "\x1c")] == [True, False, False]
    refused = user_client.post(REFRESH_URL, {"refresh": " \x1c\r"}, format="json")
    assert [e["code"] for e in refused.json()["errors"]] == ["blank"]
    response = user_client.patch("/api/v1/me/", {"display_name": "A\x00nn"}, format="json")
    assert [e["code"] for e in response.json()["errors"]] == ["null_characters_not_allowed"]


def test_the_idempotency_key_pattern_is_the_one_the_server_checks(schema):
    from hipflex_api.idempotency.keys import KEY_PATTERN

    upload = schema["paths"]["/api/v1/sessions/"]["post"]
    (key,) = [p for p in upload["parameters"] if p["name"] == "Idempotency-Key"]

    assert key["schema"]["pattern"] == f"^{KEY_PATTERN}$"


def test_health_data_is_marked_wherever_the_schema_carries_it(schema):
    marked, unmarked = set(), set()
    for name, component in schema["components"]["schemas"].items():
        for field, declared in component.get("properties", {}).items():
            (marked if declared.get("x-health-data") else unmarked).add(f"{name}.{field}")

    assert {
        "SetLog.pain",
        "WorkoutSession.perceived_effort",
        "Advice.recent_pain",
        "PainBySide.left",
        "ClientFlag.detail",
        "Proposal.reason",
        "Advice.reason",
    } <= marked
    # Whatever counts or names pain says so.
    assert not {field for field in unmarked if "pain" in field.split(".")[1]}
