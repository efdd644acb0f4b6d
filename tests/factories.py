"""Builders for tests that need an organisation and records in the database.

The people are named so that a test reads as a story: Alice runs the lobby at outlet A,
Bob is her colleague, Olivia works in branch B and must never see A's data.
"""

import datetime
import itertools
from decimal import Decimal

from metrics.models import AccountOpening, Deposit, EbankingSale, Feedback
from metrics.pseudonyms import customer_hash
from metrics.summaries import summaries_refresh
from staff.models import Assignment, Branch, Level, Staff

START_OF_TIME = datetime.date(1900, 1, 1)
_refs = itertools.count(1)


def branch(code: str, name: str, level: str, parent: Branch | None = None) -> Branch:
    path = f"{parent.path if parent else '/'}{code}/"
    return Branch.objects.create(code=code, name=name, level=level, parent=parent, path=path)


def bank_tree():
    """Head office → branches A and B → one sub-branch each → one outlet each."""
    head = branch("100000", "总行", Level.HEAD_OFFICE)
    branch_a = branch("110000", "杭州分行", Level.BRANCH, head)
    sub_a = branch("110100", "西湖支行", Level.SUB_BRANCH, branch_a)
    outlet_a = branch("110101", "文三路营业部", Level.OUTLET, sub_a)
    branch_b = branch("120000", "宁波分行", Level.BRANCH, head)
    sub_b = branch("120100", "海曙支行", Level.SUB_BRANCH, branch_b)
    outlet_b = branch("120101", "天一广场营业部", Level.OUTLET, sub_b)
    return {
        "head": head,
        "branch_a": branch_a,
        "sub_a": sub_a,
        "outlet_a": outlet_a,
        "branch_b": branch_b,
        "sub_b": sub_b,
        "outlet_b": outlet_b,
    }


def staff(
    employee_no: str,
    name: str,
    at: Branch,
    *,
    position: str = "lobby_manager",
    position_since: datetime.date = datetime.date(2020, 1, 1),
    status: str = "active",
) -> Staff:
    member = Staff.objects.create(
        employee_no=employee_no,
        name=name,
        branch=at,
        position=position,
        position_since=position_since,
        status=status,
    )
    Assignment.objects.create(
        staff=member,
        branch=at,
        position=position,
        position_since=position_since,
        status=status,
        valid_from=START_OF_TIME,
    )
    return member


def _ref(prefix: str) -> str:
    return f"{prefix}{next(_refs):08d}"


def accounts(member: Staff, day: datetime.date, count: int, avg_assets: Decimal = Decimal("500")):
    AccountOpening.objects.bulk_create(
        AccountOpening(
            ref=_ref("ACC"),
            date=day,
            staff=member,
            customer_hash=customer_hash(f"C{i}"),
            avg_assets=avg_assets,
        )
        for i in range(count)
    )
    summaries_refresh(kind="accounts", pairs=[(member.pk, day)])  # as every writer of records does


def deposit(member: Staff, day: datetime.date, amount: Decimal):
    Deposit.objects.create(ref=_ref("DEP"), date=day, staff=member, customer_hash=customer_hash("C1"), amount=amount)
    summaries_refresh(kind="deposits", pairs=[(member.pk, day)])


def ebanking(member: Staff, day: datetime.date, count: int, activated: bool = True):
    EbankingSale.objects.bulk_create(
        EbankingSale(
            ref=_ref("EB"),
            date=day,
            staff=member,
            customer_hash=customer_hash(f"C{i}"),
            product="mobile_banking",
            activated=activated,
        )
        for i in range(count)
    )
    summaries_refresh(kind="ebanking", pairs=[(member.pk, day)])


def feedback(member: Staff, day: datetime.date, kind: str, *, count: int = 1, **fields):
    channel = fields.pop("channel", "mystery_shopper" if kind == "inspection" else "pad")
    Feedback.objects.bulk_create(
        Feedback(ref=_ref("FB"), date=day, staff=member, channel=channel, kind=kind, **fields) for _ in range(count)
    )
    summaries_refresh(kind="feedback", pairs=[(member.pk, day)])


def full_month(member: Staff, month: datetime.date, *, share: float = 1.0):
    """Records that meet `share` of every default target in the month (1.0 → 100 points)."""
    day = month.replace(day=1)
    accounts(member, day, round(20 * share) - round(8 * share))
    accounts(member, day, round(8 * share), avg_assets=Decimal("20000"))
    ebanking(member, day, round(15 * share))
    # Deposited on the 1st, so the daily average is the whole amount: 100 万元 × share.
    deposit(member, day, Decimal(1_000_000 * share).quantize(Decimal("0.01")))
    feedback(member, day, "rating", rating=5, count=40 if share >= 1 else 0)
    if share < 1:
        feedback(member, day, "rating", rating=5, count=int(40 * share))
        feedback(member, day, "rating", rating=2, count=40 - int(40 * share))
    feedback(member, day, "inspection", score=Decimal(round(100 * min(share, 1))))
