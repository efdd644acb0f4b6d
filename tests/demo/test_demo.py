"""The demo bank: the generator alone (pure, frozen dates), then `seed_demo` end to end."""

import calendar
import datetime
import io
import statistics
from collections import Counter, defaultdict

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from demo.generator import DEFAULT_TARGETS, build_demo_bank, last_full_month
from metrics.models import AccountOpening, Deposit, EbankingSale, Feedback, ImportBatch
from staff.models import Branch, Membership, Role, Staff

TODAY = datetime.date(2026, 11, 29)
END = last_full_month(TODAY)


@pytest.fixture(scope="module")
def bank():
    return build_demo_bank(seed=2026, months=12, staff=80, end_month=END, today=TODAY)


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def _lobby_managers(bank) -> set[str]:
    return {row["employee_no"] for row in bank.rows("staff") if row["position"] == "lobby_manager"}


# ── the generator ─────────────────────────────────────────────────────────────────────────


def test_the_same_seed_gives_the_same_files_byte_for_byte(bank):
    again = build_demo_bank(seed=2026, months=12, staff=80, end_month=END, today=TODAY)
    assert [f.name for f in again.files] == [f.name for f in bank.files]
    for mine, theirs in zip(bank.files, again.files, strict=True):
        assert mine.to_csv_bytes() == theirs.to_csv_bytes(), mine.name


def test_another_seed_gives_other_files():
    one = build_demo_bank(seed=2026, months=2, staff=20, end_month=END, today=TODAY)
    other = build_demo_bank(seed=7, months=2, staff=20, end_month=END, today=TODAY)
    assert one.file("02_staff.csv").to_csv_bytes() != other.file("02_staff.csv").to_csv_bytes()
    assert one.file("06_deposits.csv").to_csv_bytes() != other.file("06_deposits.csv").to_csv_bytes()


def test_the_files_are_utf8_csv_with_a_bom_and_the_contracts_headers(bank):
    data = bank.file("05_accounts.csv").to_csv_bytes()
    assert data.startswith("\ufeff".encode())
    assert data.decode("utf-8-sig").splitlines()[0] == "ref,date,employee_no,customer_ref,account_type,avg_assets"
    assert b"\r\n" not in data


def test_the_months_are_the_ones_before_todays_month(bank):
    assert END == datetime.date(2026, 10, 1)
    assert [f"{m:%Y-%m}" for m in bank.months][0] == "2025-11"
    assert [f"{m:%Y-%m}" for m in bank.months][-1] == "2026-10"
    assert len(bank.months) == 12


def test_the_counts_match_the_options():
    small = build_demo_bank(seed=1, months=4, staff=20, end_month=END, today=TODAY)
    assert len(_lobby_managers(small)) == 20
    assert len(small.months) == 4
    assert {row["period"] for row in small.rows("targets")} == {"2026-07", "2026-08", "2026-09", "2026-10"}
    others = {row["employee_no"] for row in small.rows("staff")} - _lobby_managers(small)
    assert others, "a handful of tellers and outlet heads come on top"


def test_the_tree_has_a_head_office_three_tier1_branches_and_a_dozen_sub_branches_and_outlets(bank):
    levels = Counter(row["level"] for row in bank.rows("branches"))
    assert levels["head_office"] == 1
    assert levels["branch"] >= 3
    assert levels["sub_branch"] >= 12
    assert levels["outlet"] >= 12
    by_code = {row["code"]: row for row in bank.rows("branches")}
    assert all(row["parent_code"] in by_code for row in by_code.values() if row["level"] != "head_office")


def test_every_lobby_manager_sits_at_a_sub_branch_or_an_outlet(bank):
    levels = {row["code"]: row["level"] for row in bank.rows("branches")}
    for row in bank.rows("staff"):
        if row["position"] == "lobby_manager":
            assert levels[row["branch_code"]] in ("sub_branch", "outlet")


