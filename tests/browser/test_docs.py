"""The API's docs pages work offline for real: nothing is fetched from anywhere but this
server, and the browser's console stays free of errors."""

import pytest


@pytest.mark.parametrize(
    ("path", "ready"),
    [
        ("/api/docs/", ".opblock-tag"),  # Swagger UI, its operations grouped by tag.
        ("/api/redoc/", "[role=menuitem]"),  # ReDoc, its side menu of operations.
    ],
)
def test_a_docs_page_loads_everything_from_this_server(browser, path, ready):
    browser.go(path)
    browser.page.wait_for_selector(ready)
    browser.page.wait_for_load_state("networkidle")

    assert browser.outside == []
    assert browser.console_errors == []
    assert "hipflex" in browser.page.content()


def test_a_request_to_another_host_is_refused_and_recorded(browser):
    # The guard the tests above rely on: a font from elsewhere is caught, not fetched.
    browser.go("/api/docs/")
    browser.page.evaluate("fetch('https://fonts.example.com/font.css').catch(() => null)")
    browser.page.wait_for_timeout(200)

    assert browser.outside == ["https://fonts.example.com/font.css"]
    browser.outside.clear()  # Seen, as it should be: the fixture's own check is for the others.
    browser.console_errors.clear()
