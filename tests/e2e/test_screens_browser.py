"""The lobby screen in a real browser: it fits a TV at every size, rotates, survives the network
going away, redraws new data in place and says so when it has been switched off.

The bank here is demo-like: 杭州钱塘新区下沙经济技术开发区支行 (a long name on purpose) has 24
lobby managers in three outlets, with the longest names the demo makes (欧阳慕容思远 …). Its
September and October scorecards are written directly: the screen only reads scorecards, and
the engine that writes them is tested on its own.
"""

import datetime
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from appraisals.models import Period, PeriodStatus, Scheme, Scorecard
from scoring import DEFAULT_SCHEME
from screens.selectors import screen_payload_cache_clear
from screens.services import screen_create, screen_revoke
from staff.models import Staff
from tests import factories
from tests.e2e.conftest import artifacts_dir

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SEPTEMBER = datetime.date(2026, 9, 1)
OCTOBER = datetime.date(2026, 10, 1)
SIZES = [(1920, 1080), (3840, 2160), (1080, 1920)]
NAMES = [
    "欧阳慕容思远",
    "司马相如意",
    "诸葛青云",
    "上官婉清",
    "皇甫嘉懿",
    "东方晨曦",
    "陈静怡",
    "王浩然",
    "张思琪",
    "李明轩",
    "吴佳慧",
    "徐子涵",
    "周雨桐",
    "金宇航",
    "沈梦瑶",
    "朱俊杰",
    "杨晓丹",
    "林一鸣",
    "刘诗雨",
    "黄晨阳",
    "胡婉婷",
    "郑凯文",
    "方欣悦",
    "叶振峰",
]

