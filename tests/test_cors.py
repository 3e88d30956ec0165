import pytest

pytestmark = pytest.mark.django_db

ORIGIN = "https://app.example.com"


def test_no_browser_origin_is_allowed_by_default(api_client):
    response = api_client.get("/api/v1/exercises/", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response


def test_a_configured_origin_may_call_the_api_with_its_headers(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    preflight = api_client.options(
        "/api/v1/sessions/",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, idempotency-key",
    )
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    response = api_client.get("/api/v1/exercises/", HTTP_ORIGIN=ORIGIN)
    assert response["Access-Control-Allow-Origin"] == ORIGIN
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_other_origins_stay_closed_when_one_is_configured(api_client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = api_client.get("/api/v1/exercises/", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in response
