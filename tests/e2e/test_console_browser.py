"""The console end to end in headless Chromium: HR imports a file (fixing a row error first),
computes October and publishes it with a reason for the missing sign-offs; a second HR officer
finalizes it and downloads the scorecards; Alice signs in and acknowledges.
Screenshots go to artifacts/console/ at a laptop (1366×768) and a tablet (1024×1366) size."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from staff.models import Membership, Role
from tests import factories
from tests.e2e.conftest import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OCTOBER = datetime.date(2026, 10, 1)
LAPTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 1366}
HEADER = "ref,date,employee_no,customer_ref,avg_assets\n"


def sign_in(page, base, username, password):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")


def test_hr_runs_the_month_and_a_lobby_manager_acknowledges(browser, live_server, tmp_path):
    shots = artifacts_dir("console")
    tree = factories.bank_tree()
    alice = factories.staff("E001", "张丽", tree["outlet_a"])
    bob = factories.staff("E002", "王博", tree["outlet_a"])
    factories.full_month(alice, OCTOBER, share=1.1)
    factories.full_month(bob, OCTOBER, share=0.7)
    User = get_user_model()
    hr = User.objects.create_user("hana", password="pw-hana-123", is_staff=True)
    Membership.objects.create(user=hr, role=Role.HR)
    henry = User.objects.create_user("henry", password="pw-henry-123", is_staff=True)
    Membership.objects.create(user=henry, role=Role.HR)
    alice_user = User.objects.create_user("alice", password="pw-alice-123")
    Membership.objects.create(user=alice_user, role=Role.LOBBY_MANAGER, staff=alice)
    base = live_server.url

    context = browser.new_context(viewport=LAPTOP, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{base}/accounts/login/")
    page.screenshot(path=shots / "login-1366.png")
    sign_in(page, base, "hana", "pw-hana-123")
    page.wait_for_selector("text=下一步")

    bad, good = tmp_path / "accounts-bad.csv", tmp_path / "accounts.csv"
    bad.write_text(HEADER + "WEB1,2026-10-03,E001,C77,not-a-number\n", encoding="utf-8")
    good.write_text(HEADER + "WEB1,2026-10-03,E001,C77,25000\n", encoding="utf-8")
    page.goto(f"{base}/imports/")
    page.select_option("#id_kind", "accounts")
    page.set_input_files("#id_file", str(bad))
    page.click("text=检查文件")
    page.wait_for_selector("#row-errors")
    assert "avg_assets" in page.inner_text("#row-errors")
    page.screenshot(path=shots / "import-errors-1366.png", full_page=True)

    page.select_option("#id_kind", "accounts")
    page.set_input_files("#id_file", str(good))
    page.click("text=检查文件")
    page.click("#confirm-import")
    page.wait_for_selector("text=导入完成")

    page.goto(f"{base}/months/")
    page.fill("#id_month", "2026-10")
    page.click("text=开始计算")
    page.wait_for_selector("text=已计算 2 张考核表")
    page.screenshot(path=shots / "job-1366.png")

    page.goto(f"{base}/months/2026-10/")
    assert page.is_disabled("button:has-text('标记为已复核')")
    assert "尚有 1 个支行未签核" in page.inner_text("main") and "须先复核" in page.inner_text("main")
    page.screenshot(path=shots / "month-computed-1366.png", full_page=True)
    page.click("text=未经全部支行签核即发布")
    page.fill("#id_review-reason", "支行行长在外培训，人力资源部代为复核")
    page.click("text=写明原因后发布")
    page.wait_for_selector("text=已标记为已复核")
    assert page.is_disabled("button:has-text('定稿')")  # Hana reviewed it: another HR user finalizes
    context.close()

    context = browser.new_context(viewport=LAPTOP, locale="zh-CN", timezone_id="Asia/Shanghai", accept_downloads=True)
    page = context.new_page()
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, base, "henry", "pw-henry-123")
    page.wait_for_selector("text=下一步")
    page.goto(f"{base}/months/2026-10/")
    page.check("#id_confirm")
    page.click("button:has-text('定稿')")
    page.wait_for_selector("text=已锁定")
    page.screenshot(path=shots / "month-finalized-1366.png", full_page=True)
    with page.expect_download() as download:
        page.click("text=下载 CSV")
    body = open(download.value.path(), encoding="utf-8").read()
    # The people's download: UTF-8 with a BOM for Excel, Chinese headers (CONTRACT.md §3's machine
    # format is export_scorecards' and the API's).
    assert body.startswith("\ufeff") and "员工编号" in body.splitlines()[0] and "E001" in body

    page.goto(f"{base}/")
    page.screenshot(path=shots / "dashboard-1366.png", full_page=True)
    page.goto(f"{base}/months/2026-10/scorecards/?sort=-score")
    page.screenshot(path=shots / "scorecards-1366.png", full_page=True)
    page.set_viewport_size(TABLET)
    page.goto(f"{base}/")
    page.screenshot(path=shots / "dashboard-1024x1366.png", full_page=True)
    page.goto(f"{base}/months/2026-10/scorecards/?sort=-score")
    page.screenshot(path=shots / "scorecards-1024x1366.png", full_page=True)
    context.close()

    context = browser.new_context(viewport=TABLET, locale="zh-CN", timezone_id="Asia/Shanghai")
    page = context.new_page()
    sign_in(page, base, "alice", "pw-alice-123")
    page.wait_for_selector("text=查看并确认")
    page.screenshot(path=shots / "me-1024x1366.png", full_page=True)
    page.click("text=查看并确认")
    page.click("#acknowledge")
    page.wait_for_selector("text=已确认 2026-10 的考核结果")
    page.screenshot(path=shots / "acknowledged-1024x1366.png", full_page=True)
    context.close()
