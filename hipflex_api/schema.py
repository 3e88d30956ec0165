"""Schema generation: each operation's errors from the view itself, and the hooks that make
the schema one that client generators read right (named enums, described responses, servers)."""

import json
import re
from collections import Counter
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import uritemplate
from django.contrib.auth.models import AnonymousUser
from drf_spectacular import openapi
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.drainage import warn
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAuthenticated

from hipflex_api.fields import HEALTH_DATA, HEALTH_DATA_SCOPE, is_health_data
from hipflex_api.serializers import ERROR_CODES, OPTIONAL_IN_RESPONSE, ErrorSerializer

_BODY_METHODS = {"POST", "PUT", "PATCH"}


class JWTScheme(SimpleJWTScheme):
    """Our JWTAuthentication is simplejwt's, described the same way."""

    target_class = "hipflex_api.accounts.auth.JWTAuthentication"


_RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer"},
        "description": "Seconds to wait before trying again.",
    }
}
_ERROR_HEADERS = {
    "401": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": 'How to authenticate: `Bearer realm="api"`.',
        }
    },
    "429": _RETRY_AFTER,
}


# Where each error answer of an operation lists the codes it carries.
ERROR_CODES_KEY = "x-error-codes"

# What a request whose credentials fail answers (simplejwt's and hipflex_api.accounts.auth's).
_CREDENTIAL_CODES = (
    "not_authenticated",
    "authentication_failed",
    "token_not_valid",
    "user_not_found",
    "user_inactive",
    "password_changed",
)


class ErrorResponse(OpenApiResponse):
    """An error answer an operation documents itself, with the `code`s it can carry: they join
    the generic ones of its status in the schema (x-error-codes and the description)."""

    def __init__(self, description: str, *codes: str, examples: Any = None) -> None:
        if not codes or set(codes) - set(ERROR_CODES):
            raise ValueError(f"{description!r} needs codes from ERROR_CODES, not {codes}")
        super().__init__(ErrorSerializer, description=description, examples=examples)
        self.codes = codes


def _kind(serializer: Any) -> Any:
    return serializer if isinstance(serializer, type) else type(serializer)


_CONDITIONAL_HEADERS = {
    "ETag": {
        "schema": {"type": "string"},
        "description": "The version of the data this answer reflects; send it as If-None-Match.",
    },
    "Cache-Control": {
        "schema": {"type": "string"},
        "description": "`private, no-cache`: keep the answer, but revalidate it with its ETag.",
    },
}


def _class_of(characters: list[str]) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in characters)


# What DRF strips from text before it checks it (str.strip(): Python's whitespace, which is
# not quite ECMA's `\s`), and the NUL character, which it refuses.
_STRIPPED = _class_of([c for c in map(chr, range(0x3001)) if c.isspace()])  # U+3000 is the last
NO_NUL = r"^[^\u0000]*$"
NOT_BLANK = rf"^[^\u0000]*[^\u0000{_STRIPPED}][^\u0000]*$"


def _stripped_and_not_blank(field: Any, schema: Any) -> bool:
    """A text DRF strips and may not be blank: it needs a character other than whitespace."""
    return (
        isinstance(field, serializers.CharField)
        and field.trim_whitespace
        and not field.allow_blank
        and isinstance(schema, dict)
        and schema.get("type") == "string"
        and not {"pattern", "format", "enum"} & set(schema)
    )


