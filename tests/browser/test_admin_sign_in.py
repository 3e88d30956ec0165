"""Signing in to the admin in the browser: five wrong passwords meet the pause, in words a
trainer understands."""


def test_five_wrong_passwords_meet_the_lockout_message(browser, trainer_with_password):
    for n in range(5):
        browser.sign_in(trainer_with_password.email, f"wrong-guess-{n}")
        assert browser.page.locator(".errornote").is_visible()

    browser.sign_in(trainer_with_password.email)  # The right one, too late.

    note = browser.page.locator(".errornote").inner_text()
    assert "Too many wrong passwords for this account from this computer" in note
    assert "Try again in 60 minutes" in note
    assert browser.page.url.endswith("/admin/login/")
    assert browser.console_errors == []


def test_the_right_password_opens_the_catalog(browser, trainer_with_password):
    browser.sign_in(trainer_with_password.email)

    browser.page.wait_for_selector("text=Exercise catalog")
    assert browser.page.locator("a[href='/admin/exercises/exercise/']").first.is_visible()
