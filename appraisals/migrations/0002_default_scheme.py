"""The scheme the product ships with: exactly SCORING.md (lobby-2026, version 1).

The parameters are written out here rather than imported, so this migration keeps meaning
the same scheme whatever later code says.
"""

from django.db import migrations

LOBBY_2026 = {
    "code": "lobby-2026",
    "version": 1,
    "position": "lobby_manager",
    "items": [
        {
            "code": "accounts",
            "metric": "accounts",
            "weight": "15",
            "method": "ratio",
            "target": "20",
            "cap": "1.2",
            "floor": None,
            "span": None
        },
        {
            "code": "effective",
            "metric": "effective",
            "weight": "20",
            "method": "ratio",
            "target": "8",
            "cap": "1.2",
            "floor": None,
            "span": None
        },
        {
            "code": "ebanking",
            "metric": "ebanking",
            "weight": "20",
            "method": "ratio",
            "target": "15",
            "cap": "1.2",
            "floor": None,
            "span": None
        },
        {
            "code": "deposits",
            "metric": "deposits",
            "weight": "15",
            "method": "ratio",
            "target": "100",
            "cap": "1.2",
            "floor": None,
            "span": None
        },
        {
            "code": "satisfaction",
            "metric": "satisfaction",
            "weight": "20",
            "method": "band",
            "target": None,
            "cap": "1",
            "floor": "0.80",
            "span": "0.20"
        },
        {
            "code": "mystery",
            "metric": "mystery",
            "weight": "10",
            "method": "score",
            "target": None,
            "cap": "1",
            "floor": None,
            "span": None
        }
    ],
    "effective_threshold": "10000",
    "satisfaction_m": 10,
    "satisfaction_prior": "0.95",
    "satisfaction_good_rating": 4,
    "praise_bonus": "1",
    "bonus_cap": "5",
    "complaint_deduction": "5",
    "grade_excellent": "100",
    "grade_good": "85",
    "grade_pass": "60",
    "exempt_min_present": 15,
    "probation_months": 3,
    "rolling_months": 3,
    "min_group": 8,
    "bottom_share_tenths": 1,
    "absolute_floor": "60",
    "median_factor": "0.70",
    "case_consecutive": 3
}


def create_default_scheme(apps, schema_editor):
    Scheme = apps.get_model("appraisals", "Scheme")
    Scheme.objects.get_or_create(
        code="lobby-2026", version=1,
        defaults={"name": "大堂经理月度考核方案（2026）", "position": "lobby_manager",
                  "parameters": LOBBY_2026, "active": True,
                  "note": "SCORING.md 的默认方案 / the default scheme of SCORING.md"},
    )


class Migration(migrations.Migration):
    dependencies = [("appraisals", "0001_initial")]

    operations = [migrations.RunPython(create_default_scheme, migrations.RunPython.noop)]
