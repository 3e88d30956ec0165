"""The admin and the docs in a real browser: Debian's Chromium driven by Playwright, against a
live server on loopback, in a 1366 x 768 window (a trainer's laptop). Every request to another
host is refused and recorded, so a page that would fetch a font, a logo or a script from
elsewhere fails its test; so does an error in the browser's console. A failing test leaves a
screenshot in build/screenshots/."""

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Page, Route, sync_playwright

from tests.conftest import STRONG_PASSWORD, trainers_group
from tests.factories import UserFactory

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(settings.BASE_DIR) / "build" / "screenshots"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
WINDOW = {"width": 1366, "height": 768}


@dataclass
class Browser:
    page: Page
    url: str
    outside: list[str] = field(default_factory=list)  # Refused: not on loopback.
    console_errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> None:
        self.page.goto(f"{self.url}{path}")

    def sign_in(self, email: str, password: str = STRONG_PASSWORD) -> None:
        self.go("/admin/login/")
        self.page.fill("#id_username", email)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("input[type=submit]")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_failed = report.failed
    return report


@pytest.fixture
def browser(request, live_server, transactional_db, monkeypatch) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"No Chromium at {CHROMIUM}: install Debian's chromium package "
            "(apt-get install chromium, as .ci/run does), or set CHROMIUM to its path."
        )
    # Playwright's synchronous API keeps an event loop in this thread, which Django's ORM takes
    # for async code; the test's database calls are synchronous all the same.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    screenshot = SCREENSHOTS / f"{request.node.name}.png"
    screenshot.unlink(missing_ok=True)  # A passing run leaves none from an older failure.
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        context = chromium.new_context(viewport=WINDOW)
        page = context.new_page()
        page.set_default_timeout(10_000)
        seen = Browser(page=page, url=live_server.url)

        def loopback_only(route: Route) -> None:
            if urlsplit(route.request.url).hostname in LOOPBACK:
                route.continue_()
            else:
                seen.outside.append(route.request.url)
                route.abort()

        context.route("**/*", loopback_only)
        page.on("console", lambda m: m.type == "error" and seen.console_errors.append(m.text))
        page.on("pageerror", lambda error: seen.console_errors.append(str(error)))
        yield seen
        if getattr(request.node, "browser_failed", False):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=screenshot, full_page=True)
        chromium.close()
    # Of every test, whatever else it checks.
    assert seen.outside == [], "requests to other hosts"
    assert seen.console_errors == [], "errors in the browser's console"


@pytest.fixture
def trainer_with_password(transactional_db):
    trainer = UserFactory(is_staff=True, email="sam@example.com")
    trainer.set_password(STRONG_PASSWORD)
    trainer.save()
    trainer.groups.add(trainers_group())
    return trainer