def test_peer_groups_are_big_enough_for_bottom_flags(bank):
    by_code = {row["code"]: row for row in bank.rows("branches")}

    def tier1(code):
        while by_code[code]["level"] != "branch":
            code = by_code[code]["parent_code"]
        return code

    sizes = Counter(tier1(r["branch_code"]) for r in bank.file("02_staff.csv").rows if r["position"] == "lobby_manager")
    assert all(size >= 8 for size in sizes.values())


def test_the_names_are_unique_and_a_few_are_four_characters_long(bank):
    names = [row["name"] for row in bank.file("02_staff.csv").rows]
    assert len(names) == len(set(names))
    assert sum(len(name) == 4 for name in names) >= 3
    assert any(len(name) == 2 for name in names)
    assert bank.story["long_names"]


def test_a_staff_member_moves_to_another_branch_mid_year(bank):
    first = {row["employee_no"]: row for row in bank.file("02_staff.csv").rows}
    moves = [
        r for r in bank.file("03_staff_changes.csv").rows if r["branch_code"] != first[r["employee_no"]]["branch_code"]
    ]
    assert moves
    assert bank.months[0] < _date(moves[0]["changed_on"]) <= bank.months[-1]
    assert moves[0]["branch_code"][:3] != first[moves[0]["employee_no"]]["branch_code"][:3], "another peer group"


def test_one_lobby_manager_leaves_and_has_no_record_after(bank):
    leavers = [r for r in bank.file("03_staff_changes.csv").rows if r["status"] == "left"]
    assert len(leavers) == 1
    left_on = _date(leavers[0]["changed_on"])
    dates = [
        _date(r["date"])
        for kind in ("accounts", "feedback")
        for r in bank.rows(kind)
        if r["employee_no"] == leavers[0]["employee_no"]
    ]
    assert dates and max(dates) < left_on


def test_a_maternity_leave_of_98_days_crosses_months(bank):
    leaves = [r for r in bank.rows("absences") if r["kind"] == "maternity"]
    assert len(leaves) == 1
    start, end = _date(leaves[0]["start"]), _date(leaves[0]["end"])
    assert (end - start).days + 1 == 98
    assert (start.year, start.month) != (end.year, end.month)
    kinds = Counter(r["kind"] for r in bank.rows("absences"))
    assert kinds["sick"] and kinds["annual"] and kinds["training"]


def test_no_record_falls_on_a_day_of_absence(bank):
    absent = defaultdict(set)
    for row in bank.rows("absences"):
        day = _date(row["start"])
        while day <= _date(row["end"]):
            absent[row["employee_no"]].add(day)
            day += datetime.timedelta(days=1)
    for kind in ("accounts", "deposits", "ebanking", "feedback"):
        assert not any(_date(r["date"]) in absent[r["employee_no"]] for r in bank.rows(kind)), kind


def test_the_promoted_tellers_are_on_probation_at_the_end(bank):
    first = {row["employee_no"]: row for row in bank.file("02_staff.csv").rows}
    promoted = [
        r
        for r in bank.file("03_staff_changes.csv").rows
        if r["position"] == "lobby_manager" and first[r["employee_no"]]["position"] == "teller"
    ]
    assert len(promoted) >= 2
    probation_after = datetime.date(2026, 8, 1)  # SCORING.md §4: later than the first day of p−2
    assert all(_date(r["position_since"]) > probation_after for r in promoted)
    assert all(_date(r["changed_on"]) == _date(r["position_since"]) for r in promoted)


def test_there_is_one_upheld_major_complaint_and_a_complaint_not_upheld(bank):
    complaints = [r for r in bank.rows("feedback") if r["kind"] == "complaint"]
    majors = [r for r in complaints if r["severity"] == "major"]
    assert len(majors) == 1 and majors[0]["upheld"] == "true"
    assert any(r["upheld"] == "false" for r in complaints)


def test_some_lobby_manager_has_a_month_without_a_mystery_shopper(bank):
    visited = {(r["employee_no"], r["date"][:7]) for r in bank.rows("feedback") if r["kind"] == "inspection"}
    worked = {(r["employee_no"], r["date"][:7]) for r in bank.rows("accounts")}
    assert worked - visited
    story = bank.story["no_inspection"]
    assert (story["employee_no"], story["month"]) in worked - visited