OVERFLOW = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > innerWidth || root.scrollHeight > innerHeight) {
    problems.push(`page ${root.scrollWidth}x${root.scrollHeight} in ${innerWidth}x${innerHeight}`);
  }
  const board = document.getElementById("board").getBoundingClientRect();
  for (const node of document.querySelectorAll(".row, .fit, .masthead, .board-head, .footer, .tabs")) {
    if (node.scrollWidth > node.clientWidth + 1) problems.push(`too wide: ${node.className} ${node.textContent}`);
  }
  for (const row of document.querySelectorAll(".row")) {
    const box = row.getBoundingClientRect();
    if (row.scrollHeight > row.clientHeight + 1) problems.push(`too tall: ${row.textContent}`);
    if (box.bottom > board.bottom + 1 || box.right > innerWidth || box.left < 0) {
      problems.push(`outside the board: ${row.textContent}`);
    }
  }
  return problems;
}"""


def honour_bank():
    """A sub-branch with long names, 24 lobby managers, and September and October published."""
    head = factories.branch("100000", "总行", "head_office")
    tier1 = factories.branch("101000", "杭州分行", "branch", head)
    sub = factories.branch("101150", "杭州钱塘新区下沙经济技术开发区支行", "sub_branch", tier1)
    outlets = [
        factories.branch("1011501", "钱塘新区下沙经济技术开发区分理处", "outlet", sub),
        factories.branch("1011502", "未来科技城海创园营业部", "outlet", sub),
        factories.branch("1011503", "文三路营业部", "outlet", sub),
    ]
    people = [factories.staff(f"E{i + 1:04d}", name, outlets[i % 3]) for i, name in enumerate(NAMES)]
    scheme, _created = Scheme.objects.get_or_create(
        code=DEFAULT_SCHEME.code,
        version=DEFAULT_SCHEME.version,
        defaults={"name": "默认方案", "parameters": DEFAULT_SCHEME.to_dict()},
    )
    for month, seed in ((SEPTEMBER, 7), (OCTOBER, 11)):
        period = Period.objects.create(
            month=month, status=PeriodStatus.REVIEWED, scheme=scheme, computed_at=timezone.now()
        )
        rng = random.Random(seed)
        cards = []
        for i, member in enumerate(people):
            # The long names lead in October, so the widest rows are the ones on show.
            share = 1.2 - i * 0.025 if month == OCTOBER else rng.uniform(0.7, 1.2)
            cards.append(scorecard(period, member, share, tier1))
        Scorecard.objects.bulk_create(cards)
    return sub, people


def scorecard(period, member, share, tier1) -> Scorecard:
    points = Decimal(min(share, 1.2) * 100 * 0.94).quantize(Decimal("0.01"))
    return Scorecard(
        period=period,
        staff=member,
        branch=member.branch,
        peer_group=tier1,
        branch_path=member.branch.path,
        scheme=period.scheme,
        input_fingerprint="0" * 64,
        computed_at=period.computed_at,
        days_in_month=30,
        present_days=30,
        accounts=round(20 * share),
        effective=round(8 * share),
        ebanking=round(15 * share),
        deposits=Decimal(100 * share).quantize(Decimal("0.0001")),
        deposits_total=Decimal(130 * share).quantize(Decimal("0.0001")),
        satisfaction=Decimal(min(0.999, 0.8 + share / 6)).quantize(Decimal("0.0001")),
        praise=0,
        complaints=0,
        major_complaints=0,
        base=points,
        bonus=Decimal("0"),
        deduction=Decimal("0"),
        score=points,
        grade="excellent" if points >= 100 else "good",
        group_size=24,
    )


@pytest.fixture
def bank(settings):
    settings.BANK_NAME = "钱塘江商业银行"
    screen_payload_cache_clear()
    return honour_bank()


def open_screen(page, live_server, token):
    page.goto(f"{live_server.url}/screens/{token}/")
    page.wait_for_selector(".row")


def test_the_board_fits_every_screen_size_without_scrolling(browser, live_server, bank):
    sub, _people = bank
    _screen, token = screen_create(branch=sub, name="下沙大屏", show_deposits=True, rotate_seconds=600)
    folder = artifacts_dir("screens")
    for width, height in SIZES:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        open_screen(page, live_server, token)
        boards = page.evaluate("LobbyScreen.boards()")
        assert boards == ["score", "accounts", "effective", "ebanking", "satisfaction", "deposits"]
        assert page.locator(".row").count() == 10
        assert page.locator(".row").first.inner_text().startswith("1")
        page.wait_for_timeout(700)  # the entrance animation
        page.screenshot(path=str(folder / f"screen-{width}x{height}.png"))
        for index in range(len(boards)):
            page.evaluate(f"LobbyScreen.show({index})")
            assert page.evaluate(OVERFLOW) == [], f"{width}x{height}, board {boards[index]}"
        context.close()


# Run before the page's own script: writes down each board the page shows, (title, active tab),
# the moment it shows it.
RECORD_BOARDS = """
window.boardsSeen = [];
new MutationObserver(() => {
  const title = document.getElementById('board-title');
  if (!title || !title.textContent) return;
  const tab = document.querySelector('.tab.active');
  const last = window.boardsSeen[window.boardsSeen.length - 1];
  if (!last || last[0] !== title.textContent) window.boardsSeen.push([title.textContent, tab && tab.textContent]);
}).observe(document, {childList: true, characterData: true, subtree: true});
"""


def test_the_boards_rotate_by_themselves(page, live_server, bank):
    sub, _people = bank
    _screen, token = screen_create(branch=sub, name="轮播大屏", rotate_seconds=1)
    # Reading the title from here after each change could miss a board on a loaded machine (one
    # a second): the page writes each one down as it shows it.
    page.add_init_script(RECORD_BOARDS)
    open_screen(page, live_server, token)
    page.wait_for_function("window.boardsSeen.length >= 4")
    seen = page.evaluate("window.boardsSeen.slice(0, 4)")
    assert [title for title, _tab in seen] == ["综合得分榜", "开户数榜", "有效客户榜", "电子银行签约榜"]
    assert seen[3][1] == "电子银行"


def test_the_board_stays_with_an_offline_mark_and_recovers(page, live_server, bank):
    sub, _people = bank
    _screen, token = screen_create(branch=sub, name="离线大屏", poll_seconds=1, rotate_seconds=600)
    open_screen(page, live_server, token)
    assert page.is_hidden("#offline")
    page.route("**/data.json", lambda route: route.abort("internetdisconnected"))
    page.wait_for_selector("#offline", state="visible", timeout=5000)
    assert "离线" in page.inner_text("#offline")
    assert page.locator(".row").count() == 10  # the last board stays up
    page.screenshot(path=str(artifacts_dir("screens") / "screen-offline.png"))
    page.unroute("**/data.json")
    page.wait_for_selector("#offline", state="hidden", timeout=5000)
    assert page.evaluate("LobbyScreen.state()") == "online"


def test_new_data_is_drawn_in_place_without_reloading(page, live_server, bank):
    sub, people = bank
    _screen, token = screen_create(branch=sub, name="刷新大屏", poll_seconds=1, rotate_seconds=600)
    open_screen(page, live_server, token)
    page.evaluate("window.stillTheSamePage = true")
    Staff.objects.filter(pk=people[0].pk).update(name="欧阳新名")
    Period.objects.filter(month=OCTOBER).update(computed_at=timezone.now() + datetime.timedelta(minutes=5))
    page.wait_for_function("document.querySelector('.row .name').textContent === '欧阳新名'", timeout=5000)
    assert page.evaluate("window.stillTheSamePage") is True


def test_a_revoked_screen_shows_that_it_is_disabled(page, live_server, bank):
    sub, _people = bank
    screen, token = screen_create(branch=sub, name="停用大屏", poll_seconds=1, rotate_seconds=600)
    open_screen(page, live_server, token)
    screen_revoke(screen=screen)
    page.wait_for_selector("#disabled", state="visible", timeout=5000)
    assert page.is_hidden("#screen")
    assert "此大屏已停用" in page.inner_text("#disabled")
    response = page.goto(f"{live_server.url}/screens/{token}/")
    assert response.status == 404
    assert "此大屏已停用" in page.inner_text("body")
    page.screenshot(path=str(artifacts_dir("screens") / "screen-disabled.png"))
