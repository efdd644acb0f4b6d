"""What-if: a scheme applied to computed months, the same engine on the same inputs, writing nothing."""

import csv
import dataclasses
import datetime
import io
import json
from decimal import Decimal

import numpy as np
import pandas as pd
from django.core.management import CommandError, call_command
from django.test import TestCase
from hypothesis import given
from hypothesis import strategies as st

from appraisals.models import CaseEvent, ImprovementCase, Period, Scorecard, Simulation
from appraisals.services.jobs import job_create, job_run
from appraisals.services.simulations import (
    SIMULATION_COLUMNS,
    SimulationError,
    simulate,
    simulation_create,
    simulation_csv,
    simulation_frame,
)
from audit.models import Change
from scoring import DEFAULT_SCHEME, compute_scorecards
from scoring.scheme import scheme_parse, scheme_to_json
from tests import factories
from tests.scoring.test_engine_properties import banks, banks_settings

AUGUST = datetime.date(2026, 8, 1)
SEPTEMBER = datetime.date(2026, 9, 1)
OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)


def reweighted(**weights) -> "DEFAULT_SCHEME.__class__":
    data = scheme_to_json(DEFAULT_SCHEME)
    data["items"] = [{**item, "weight": weights.get(item["code"], item["weight"])} for item in data["items"]]
    return scheme_parse({**data, "version": 2})


class SimulationTestCase(TestCase):
    """Branch A: Alice the star, Bob the steady low performer and eight colleagues; branch B:
    Olivia alone, at half of every target (hand-worked below). August to October are computed."""

    def setUp(self):
        from appraisals.services.periods import period_compute

        tree = factories.bank_tree()
        self.alice = factories.staff("E001", "张丽", tree["outlet_a"])
        self.bob = factories.staff("E002", "王博", tree["outlet_a"])
        self.colleagues = [factories.staff(f"E1{i:02d}", f"同事{i}", tree["outlet_a"]) for i in range(8)]
        self.olivia = factories.staff("E900", "欧阳奥利维娅", tree["outlet_b"])
        for month in (AUGUST, SEPTEMBER, OCTOBER):
            factories.full_month(self.alice, month, share=1.2)
            factories.full_month(self.bob, month, share=0.3)
            for i, colleague in enumerate(self.colleagues):
                factories.full_month(colleague, month, share=0.85 + i * 0.02)
            factories.full_month(self.olivia, month, share=0.5)
            period_compute(month=month)

    def counts(self) -> dict:
        return {
            "scorecards": Scorecard.objects.count(),
            "cases": ImprovementCase.objects.count(),
            "case_events": CaseEvent.objects.count(),
            "changes": Change.objects.count(),
            "periods": list(Period.objects.values_list("month", "status", "scheme_id", "computed_at")),
            "flags": Scorecard.objects.filter(bottom_flag=True).count(),
        }


