"""A real browser for end-to-end tests: the system's Chromium, headless, from Playwright.

`launch_browser(playwright)` is the one way to start it (the flags this machine and CI need);
the `browser` fixture keeps one open per test module and `page` gives each test a fresh tab.
Playwright's synchronous API runs an event loop in the test's thread, so while a browser is
open the tests may use the ORM from that thread (DJANGO_ALLOW_ASYNC_UNSAFE); nothing here runs
asynchronous code of its own.
"""

import importlib
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def launch_browser(playwright, **options):
    """Starts the system's Chromium headless; `options` go to `chromium.launch`."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, **options)


def artifacts_dir(name: str) -> Path:
    """A folder under artifacts/ (git-ignored) for screenshots and other output to look at."""
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}: install it (make setup) or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = launch_browser(playwright)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    # Playwright's wait_for_function evaluates a string in the page, which the site's
    # Content-Security-Policy forbids; the policy itself is tested in tests/security.
    context = browser.new_context(
        viewport={"width": 1920, "height": 1080}, locale="zh-CN", timezone_id="Asia/Shanghai", bypass_csp=True
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture(autouse=True)
def shipped_scheme(request):
    """A transactional test empties the tables at its end, data migrations' rows included; put
    the shipped scheme back the way its migration makes it, so every browser test starts alike
    whatever ran before it."""
    if "transactional_db" not in request.fixturenames and "live_server" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db")
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    # The flush also gave the content types new ids: forget the cached ones.
    ContentType.objects.clear_cache()
    migration = importlib.import_module("appraisals.migrations.0002_default_scheme")
    migration.create_default_scheme(apps, None)
