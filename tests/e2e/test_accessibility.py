"""Every console page and the display screens pass axe-core's rules: no serious or critical
violation, for HR, a branch head and a lobby manager, in Chinese and in English.

axe-core comes from npm through the project's own setup (package.json); it is injected into
each page by the test and never served to users."""

import datetime
import json
from pathlib import Path
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from appraisals.models import Appeal, ImprovementCase, WriteUp
from appraisals.services.periods import period_compute
from screens.services import screen_create
from staff.models import Membership, Role
from tests import factories

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
OCTOBER = datetime.date(2026, 10, 1)
SERIOUS = {"serious", "critical"}


def sign_in(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def violations(page) -> list[str]:
    # axe is injected as an inline script, so the contexts bypass the Content-Security-Policy.
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {json.dumps([n['target'] for n in v['nodes']][:3])}"
        for v in found
        if v["impact"] in SERIOUS
    ]


@pytest.fixture
def bank():
    tree = factories.bank_tree()
    alice = factories.staff("E001", "张丽", tree["outlet_a"])
    bob = factories.staff("E002", "王博", tree["outlet_a"])
    olivia = factories.staff("E900", "欧阳晓", tree["outlet_b"])
    for member, share in ((alice, 1.1), (bob, 0.7), (olivia, 0.9)):
        factories.full_month(member, OCTOBER, share=share)
    period = period_compute(month=OCTOBER).period
    User = get_user_model()
    users = {}
    for name, role, extra in (
        ("hana", Role.HR, {}),
        ("hugo", Role.BRANCH_HEAD, {"branch": tree["sub_a"]}),
        ("alice", Role.LOBBY_MANAGER, {"staff": alice}),
    ):
        users[name] = User.objects.create_user(name, password=f"pw-{name}-12345")
        Membership.objects.create(user=users[name], role=role, **extra)
    appeal = Appeal.objects.create(
        period=period, staff=alice, text="十月的开户数少算了两户，请复核。", created_by=users["alice"]
    )
    case = ImprovementCase.objects.create(staff=bob, opened_period=period)
    writeup = WriteUp.objects.create(
        staff=alice,
        period=period,
        draft_zh="本月表现稳定。",
        draft_en="Steady.",
        text_zh="本月表现稳定。",
        text_en="Steady.",
        generated_at=timezone.now(),
    )
    _screen, token = screen_create(branch=tree["sub_a"], name="文三路大屏")
    return {"period": period, "appeal": appeal, "case": case, "writeup": writeup, "token": token, "alice": alice}


def console_pages(bank) -> dict[str, list[str]]:
    m, a = "2026-10", bank["alice"].employee_no
    hr = [
        "/", "/months/", f"/months/{m}/", f"/months/{m}/scorecards/", f"/months/{m}/scorecards/{a}/",
        "/staff/", f"/staff/{a}/", "/records/accounts/", "/records/feedback/", "/records/accounts/new/",
        "/imports/", "/targets/", "/targets/new/", "/cases/", f"/cases/{bank['case'].pk}/", "/appeals/",
        f"/appeals/{bank['appeal'].pk}/", "/writeups/", f"/writeups/{bank['writeup'].pk}/", "/display-screens/",
        "/history/", "/signins/new/", f"/months/{m}/scorecards/?branch={bank['alice'].branch.parent.parent_id}",
    ]  # fmt: skip
    head = [
        "/", "/months/", f"/months/{m}/", f"/months/{m}/scorecards/", f"/months/{m}/scorecards/{a}/", "/staff/",
        f"/staff/{a}/", "/writeups/", f"/months/{m}/scorecards/?branch={bank['alice'].branch_id}",
    ]  # fmt: skip
    lobby = ["/me/", f"/months/{m}/scorecards/{a}/", "/records/accounts/", "/appeals/", "/writeups/"]
    return {"hana": hr, "hugo": head, "alice": lobby}


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_every_console_page_passes_axe(browser, live_server, bank, language):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run make setup (npm ci)")
    found = {}
    for username, paths in console_pages(bank).items():
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale=language, bypass_csp=True)
        page = context.new_page()
        if language.startswith("en"):
            context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
        sign_in(page, live_server.url, username, f"pw-{username}-12345")
        for path in paths:
            page.goto(live_server.url + path)
            problems = violations(page)
            if problems:
                found[f"{username} {path}"] = problems
        context.close()
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["zh-CN", "en-US"])
def test_a_page_telling_the_user_something_passes_axe(browser, live_server, bank, language):
    """The messages shown above a page (here: an XLSX with more rows than a sheet holds, refused)."""
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run make setup (npm ci)")
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=language, bypass_csp=True)
    page = context.new_page()
    if language.startswith("en"):
        context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    sign_in(page, live_server.url, "hana", "pw-hana-12345")
    with mock.patch("reports.xlsx.MAX_ROWS", 1):
        page.goto(f"{live_server.url}/records/accounts/?export=xlsx")
    assert page.locator(".message-error").count() == 1
    problems = violations(page)
    context.close()
    assert problems == [], json.dumps(problems, ensure_ascii=False, indent=1)


def test_the_display_screen_passes_axe_in_both_orientations(browser, live_server, bank):
    if not AXE.exists():
        pytest.skip("axe-core is not installed: run make setup (npm ci)")
    found = {}
    for width, height in ((1920, 1080), (1080, 1920)):
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True)
        page = context.new_page()
        page.goto(f"{live_server.url}/screens/{bank['token']}/")
        page.wait_for_timeout(500)
        problems = violations(page)
        if problems:
            found[f"{width}x{height}"] = problems
        context.close()
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