class ShippedSchemeTests(SimulationTestCase):
    def test_the_shipped_scheme_gives_back_exactly_the_stored_scorecards(self):
        frame = simulate(scheme=DEFAULT_SCHEME, first=AUGUST, last=OCTOBER)
        self.assertEqual(len(frame), 33)
        stored = {
            (card.period.month, card.staff.employee_no): card
            for card in Scorecard.objects.select_related("period", "staff")
        }
        for row in frame.itertuples():
            card = stored[(row.period.date(), row.employee_no)]
            self.assertEqual(Decimal(f"{row.score_after:.2f}"), card.score)
            self.assertEqual(row.score_before, row.score_after)
            self.assertEqual((row.grade_before, row.grade_after), (card.grade, card.grade))
            self.assertEqual(row.rank_after, card.rank if card.rank is not None else pd.NA)
            self.assertEqual(bool(row.bottom_flag_after), card.bottom_flag)
        # Bob is flagged in each month, before and after alike.
        bob = frame[frame["employee_no"] == "E002"]
        self.assertEqual(bob["bottom_flag_after"].tolist(), [True, True, True])

    def test_a_record_added_since_the_computation_does_not_move_the_comparison(self):
        # The simulation reads what the computation read (kept with the month), so a difference
        # between before and after is the scheme's alone.
        factories.accounts(self.olivia, OCTOBER, 30)
        frame = simulate(scheme=DEFAULT_SCHEME, first=OCTOBER)
        self.assertTrue((frame["score_before"] == frame["score_after"]).all())

    def test_months_without_kept_inputs_are_read_from_the_records_and_agree(self):
        from appraisals.models import EngineInputs

        EngineInputs.objects.all().delete()
        frame = simulate(scheme=DEFAULT_SCHEME, first=AUGUST, last=OCTOBER)
        self.assertTrue((frame["score_before"] == frame["score_after"]).all())
        self.assertTrue((frame["rank_before"] == frame["rank_after"]).all())

    def test_a_recomputation_on_the_same_inputs_keeps_nothing_new(self):
        from unittest import mock

        from appraisals.models import EngineInputs
        from appraisals.services.periods import period_compute

        kept = EngineInputs.objects.get(period__month=OCTOBER)
        with mock.patch.object(pd.DataFrame, "to_csv", side_effect=AssertionError("kept again")):
            period_compute(month=OCTOBER)
        self.assertEqual(bytes(EngineInputs.objects.get(pk=kept.pk).data), bytes(kept.data))
        # A record more changes the fingerprint: the month's inputs are kept again.
        factories.accounts(self.olivia, OCTOBER, 30)
        period_compute(month=OCTOBER)
        self.assertNotEqual(EngineInputs.objects.get(pk=kept.pk).fingerprint, kept.fingerprint)
        frame = simulate(scheme=DEFAULT_SCHEME, first=OCTOBER)
        self.assertTrue((frame["score_before"] == frame["score_after"]).all())

    def test_a_branch_code_changed_without_a_new_fingerprint_is_kept_again(self):
        # The fingerprint reads branch ids and the tier-1 code, not an outlet's own code; the
        # comparison's branch paths come from what is kept, so a new code must be kept.
        from appraisals.services.periods import period_compute
        from staff.models import Branch

        outlet = Branch.objects.get(code="110101")
        Branch.objects.filter(pk=outlet.pk).update(code="110199", path=outlet.path.replace("110101", "110199"))
        period_compute(month=OCTOBER)
        frame = simulate(scheme=DEFAULT_SCHEME, first=OCTOBER)
        alice = frame[frame["employee_no"] == "E001"].iloc[0]
        self.assertEqual(alice["branch_path"], "/100000/110000/110100/110199/")

    def test_another_effective_customer_threshold_reads_the_records_again(self):
        # Everyone's "effective" accounts are opened with 20,000 yuan of assets: a threshold of
        # 50,000 leaves none, so every member's effective points fall to 0.
        frame = simulate(
            scheme=dataclasses.replace(DEFAULT_SCHEME, effective_threshold=Decimal("50000")), first=OCTOBER
        )
        olivia = frame[frame["employee_no"] == "E900"].iloc[0]
        self.assertEqual((olivia["score_before"], olivia["score_after"]), (40.67, 30.67))

    def test_a_simulation_never_writes(self):
        before = self.counts()
        simulate(scheme=reweighted(accounts=30, satisfaction=5), first=AUGUST, last=OCTOBER)
        self.assertEqual(self.counts(), before)

    def test_a_month_that_is_not_computed_is_named(self):
        with self.assertRaisesMessage(SimulationError, "2026-11 尚未计算"):
            simulate(scheme=DEFAULT_SCHEME, first=SEPTEMBER, last=NOVEMBER)


