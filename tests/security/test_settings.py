"""Production settings (CONTRACT.md §6): keys that must be the bank's own, HTTPS, security headers,
and a database that does not answer.

Start-up is tested in a subprocess with the environment a bank would set, since the settings are
read once, when the process starts.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import TestCase

from screens.services import screen_create
from tests.console.base import BaseTestCase

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k3Y-for-tests-only-" + "x7Qp9" * 10


def run_manage(*args, **env):
    """`manage.py ARGS` with the production settings module and only the variables given here."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "SECRET_KEY", "CUSTOMER_REF_KEY", "HTTPS", "DJANGO_SETTINGS_MODULE", "DATABASE_URL"}
    }
    clean["DJANGO_SETTINGS_MODULE"] = "config.settings"
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


class StartUpTests(TestCase):
    def test_without_debug_a_missing_secret_key_stops_start_up_and_names_it(self):
        result = run_manage("check", DEBUG="false", CUSTOMER_REF_KEY=STRONG_KEY)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("SECRET_KEY", result.stderr)
        self.assertNotIn("Traceback", result.stderr)

    def test_without_debug_a_missing_customer_ref_key_stops_start_up_and_names_it(self):
        result = run_manage("check", DEBUG="false", SECRET_KEY=STRONG_KEY)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("CUSTOMER_REF_KEY", result.stderr)

    def test_an_empty_key_counts_as_missing(self):
        result = run_manage("check", DEBUG="false", SECRET_KEY="", CUSTOMER_REF_KEY=STRONG_KEY)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("SECRET_KEY", result.stderr)

    def test_without_debug_and_with_both_keys_it_starts(self):
        result = run_manage("check", DEBUG="false", SECRET_KEY=STRONG_KEY, CUSTOMER_REF_KEY=STRONG_KEY)
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_development_keeps_its_default_keys(self):
        result = run_manage("check", DEBUG="true")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_with_https_the_deployment_check_is_clean_even_for_warnings(self):
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DEBUG="false",
            HTTPS="true",
            SECRET_KEY=STRONG_KEY,
            CUSTOMER_REF_KEY=STRONG_KEY,
            ALLOWED_HOSTS="lobbystar.bank.example",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_without_https_the_deployment_check_still_warns(self):
        # Proves the test above can fail: HSTS, redirect and secure cookies are off without HTTPS.
        result = run_manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DEBUG="false",
            SECRET_KEY=STRONG_KEY,
            CUSTOMER_REF_KEY=STRONG_KEY,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("security.W004", result.stdout + result.stderr)


class UnreachableDatabaseTests(TestCase):
    def test_a_command_says_in_one_line_which_database_did_not_answer_without_its_password(self):
        result = run_manage(
            "compute_scorecards",
            "2026-10",
            DEBUG="true",
            DATABASE_URL="postgres://lobby:pa55-word-secret@127.0.0.1:1/lobbystar_nowhere",
        )
        self.assertEqual(result.returncode, 1)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, result.stderr)
        self.assertIn("无法连接数据库", lines[0])
        self.assertIn("Could not reach the database", lines[0])
        self.assertIn("127.0.0.1:1/lobbystar_nowhere", lines[0])
        self.assertNotIn("pa55-word-secret", result.stderr)

    def test_a_sqlite_file_that_cannot_be_opened_is_named(self):
        result = run_manage("migrate", DEBUG="true", DATABASE_URL="sqlite:////nonexistent-folder/lobbystar.sqlite3")
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("/nonexistent-folder/lobbystar.sqlite3", result.stderr)