def test_no_record_is_dated_after_today_nor_outside_the_months():
    today = datetime.date(2026, 10, 12)  # inside the last month
    early = build_demo_bank(seed=3, months=3, staff=15, end_month=datetime.date(2026, 10, 1), today=today)
    for kind in ("accounts", "deposits", "ebanking", "feedback"):
        dates = [_date(r["date"]) for r in early.rows(kind)]
        assert max(dates) <= today
        assert min(dates) >= datetime.date(2026, 8, 1)


def test_refs_are_unique_per_kind_and_customers_look_like_references(bank):
    for kind, prefix in (("accounts", "ACC"), ("deposits", "DEP"), ("ebanking", "EBK"), ("feedback", "FBK")):
        refs = [r["ref"] for r in bank.rows(kind)]
        assert len(refs) == len(set(refs))
        assert all(ref.startswith(prefix) and len(ref) == 15 for ref in refs)
    assert all(r["customer_ref"].startswith("C") and r["customer_ref"][1:].isdigit() for r in bank.rows("deposits"))


def test_the_monthly_volumes_are_realistic(bank):
    month = f"{bank.months[3]:%Y-%m}"
    story = bank.story
    per_person = defaultdict(Counter)
    for r in bank.rows("accounts"):
        if r["date"].startswith(month):
            per_person[r["employee_no"]]["accounts"] += 1
            per_person[r["employee_no"]]["effective"] += float(r["avg_assets"]) >= 10_000
    typical = [c for no, c in per_person.items() if no not in story["low_performers"] and no != story["star"]]
    assert 15 <= statistics.median(c["accounts"] for c in typical) <= 25
    share = sum(c["effective"] for c in typical) / sum(c["accounts"] for c in typical)
    assert 0.30 <= share <= 0.45
    ratings = [int(r["rating"]) for r in bank.rows("feedback") if r["kind"] == "rating"]
    assert Counter(ratings)[5] > Counter(ratings)[4] > Counter(ratings)[3] > 0
    assert Counter(ratings)[1] > 0
    scores = [float(r["score"]) for r in bank.rows("feedback") if r["kind"] == "inspection"]
    assert 70 <= min(scores) and max(scores) <= 98


def test_the_targets_are_the_bank_defaults_with_a_few_branch_overrides(bank):
    rows = [r for r in bank.rows("targets") if r["period"] == "2026-10"]
    assert {r["item"]: float(r["target"]) for r in rows if r["scope"] == "bank"} == DEFAULT_TARGETS
    overrides = [r for r in rows if r["scope"] != "bank"]
    codes = {row["code"] for row in bank.rows("branches")}
    assert 1 <= len(overrides) <= 5 and all(r["scope"] in codes for r in overrides)


