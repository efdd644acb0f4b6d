"""The people of the console tests, built in code.

Hana works in HR and sees everything; Henry, also in HR, is the second pair of eyes who
finalizes a month Hana reviewed. Hugo heads the West Lake sub-branch (branch A) and sees its
subtree. Alice is a lobby manager at an outlet of A and sees only herself. Olivia is a lobby
manager in branch B: nobody in A may ever see her. And a visitor who has not signed in.
October is computed and published (reviewed by Hana).
"""

import datetime

from django.contrib.auth import get_user_model
from django.test import TestCase

from appraisals.models import Appeal, ImprovementCase, Screen, Target, WriteUp
from appraisals.services.periods import period_compute, period_review
from staff.models import Membership, Role
from tests import factories

OCTOBER = datetime.date(2026, 10, 1)
OLIVIA_NAME = "欧阳奥利维娅"


class BaseTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        User = get_user_model()
        cls.tree = factories.bank_tree()
        cls.alice = factories.staff("E001", "张丽", cls.tree["outlet_a"])
        cls.bob = factories.staff("E002", "王博", cls.tree["outlet_a"])
        cls.olivia = factories.staff("E900", OLIVIA_NAME, cls.tree["outlet_b"])
        for member, share in ((cls.alice, 1.1), (cls.bob, 0.6), (cls.olivia, 0.9)):
            factories.full_month(member, OCTOBER, share=share)
        cls.period = period_compute(month=OCTOBER).period

        cls.hr_user = User.objects.create_user("hana", password="pw-hana-123", is_staff=True)
        Membership.objects.create(user=cls.hr_user, role=Role.HR)
        cls.hr2_user = User.objects.create_user("henry", password="pw-henry-123", is_staff=True)
        Membership.objects.create(user=cls.hr2_user, role=Role.HR)
        cls.head_user = User.objects.create_user("hugo", password="pw-hugo-123")
        Membership.objects.create(user=cls.head_user, role=Role.BRANCH_HEAD, branch=cls.tree["sub_a"])
        cls.alice_user = User.objects.create_user("alice", password="pw-alice-123")
        Membership.objects.create(user=cls.alice_user, role=Role.LOBBY_MANAGER, staff=cls.alice)
        cls.olivia_user = User.objects.create_user("olivia", password="pw-olivia-123")
        Membership.objects.create(user=cls.olivia_user, role=Role.LOBBY_MANAGER, staff=cls.olivia)

        cls.period = period_review(
            month=OCTOBER, user=cls.hr_user, without_signoffs=True, reason="测试：支行行长休假，人力资源部代为复核"
        )
        cls.olivia_appeal = Appeal.objects.create(
            period=cls.period,
            staff=cls.olivia,
            text="存款记录漏记了一笔，请复核。",
            created_by=cls.olivia_user,
        )
        cls.olivia_case = ImprovementCase.objects.create(staff=cls.olivia, opened_period=cls.period)
        cls.olivia_writeup = WriteUp.objects.create(
            staff=cls.olivia,
            period=cls.period,
            draft_zh="本月表现稳定。",
            draft_en="Steady month.",
            text_zh="本月表现稳定。",
            text_en="Steady month.",
            generated_at=cls.period.computed_at,
        )
        cls.target = Target.objects.create(month=OCTOBER, scope_kind="bank", item="accounts", target=20)
        cls.screen = Screen.objects.create(name="海曙大屏", branch=cls.tree["sub_b"], token_hash="0" * 64)
        from metrics.models import AccountOpening

        cls.olivia_record = AccountOpening.objects.filter(staff=cls.olivia).first()

    def personas(self):
        """(name, user) for every persona; the anonymous visitor's user is None."""
        return [
            ("hr", self.hr_user),
            ("head_a", self.head_user),
            ("alice", self.alice_user),
            ("olivia", self.olivia_user),
            ("anonymous", None),
        ]

    def sign_in(self, user):
        self.client.logout()
        if user is not None:
            self.client.force_login(user)