class HeaderTests(BaseTestCase):
    def assert_secure_headers(self, response):
        policy = response["Content-Security-Policy"]
        self.assertIn("default-src 'self'", policy)
        self.assertIn("script-src 'self';", policy)
        self.assertNotIn("unsafe-eval", policy)
        self.assertNotIn("'unsafe-inline'", policy.split("script-src", 1)[1].split(";", 1)[0])
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Referrer-Policy"], "same-origin")

    def test_the_login_page_carries_the_security_headers(self):
        response = self.client.get("/accounts/login/")
        self.assertEqual(response.status_code, 200)
        self.assert_secure_headers(response)

    def test_the_console_carries_the_security_headers(self):
        self.sign_in(self.hr_user)
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        self.assert_secure_headers(response)

    def test_a_display_screen_carries_the_security_headers_and_no_inline_script(self):
        _screen, token = screen_create(branch=self.tree["sub_a"], name="西湖大屏")
        response = self.client.get(f"/screens/{token}/")
        self.assertEqual(response.status_code, 200)
        self.assert_secure_headers(response)
        html = response.content.decode()
        self.assertIn('src="/static/screens/screen.js"', html)
        for script in html.split("<script")[1:]:
            opening = script.split(">", 1)[0]
            self.assertTrue("src=" in opening or 'type="application/json"' in opening, opening)

    def test_the_screen_script_is_served(self):
        response = self.client.get("/static/screens/screen.js")
        self.assertEqual(response.status_code, 200)

    def test_no_template_holds_an_inline_script_or_event_handler(self):
        import re

        for template in (ROOT / "templates").rglob("*.html"):
            text = template.read_text()
            for opening in re.findall(r"<script\b[^>]*>", text):
                self.assertTrue(
                    "src=" in opening or "application/json" in opening, f"{template}: inline script {opening}"
                )
            self.assertIsNone(re.search(r"\son[a-z]+\s*=", text), f"{template}: inline event handler")


class DatabaseDownTests(BaseTestCase):
    def test_a_screen_answers_503_with_its_offline_page(self):
        _screen, token = screen_create(branch=self.tree["sub_a"], name="西湖大屏")
        with mock.patch("screens.views.screen_live", side_effect=OperationalError("down")):
            response = self.client.get(f"/screens/{token}/")
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, "大屏暂时离线", status_code=503)
        self.assertEqual(response["Cache-Control"], "no-cache")

    def test_a_screens_data_answers_503_so_the_screen_keeps_its_last_boards(self):
        _screen, token = screen_create(branch=self.tree["sub_a"], name="西湖大屏")
        with mock.patch("screens.views.screen_live", side_effect=OperationalError("down")):
            response = self.client.get(f"/screens/{token}/data.json")
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response.json(), {"error": "database unavailable"})

    def test_healthz_answers_503_when_the_database_does_not(self):
        with mock.patch("config.views.connection.cursor", side_effect=OperationalError("down")):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)


# ─── in a real browser: the policy blocks nothing the pages need ─────────────────────────

CSP_WATCH = """window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(e.violatedDirective + " " + e.blockedURI);
});"""


@pytest.fixture
def chromium_page():
    from tests.e2e.conftest import CHROMIUM, launch_browser

    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"no Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = launch_browser(playwright)
            page = browser.new_page(locale="zh-CN", timezone_id="Asia/Shanghai")
            page.problems = []
            page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
            page.on("pageerror", lambda error: page.problems.append(str(error)))
            page.add_init_script(CSP_WATCH)
            yield page
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.mark.e2e
@pytest.mark.django_db(transaction=True)
def test_the_console_and_a_screen_work_in_chromium_under_the_policy(chromium_page, live_server):
    from django.contrib.auth import get_user_model

    from staff.models import Membership, Role
    from tests import factories

    page = chromium_page
    tree = factories.bank_tree()
    user = get_user_model().objects.create_user("hana", password="Lobby-star-2026!")
    Membership.objects.create(user=user, role=Role.HR)
    _screen, token = screen_create(branch=tree["sub_a"], name="西湖大屏")

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "hana")
    page.fill("#id_password", "Lobby-star-2026!")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
    page.set_viewport_size({"width": 600, "height": 900})
    page.click("[data-toggle=nav]")  # console.js opens the menu on a narrow screen
    assert "open" in page.get_attribute("#nav", "class")
    assert page.evaluate("window.__violations") == []

    page.goto(f"{live_server.url}/screens/{token}/")
    # screen.js draws the clock (polled from here: wait_for_function would eval, which the policy forbids)
    for _try in range(50):
        if page.evaluate("document.getElementById('time').textContent.length > 0"):
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.getElementById('time').textContent.length > 0")
    assert page.evaluate("window.__violations") == []
    assert not [problem for problem in page.problems if "Content Security Policy" in problem], page.problems