class AutoSchema(openapi.AutoSchema):
    def get_operation_id(self) -> str:
        # Reached only for an operation that names none (extend_schema(operation_id=) replaces
        # this method): generated clients call each operation by its id, so every one is chosen
        # by hand, verb-noun (listExercises, uploadSession), and never changes once published.
        default = str(super().get_operation_id())
        warn(
            f"{self.method} {self.path} has no operation_id of its own (the default would be "
            f"{default!r}): name it in its app's openapi.py."
        )
        return default

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        # A length a field's own validators enforce in their words (a new password's).
        if getattr(field, "stated_min_length", None) and isinstance(schema, dict):
            schema = {**schema, "minLength": field.stated_min_length}
        if direction == "request" and _stripped_and_not_blank(field, schema):
            schema = {**schema, "pattern": NOT_BLANK}
        if is_health_data(field) and isinstance(schema, dict):
            # Beside a bare reference an extension is ignored: it goes beside an allOf.
            schema = {"allOf": [schema]} if set(schema) == {"$ref"} else schema
            schema = {**schema, HEALTH_DATA: True}
        # A nested list's bounds in a request (`items` of a routine, `sets` of a session):
        # drf-spectacular states a ListField's, not a ListSerializer's min_length and
        # max_length. Answers make no such promise (a started routine may hold more sets).
        if isinstance(field, serializers.ListSerializer) and schema and direction == "request":
            # Copies, never edits: drf-spectacular may share a schema between directions.
            bounds = {"minItems": field.min_length, "maxItems": field.max_length}  # type: ignore[attr-defined]
            schema = {**{k: v for k, v in bounds.items() if v is not None}, **schema}
        return schema

    def _delete_with_body(self) -> bool:
        """A DELETE whose view names a request body of its own with extend_schema(request=)."""
        if self.method != "DELETE":
            return False
        chosen, default = self.get_request_serializer(), self._get_serializer()
        return chosen is not None and _kind(chosen) is not _kind(default)

    def _get_request_body(self, direction: Any = "request") -> Any:
        # drf-spectacular writes bodies only for POST, PUT and PATCH; deleting the account
        # takes the password in its body, and a generated client must be able to send it.
        if not self._delete_with_body():
            return super()._get_request_body(direction)
        self.method = "POST"
        try:
            return super()._get_request_body(direction)
        finally:
            self.method = "DELETE"

    def _conditional(self) -> bool:
        """Whether the view answers this operation with ETag and 304 (hipflex_api.conditional)."""
        action = getattr(self.view, "action", None) or self.method.lower()
        return action in getattr(self.view, "conditional_actions", ())

    def get_override_parameters(self) -> list[Any]:
        parameters = list(super().get_override_parameters())
        if self._conditional():
            parameters.append(
                OpenApiParameter(
                    "If-None-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    description="The ETag of the copy the client holds: 304 while it is current.",
                )
            )
        return parameters

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        if self._conditional():
            responses.setdefault(
                "304",
                {
                    "description": "The client's copy is current (If-None-Match); no body.",
                    "headers": self._get_response_headers_for_code("304", direction),
                },
            )
        for error_status, description, _codes in self._error_responses():
            responses.setdefault(
                str(error_status),
                self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=description), str(error_status)
                ),
            )
        for status_key, codes in self._error_codes().items():
            if status_key in responses:
                responses[status_key][ERROR_CODES_KEY] = codes
        for status_key, response in responses.items():
            if int(status_key) >= 400 and not response.get(ERROR_CODES_KEY):
                warn(
                    f"{self.method} {self.path}: its {status_key} names no codes: document it "
                    "with hipflex_api.schema.ErrorResponse."
                )
        return responses

    def get_auth(self) -> list[dict[str, Any]]:
        auths = super().get_auth()
        # drf-spectacular knows only AllowAny and IsAuthenticatedOrReadOnly as open to
        # anonymous callers; ask the view's own permissions instead.
        if {} not in auths and self._allows_anonymous():
            auths.append({})
        return auths

    def _get_response_headers_for_code(self, status_code: str, direction: Any = "response") -> Any:
        headers = super()._get_response_headers_for_code(status_code, direction)
        if self._conditional() and str(status_code) in {"200", "304"}:
            headers = {**_CONDITIONAL_HEADERS, **headers}
        if str(status_code) == "503" and any(self._unavailable()):
            headers = {**_RETRY_AFTER, **headers}  # Not /readyz's 503, which says no retry.
        return {**_ERROR_HEADERS.get(str(status_code), {}), **headers}

    def _refusals(self) -> Iterator[tuple[int, str, tuple[str, ...]]]:
        """The 401 of credentials refused and the 403 of a caller refused, as they apply."""
        forbidden: list[str] = []
        authenticators = self.view.get_authenticators()
        challenges = any(a.authenticate_header(self.view.request) for a in authenticators)
        # And what an authenticator refuses by a code of its own.
        own = [c for a in authenticators for c in getattr(a, "schema_credential_codes", ())]
        if self._allows_anonymous() and challenges:
            # Credentials sent are checked even here: a stale token gets no anonymous answer.
            refused = [c for c in (*_CREDENTIAL_CODES, *own) if c != "not_authenticated"]
            yield (
                401,
                "Credentials were sent and are not valid: send none, or valid ones.",
                tuple(refused),
            )
        if not self._allows_anonymous():
            if challenges:
                yield 401, "No valid credentials were sent.", (*_CREDENTIAL_CODES, *own)
            # IsAuthenticated alone never refuses a caller whose credentials passed.
            # Nor one that says it refuses only anonymous callers (`refuses_anonymous_only`).
            if any(
                type(p) is not IsAuthenticated and not getattr(p, "refuses_anonymous_only", False)
                for p in self.view.get_permissions()
            ):
                forbidden.append("permission_denied")
        # What an authenticator refuses by itself: an app's token without the scope.
        for authenticator in authenticators:
            refusals = getattr(authenticator, "schema_refusals", None)
            forbidden += refusals(self.view, self.method) if refusals else []
        if forbidden:
            yield 403, "The caller may not perform this operation.", tuple(forbidden)

    def _error_responses(self) -> Iterator[tuple[int, str, tuple[str, ...]]]:
        """The error answers every operation of this kind has, with their codes."""
        has_body = (
            self.method in _BODY_METHODS or self._delete_with_body()
        ) and self.get_request_serializer() is not None
        has_query = self._is_list_view() and (
            self._get_paginator() is not None or getattr(self.view, "filterset_class", None)
        )
        # Every operation refuses a query parameter it does not read (hipflex_api.query_params).
        codes = ("invalid", "parse_error") if has_body else ("invalid",)
        yield 400, "Invalid input; `errors` names each offending field or parameter.", codes
        yield from self._refusals()
        # DRF's content negotiation refuses an Accept header without JSON in it, everywhere.
        yield (
            406,
            "The `Accept` header leaves out `application/json`, the only type sent.",
            ("not_acceptable",),
        )
        if uritemplate.variables(self.path):
            yield 404, "Not found, or not visible to the caller.", ("not_found",)
        elif has_query and isinstance(self._get_paginator(), PageNumberPagination):
            yield 404, "The requested page does not exist.", ("not_found",)
        if has_body:
            yield (
                409,
                "A database constraint refused the write (a concurrent request won).",
                ("conflict",),
            )
            yield 413, "The request body is over the size limit.", ("request_too_large",)
            yield 415, "The request body is not JSON.", ("unsupported_media_type",)
        if self.view.get_throttles():
            yield 429, "Too many requests; wait for `Retry-After` seconds.", ("throttled",)
        if reasons := dict(self._unavailable()):
            yield (
                503,
                f"Not done: {'; or '.join(reasons.values())}. Send it again after "
                "`Retry-After` seconds.",
                tuple(reasons),
            )

    def _unavailable(self) -> Iterator[tuple[str, str]]:
        """The codes of this operation's 503s, each with its reason."""
        if self.view.get_throttles():
            # Every throttle counts in the counters' store, and fails closed without it.
            yield (
                "limits_unavailable",
                "the store that counts attempts did not answer, and what it counts is not let "
                "through uncounted",
            )
        if not getattr(self.view, "database_free", False):
            yield (
                "database_unavailable",
                "the database could not be reached (a restart, a failover)",
            )
            # A read too: a statement held past DATABASE_STATEMENT_TIMEOUT_SECONDS by a lock.
            yield (
                "database_busy",
                "the database was too busy to answer in time (a lock held, a deadlock, the "
                "server's statement timeout; on SQLite, one write at a time)",
            )

    def _error_codes(self) -> dict[str, list[str]]:
        """Each error status's codes: the generic ones, then those the operation names."""
        codes = {str(status): list(names) for status, _, names in self._error_responses()}
        declared: Any = self.get_response_serializers()
        for status, response in declared.items() if isinstance(declared, dict) else ():
            if isinstance(response, ErrorResponse):
                listed = codes.setdefault(str(status), [])
                listed += [code for code in response.codes if code not in listed]
        return codes

    def _allows_anonymous(self) -> bool:
        request: Any = SimpleNamespace(method=self.method, user=AnonymousUser())
        try:
            return all(p.has_permission(request, self.view) for p in self.view.get_permissions())
        except Exception:  # A permission that needs a real request guards something private.
            return False