class ChangedWeightTests(SimulationTestCase):
    def test_doubling_the_accounts_weight_gives_the_hand_worked_score(self):
        # Olivia at half of every target: 10 of 20 accounts, 4 of 8 effective, 8 of 15 e-banking
        # (round(7.5) = 8), 50 of 100 万元, satisfaction (20 + 9.5) / 50 = 0.59 < 0.80 → 0 points,
        # mystery 50. Shipped: 7.50 + 10.00 + 10.67 + 7.50 + 0 + 5.00 = 40.67.
        # Accounts 30, satisfaction 5: 15.00 + 10.00 + 10.67 + 7.50 + 0 + 5.00 = 48.17.
        frame = simulate(scheme=reweighted(accounts=30, satisfaction=5), first=OCTOBER)
        olivia = frame[frame["employee_no"] == "E900"].iloc[0]
        self.assertEqual((olivia["score_before"], olivia["score_after"]), (40.67, 48.17))
        self.assertEqual((olivia["grade_before"], olivia["grade_after"]), ("fail", "fail"))
        self.assertEqual((olivia["rank_before"], olivia["rank_after"]), (1, 1))

    def test_a_simulated_month_reads_the_simulated_scores_of_the_months_before_it(self):
        # October's rolling score reads August and September as simulated, not as stored; and
        # the first simulated month (September) reads the stored August.
        from unittest import mock

        from appraisals.services import simulations

        seen = {}

        def spy(**inputs):
            seen[inputs["period"]] = inputs["history"].copy()
            return compute_scorecards(**inputs)

        scheme = reweighted(accounts=30, satisfaction=5)
        with mock.patch.object(simulations, "compute_scorecards", side_effect=spy):
            frame = simulate(scheme=scheme, first=SEPTEMBER, last=OCTOBER)
        bob = self.bob.pk
        october = seen[OCTOBER].set_index(["staff_id", "period"])["score"]
        simulated_september = frame[(frame["employee_no"] == "E002") & (frame["period"] == "2026-09-01")]
        self.assertEqual(october[(bob, pd.Timestamp(SEPTEMBER))], simulated_september["score_after"].iloc[0])
        self.assertNotEqual(simulated_september["score_after"].iloc[0], simulated_september["score_before"].iloc[0])
        stored_august = Scorecard.objects.get(staff=self.bob, period__month=AUGUST).score
        self.assertEqual(october[(bob, pd.Timestamp(AUGUST))], float(stored_august))
        september = seen[SEPTEMBER].set_index(["staff_id", "period"])["score"]
        self.assertEqual(september[(bob, pd.Timestamp(AUGUST))], float(stored_august))


class SimulationOutputTests(SimulationTestCase):
    def test_the_csv_has_exactly_the_columns_of_the_contract(self):
        frame = simulate(scheme=reweighted(accounts=30, satisfaction=5), first=OCTOBER)
        rows = list(csv.reader(io.StringIO(simulation_csv(frame))))
        self.assertEqual(rows[0], SIMULATION_COLUMNS)
        olivia = dict(zip(rows[0], next(row for row in rows if row[1] == "E900"), strict=True))
        self.assertEqual(
            olivia,
            {
                "period": "2026-10",
                "employee_no": "E900",
                "name": "欧阳奥利维娅",
                "peer_group": "120000",
                "score_before": "40.67",
                "score_after": "48.17",
                "grade_before": "fail",
                "grade_after": "fail",
                "rank_before": "1",
                "rank_after": "1",
                "bottom_flag_before": "false",
                "bottom_flag_after": "false",
            },
        )

    def test_the_command_writes_the_csv_and_refuses_an_uncomputed_month(self, *args):
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp())
        scheme_file = folder / "scheme.json"
        scheme_file.write_text(json.dumps(scheme_to_json(reweighted(accounts=30, satisfaction=5))), encoding="utf-8")
        output = folder / "out.csv"
        call_command("simulate_scheme", str(scheme_file), "2026-08", "2026-10", "--output", str(output))
        lines = output.read_text(encoding="utf-8").splitlines()
        self.assertEqual(lines[0], ",".join(SIMULATION_COLUMNS))
        self.assertEqual(len(lines), 34)
        with self.assertRaisesMessage(CommandError, "2026-11 尚未计算"):
            call_command("simulate_scheme", str(scheme_file), "2026-11")
        scheme_file.write_text("{not json", encoding="utf-8")
        with self.assertRaisesMessage(CommandError, "不是 JSON"):
            call_command("simulate_scheme", str(scheme_file), "2026-10")

    def test_a_simulation_runs_as_a_background_job_and_keeps_its_table(self):
        from appraisals.models import Scheme

        scheme = Scheme.objects.get(code="lobby-2026")
        simulation = simulation_create(scheme=scheme, first=AUGUST, last=OCTOBER, user=None)
        job = job_create(kind="simulate", month=AUGUST, user=None, simulation=simulation.pk)
        job = job_run(job_id=job.pk)
        self.assertEqual(job.state, "done", job.message)
        simulation.refresh_from_db()
        frame = simulation_frame(simulation)
        self.assertEqual(len(frame), 33)
        self.assertTrue((frame["score_before"] == frame["score_after"]).all())
        self.assertEqual(Simulation.objects.get().row_count, 33)