# A rough SCORING.md §1–2 score from the files (bank targets, proration by absences), enough to
# show the low performers are clearly below both bottom-flag thresholds.
def _scores(bank) -> dict[tuple[str, str], float]:
    weights = {
        "accounts": 15,
        "effective": 20,
        "ebanking": 20,
        "deposits": 15,
        "satisfaction": 20,
        "mystery": 10,
    }
    facts = defaultdict(lambda: defaultdict(float))
    ratings = defaultdict(list)
    inspections = defaultdict(list)
    for r in bank.rows("accounts"):
        key = (r["employee_no"], r["date"][:7])
        facts[key]["accounts"] += 1
        facts[key]["effective"] += float(r["avg_assets"]) >= 10_000
    for r in bank.rows("ebanking"):
        facts[(r["employee_no"], r["date"][:7])]["ebanking"] += r["activated"] == "true"
    for r in bank.rows("deposits"):
        day = _date(r["date"])
        length = calendar.monthrange(day.year, day.month)[1]
        facts[(r["employee_no"], r["date"][:7])]["deposits"] += (
            float(r["amount"]) * (length - day.day + 1) / length / 1e4
        )
    for r in bank.rows("feedback"):
        key = (r["employee_no"], r["date"][:7])
        if r["kind"] == "rating":
            ratings[key].append(int(r["rating"]))
        elif r["kind"] == "inspection":
            inspections[key].append(float(r["score"]))
        elif r["kind"] == "praise":
            facts[key]["praise"] += 1
        elif r["kind"] == "complaint" and r["upheld"] == "true" and r["severity"] == "normal":
            facts[key]["complaints"] += 1
    absent = Counter()
    for r in bank.rows("absences"):
        day = _date(r["start"])
        while day <= _date(r["end"]):
            absent[(r["employee_no"], f"{day:%Y-%m}")] += 1
            day += datetime.timedelta(days=1)
    scores = {}
    for key, fact in facts.items():
        month = datetime.date.fromisoformat(key[1] + "-01")
        length = calendar.monthrange(month.year, month.month)[1]
        present = length - absent[key]
        if present < 15:
            continue  # exempt
        points = {
            item: weights[item] * min(fact[item] / (target * present / length), 1.2)
            for item, target in DEFAULT_TARGETS.items()
        }
        n = len(ratings[key])
        rate = (sum(rating >= 4 for rating in ratings[key]) + 10 * 0.95) / (n + 10)
        points["satisfaction"] = weights["satisfaction"] * min(max((rate - 0.8) / 0.2, 0), 1)
        if inspections[key]:
            points["mystery"] = weights["mystery"] * statistics.mean(inspections[key]) / 100
        scale = 100 / sum(weights[item] for item in points)
        base = sum(value * scale for value in points.values())
        scores[key] = max(0.0, base + min(fact["praise"], 5) - 5 * fact["complaints"])
    return scores


@pytest.fixture(scope="module")
def scores(bank):
    return _scores(bank)


def test_the_low_performers_are_clearly_below_the_bottom_flag_thresholds_in_one_peer_group(bank, scores):
    story = bank.story
    first = {row["employee_no"]: row for row in bank.file("02_staff.csv").rows}
    low = story["low_performers"]
    assert len(low) == 2
    assert {first[no]["branch_code"][:3] for no in low} == {story["low_group"][:3]}
    assert len(story["low_months"]) >= 4
    group = [
        no
        for no, row in first.items()
        if row["position"] == "lobby_manager" and row["branch_code"][:3] == story["low_group"][:3]
    ]
    for month in story["low_months"]:
        median = statistics.median(scores[(no, month)] for no in group if (no, month) in scores)
        for no in low:
            assert scores[(no, month)] < 55, (no, month)
            assert scores[(no, month)] < 0.7 * median - 5, (no, month)
        others = [scores[(no, month)] for no in group if no not in low and (no, month) in scores]
        assert max(scores[(no, month)] for no in low) < min(others), month


def test_the_star_scores_above_100_every_month(bank, scores):
    star = bank.story["star"]
    assert all(scores[(star, f"{m:%Y-%m}")] >= 100 for m in bank.months)


def test_a_larger_bank_grows_the_tree():
    large = build_demo_bank(seed=1, months=1, staff=400, end_month=END, today=TODAY)
    levels = Counter(row["level"] for row in large.rows("branches"))
    assert levels["branch"] > 3
    assert len(_lobby_managers(large)) == 400
    codes = [row["code"] for row in large.rows("branches")]
    assert len(codes) == len(set(codes))


def test_a_bank_too_small_for_the_story_is_refused():
    with pytest.raises(ValueError, match="staff must be from 12"):
        build_demo_bank(seed=1, months=3, staff=5, end_month=END, today=TODAY)


# ── seed_demo end to end ──────────────────────────────────────────────────────────────────


