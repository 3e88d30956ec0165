"""Checks that several test modules share."""

from hipflex_api.serializers import ERROR_CODES

ERROR_KEYS = {"status", "code", "detail", "errors"}
FIELD_ERROR_KEYS = {"field", "code", "message"}


def assert_error(response, status, code):
    """Check the one error shape and return the body for further checks."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    # A 500 also quotes the request's id, under which its log lines are found.
    assert set(body) == (ERROR_KEYS | {"request_id"} if status == 500 else ERROR_KEYS)
    assert body["status"] == status
    assert body["code"] == code
    assert code in ERROR_CODES, f"{code!r} is not in hipflex_api.serializers.ERROR_CODES"
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["errors"], list)
    for error in body["errors"]:
        assert set(error) == FIELD_ERROR_KEYS
    return body


def error_fields(response):
    """The fields a 400 names."""
    assert response.status_code == 400, response.content
    return {error["field"] for error in response.json()["errors"]}