def require_response_fields(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Mark every property of a response component required: responses always carry them.

    One serializer serves reading and writing, and a field that is optional to send would
    otherwise look optional to receive too, making every generated client model optional.
    Request components (named ...Request) keep their own required lists.
    """
    reaches_apps = _reached_by_apps(result)
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if "properties" not in component:
            continue
        # Health data too, where an app's token without `pain:read` may get the answer.
        optional = {
            key
            for key, prop in component["properties"].items()
            if prop.pop(OPTIONAL_IN_RESPONSE, None)
            or (prop.get(HEALTH_DATA) and name in reaches_apps)
        }
        if not name.endswith("Request"):
            for key in optional:
                # An answer's default says nothing, and openapi-typescript would take it to
                # mean the field is always there.
                component["properties"][key].pop("default", None)
            required = sorted(set(component["properties"]) - optional)
            if required:
                component["required"] = required
            else:  # Nothing but health data: OpenAPI takes no empty list.
                component.pop("required", None)
    return result


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _reached_by_apps(result: dict[str, Any]) -> set[str]:
    """The components the answers of operations open to an OAuth2 token without the health
    data scope name, directly or through other components."""
    schemes = result.get("components", {}).get("securitySchemes", {})
    oauth = {name for name, scheme in schemes.items() if scheme.get("type") == "oauth2"}
    components = result.get("components", {}).get("schemas", {})
    todo = [
        ref
        for item in result.get("paths", {}).values()
        for operation in item.values()
        if isinstance(operation, dict)
        and any(
            HEALTH_DATA_SCOPE not in scopes
            for requirement in operation.get("security", [])
            for name, scopes in requirement.items()
            if name in oauth
        )
        for ref in _refs(operation.get("responses", {}))
    ]
    reached: set[str] = set()
    while todo:
        if (name := todo.pop()) not in reached:
            reached.add(name)
            todo += _refs(components.get(name, {}))
    return reached


def request_defaults_in_words(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """A request field's default said in its description, not as `default`: openapi-typescript
    (by default) makes every property with a `default` required, which in a request component
    would oblige the client to send what the server fills in itself."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if "default" in prop:
                default = json.dumps(prop.pop("default"))
                text = prop.get("description", "").rstrip()
                prop["description"] = f"{text} Left out, it is `{default}`.".lstrip()
    return result


def _nullable_refs(node: Any) -> Iterator[dict[str, Any]]:
    """Every `allOf: [$ref]` + `nullable: true` in the schema: drf-spectacular's nullable
    reference, which OpenAPI 3.0 does not really allow (`nullable` needs a `type` beside it)."""
    if isinstance(node, dict):
        if node.get("nullable") and len(node.get("allOf", ())) == 1 and "type" not in node:
            yield node
        for value in node.values():
            yield from _nullable_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _nullable_refs(value)


def nullable_references(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """A nullable reference that Redocly, openapi-python-client and both TypeScript generators
    all read as "this, or null". A `type` beside `nullable` and `allOf` would be valid, but
    openapi-python-client then drops the null.

    - An enum used only nullable (`painful_side`) holds null itself, as OpenAPI 3.0.3 says a
      nullable enum must, and is referenced as it is (its members' names leave null out).
    - An object is `anyOf: [its $ref, {type: object, nullable: true, enum: [null]}]`.
    """
    components = result.get("components", {}).get("schemas", {})
    nodes = list(_nullable_refs(result))
    nullable_uses = Counter(node["allOf"][0]["$ref"] for node in nodes)
    text = json.dumps(result, default=str)
    for node in nodes:
        ref = node["allOf"][0]["$ref"]
        target = components[ref.rsplit("/", 1)[1]]
        del node["nullable"]
        if "enum" not in target:
            null = {"type": "object", "nullable": True, "enum": [None]}
            node["anyOf"] = [node.pop("allOf")[0], null]
        elif text.count(json.dumps(ref)) == nullable_uses[ref]:
            if None not in target["enum"]:
                target.update(nullable=True, enum=[*target["enum"], None])
            if set(node) == {"allOf"}:  # Nothing beside the reference: the reference itself.
                node["$ref"] = node.pop("allOf")[0]["$ref"]
        else:
            warn(f"{ref} is used both nullable and not: give the nullable use an enum of its own.")
    return result


def _strings(schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for prop in schema.get("properties", {}).values():
        if prop.get("type") == "string":
            yield prop
        elif prop.get("type") == "array" and prop["items"].get("type") == "string":
            yield prop["items"]


def state_nul_refusal(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Every text a request sends refuses the NUL character (DRF's CharField and Django's form
    fields validate that): a pattern says so where the text has no pattern or format of its own.
    A hook, not a field mapping: there drf-spectacular would wrap a blank-allowed field's
    pattern in a oneOf with the empty string, which this pattern already matches."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            for text in _strings(component):
                if not {"pattern", "format", "enum"} & set(text):
                    text["pattern"] = NO_NUL
    return result


def state_one_of_required(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """A request component whose serializer needs one of some fields (OneOfRequiredMixin)
    becomes `allOf: [its fields, anyOf: [one given, not null], ...]`: the form that
    openapi-typescript and orval type as "these fields, and reps or hold_seconds", and that
    openapi-python-client reads as the plain model (a bare anyOf beside `properties` makes each
    of them invent a model per branch)."""
    schemas = result.get("components", {}).get("schemas", {})
    for component in generator.registry._components.values():
        names = getattr(component.object, "one_of_required", ())
        fields = schemas.get(component.name, {})
        if not names or not component.name.endswith("Request") or "properties" not in fields:
            continue
        branches = []
        for name in names:
            given = {k: v for k, v in fields["properties"][name].items() if k != "nullable"}
            branches.append({"required": [name], "properties": {name: given}})
        described = {"description": fields.pop("description")} if "description" in fields else {}
        schemas[component.name] = {**described, "allOf": [fields, {"anyOf": branches}]}
    return result


def _body_name(response: dict[str, Any]) -> str | None:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref") or schema.get("items", {}).get("$ref")
    return f"`{ref.rsplit('/', 1)[1]}`" if ref else None


def describe_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Give every success response that has none a description, from what it carries: a
    generator turns it into the doc comment of the method, and an empty one reads as nothing."""
    for item in result.get("paths", {}).values():
        for method, operation in item.items():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                if response.get("description") or not (body := _body_name(response)):
                    continue
                if status == "201":
                    response["description"] = f"Created: the new {body}, as stored."
                elif method == "get":
                    response["description"] = f"The {body} asked for."
                else:
                    response["description"] = f"Done: the {body} as it is now."
    return result


def list_error_codes(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """End each operation's description with the error codes it can answer, by status, from
    its responses' x-error-codes: what a generator puts in the method's doc comment."""
    for item in result.get("paths", {}).values():
        for operation in item.values():
            responses = sorted(operation.get("responses", {}).items())
            answers = [
                f"`{code}` ({status})"
                for status, response in responses
                for code in response.get(ERROR_CODES_KEY, [])
            ]
            if answers:
                text = operation.get("description", "").rstrip()
                listed = f"Error codes: {', '.join(answers)}."
                operation["description"] = f"{text}\n\n{listed}" if text else listed
    return result


_CHOICE_LINE = re.compile(r"^\* `([^`]*)` - (.+)$", re.M)


def _enum_names(component: dict[str, Any]) -> None:
    """x-enum-varnames (what generators name the members: BEGINNER, not NUMBER_1) and
    x-enum-descriptions, from the choice labels drf-spectacular lists in the description."""
    labels = dict(_CHOICE_LINE.findall(component.get("description", "")))
    if set(labels) != {str(value) for value in component["enum"]}:
        if not labels:  # A field's own schema lists bare values: named after them.
            component["x-enum-varnames"] = [_member_name(str(v)) for v in component["enum"]]
        return
    described = [labels[str(value)] for value in component["enum"]]
    component["x-enum-varnames"] = [_member_name(label) for label in described]
    component["x-enum-descriptions"] = described


def _member_name(text: str) -> str:
    """`Beginner` as BEGINNER, `-created_at` (an ordering, descending) as CREATED_AT_DESC."""
    name = re.sub(r"\W+", "_", text).strip("_").upper()
    return f"{name}_DESC" if text.startswith("-") else name


def _query_enum_ref(
    schema: dict[str, Any], name: str, operation_id: str, components: dict[str, Any]
) -> dict[str, Any]:
    """The component enum with these values, made if there is none yet."""
    values = sorted(map(str, schema["enum"]))
    for component_name, component in components.items():
        same = sorted(map(str, component.get("enum", []))) == values
        if same and component.get("type") == schema.get("type"):
            return {"$ref": f"#/components/schemas/{component_name}"}
    component_name = f"{name.title().replace('_', '')}Enum"
    if component_name in components:  # Another parameter's, with other values.
        component_name = operation_id[:1].upper() + operation_id[1:] + component_name
    components[component_name] = {
        **schema,
        "x-enum-varnames": [_member_name(str(value)) for value in schema["enum"]],
    }
    return {"$ref": f"#/components/schemas/{component_name}"}


def name_every_enum(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Every enum a named component, used by reference (a query parameter's too, which would
    otherwise be an anonymous copy that each generator names after the operation), its members
    named."""
    components = result.get("components", {}).get("schemas", {})
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                schema = parameter.get("schema", {})
                target = schema.get("items", schema)
                if "enum" in target:
                    reference = _query_enum_ref(
                        target, parameter["name"], operation["operationId"], components
                    )
                    if target is schema:
                        parameter["schema"] = reference
                    else:
                        schema["items"] = reference
    for component in components.values():
        if "enum" in component:
            _enum_names(component)
    return result


# Where the committed openapi.yaml says the API lives: `make run`'s address, which a generated
# client can call as it is; /api/schema/ names the server it is on.
COMMITTED_SERVER = {
    "url": "http://127.0.0.1:8000",
    "description": "`make run` on your own machine. A deployment's `/api/schema/` names its "
    "own address here.",
}


def name_the_server(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """`servers`, so that generated clients build absolute URLs: the running server's own
    address in the schema it serves, `make run`'s in the committed file."""
    if request is not None:
        result["servers"] = [{"url": request.build_absolute_uri("/").rstrip("/")}]
    else:
        result["servers"] = [COMMITTED_SERVER]
    return result


_REQUEST_ID_HEADER = {
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
    "description": "The request's id: the `X-Request-ID` it sent, if that was 1 to 200 "
    "printable ASCII characters, else a new one. The server's log lines for the request, and "
    "the body of a 500, carry it.",
}


def document_request_id(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """Every answer carries X-Request-ID (hipflex_api.ops.middleware), whatever its status."""
    components = result.setdefault("components", {})
    components.setdefault("headers", {})["X-Request-ID"] = _REQUEST_ID_HEADER
    for item in result.get("paths", {}).values():
        for operation in item.values():
            for response in operation.get("responses", {}).values():
                response.setdefault("headers", {})["X-Request-ID"] = {
                    "$ref": "#/components/headers/X-Request-ID"
                }
    return result