def _seed(*args) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--staff", "20", "--months", "4", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_seed_demo_loads_the_bank_through_the_importer_and_creates_the_sign_ins(tmp_path):
    output = _seed("--output", str(tmp_path / "files"))
    assert Branch.objects.filter(level="sub_branch").count() >= 12
    assert Staff.objects.filter(position="lobby_manager").count() == 20
    assert AccountOpening.objects.exists() and Deposit.objects.exists()
    assert EbankingSale.objects.exists() and Feedback.objects.filter(severity="major").count() == 1
    assert not ImportBatch.objects.filter(outcome="rejected").exists()
    assert sorted(p.name for p in (tmp_path / "files").iterdir())[0] == "01_branches.csv"
    # The sign-ins, all with the demo password.
    User = get_user_model()
    hr = User.objects.get(username="hr")
    assert hr.check_password("lobbystar-demo") and hr.membership.role == Role.HR
    head = User.objects.get(username=f"head-{Branch.objects.filter(level='sub_branch').first().code}")
    assert head.membership.role == Role.BRANCH_HEAD and head.check_password("lobbystar-demo")
    active = Staff.objects.filter(position="lobby_manager", status="active")
    assert Membership.objects.filter(role=Role.LOBBY_MANAGER).count() == active.count()
    manager = User.objects.get(username=active.first().employee_no)
    assert manager.membership.staff == active.first() and manager.check_password("lobbystar-demo")
    assert "lobbystar-demo" in output and "head-" in output and "hr" in output


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_that_holds_data_and_reset_starts_over():
    _seed()
    first_refs = set(AccountOpening.objects.values_list("ref", flat=True))
    with pytest.raises(CommandError, match="拒绝.*--reset"):
        _seed("--seed", "9")
    assert set(AccountOpening.objects.values_list("ref", flat=True)) == first_refs
    User = get_user_model()
    User.objects.create_superuser("root", password="x-very-secret")
    output = _seed("--reset", "--seed", "9")
    assert "已重置：删除了" in output
    assert User.objects.filter(username="root", is_superuser=True).exists()
    assert Staff.objects.filter(position="lobby_manager").count() == 20
    assert User.objects.filter(username="hr").count() == 1
    assert not ImportBatch.objects.filter(outcome="rejected").exists()


@pytest.mark.django_db
def test_a_file_the_importer_rejects_stops_the_seed_and_leaves_the_database_empty(monkeypatch):
    from demo import seed

    def broken_bank(**options):
        bank = build_demo_bank(**options)
        bank.file("04_absences.csv").rows[0]["employee_no"] = "E99999"
        return bank

    monkeypatch.setattr(seed, "build_demo_bank", broken_bank)
    with pytest.raises(CommandError, match=r"拒绝了 04_absences.csv(.|\n)*第 2 行「employee_no」"):
        _seed()
    assert not Branch.objects.exists() and not get_user_model().objects.exists()


@pytest.mark.django_db
def test_the_demo_makes_one_display_screen_per_sub_branch_and_prints_its_url():
    from appraisals.models import Screen

    output = _seed()
    sub_branches = list(Branch.objects.filter(level="sub_branch").order_by("code").values_list("code", flat=True))
    assert list(Screen.objects.order_by("name").values_list("name", flat=True)) == [
        f"demo-{code}" for code in sub_branches
    ]
    assert output.count("http://127.0.0.1:8000/screens/") == len(sub_branches)


@pytest.mark.django_db
def test_make_runs_first_start_shows_scorecards_flags_and_an_open_case():
    """What `make run` does on an empty database (CONTRACT.md §2, issue: the month)."""
    from appraisals.models import CaseStatus, ImprovementCase, Period, PeriodStatus, Scorecard

    out = io.StringIO()
    call_command("demo_ready", stdout=out)
    periods = list(Period.objects.order_by("month").values_list("status", flat=True))
    assert len(periods) == 12
    assert periods[:-1] == [PeriodStatus.FINALIZED] * 11 and periods[-1] == PeriodStatus.COMPUTED
    assert Scorecard.objects.filter(bottom_flag=True).exists()
    assert ImprovementCase.objects.filter(status=CaseStatus.OPEN).exists()
    assert "hr / lobbystar-demo" in out.getvalue()
    # A second start changes nothing and seeds nothing.
    call_command("demo_ready", stdout=io.StringIO())
    assert Period.objects.count() == 12