# --- a property of the pure engine ------------------------------------------------------------------


@banks_settings
@given(bank=banks(), factor=st.sampled_from([2, 3, 5, 10, Decimal("0.5")]))
def test_scaling_every_weight_by_the_same_factor_changes_no_rank(bank, factor):
    scheme = bank["scheme"]
    scaled = dataclasses.replace(
        scheme, items=tuple(dataclasses.replace(item, weight=item.weight * factor) for item in scheme.items)
    )
    before = compute_scorecards(**bank)
    after = compute_scorecards(**{**bank, "scheme": scaled})
    np.testing.assert_array_equal(before["rank"].to_numpy(), after["rank"].to_numpy())
    np.testing.assert_array_equal(before["bottom_flag"].to_numpy(), after["bottom_flag"].to_numpy())


# --- the comparison page's figures, on a hand-made table ------------------------------------------


def test_the_comparison_counts_grade_changes_flags_rank_moves_and_branch_averages():
    from appraisals.services.simulations import simulation_comparison

    frame = pd.DataFrame(
        {
            "period": pd.to_datetime(["2026-09-01", "2026-09-01", "2026-09-01", "2026-10-01", "2026-10-01"]),
            "staff_id": [1, 2, 3, 1, 2],
            "employee_no": ["E1", "E2", "E3", "E1", "E2"],
            "name": ["甲", "乙", "丙", "甲", "乙"],
            "peer_group": ["110000", "110000", "120000", "110000", "110000"],
            "branch_path": ["/1/110000/", "/1/110000/", "/1/120000/", "/1/110000/", "/1/110000/"],
            "score_before": [90.0, 58.0, 70.0, 92.0, 61.0],
            "score_after": [84.0, 64.0, 70.0, 80.0, 86.0],
            "grade_before": ["good", "fail", "pass", "good", "pass"],
            "grade_after": ["pass", "pass", "pass", "pass", "good"],
            "rank_before": pd.array([1, 2, 1, 1, 2], dtype="Int64"),
            "rank_after": pd.array([1, 2, 1, 2, 1], dtype="Int64"),
            "bottom_flag_before": pd.array([False, True, False, False, False], dtype="boolean"),
            "bottom_flag_after": pd.array([False, False, False, True, False], dtype="boolean"),
        }
    )
    figures = simulation_comparison(frame)
    whole = figures["range"]
    assert whole["grades_before"] == {"excellent": 0, "good": 2, "pass": 2, "fail": 1}
    assert whole["grades_after"] == {"excellent": 0, "good": 1, "pass": 4, "fail": 0}
    assert whole["grade_changes"] == 4  # 甲 twice, 乙 twice; 丙 stays 合格
    assert [(p["employee_no"], f"{p['period']:%Y-%m}") for p in whole["newly_flagged"]] == [("E1", "2026-10")]
    assert [(p["employee_no"], f"{p['period']:%Y-%m}") for p in whole["no_longer_flagged"]] == [("E2", "2026-09")]
    assert [(p["employee_no"], p["move"]) for p in whole["rank_moves"]] == [("E1", -1), ("E2", 1)]
    # 110000: before (90 + 58 + 92 + 61) / 4 = 75.25, after (84 + 64 + 80 + 86) / 4 = 78.5
    assert whole["branches"] == [
        {"code": "110000", "before": 75.25, "after": 78.5, "people": 2},
        {"code": "120000", "before": 70.0, "after": 70.0, "people": 1},
    ]
    assert [month["grade_changes"] for month in figures["months"]] == [2, 2]
