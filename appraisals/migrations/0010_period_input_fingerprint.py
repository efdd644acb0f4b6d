from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def fingerprints_from_scorecards(apps, schema_editor):
    """Until now every scorecard of a month carried its last computation's fingerprint."""
    Period = apps.get_model("appraisals", "Period")
    Scorecard = apps.get_model("appraisals", "Scorecard")
    first = Scorecard.objects.filter(period=OuterRef("pk")).order_by("pk").values("input_fingerprint")[:1]
    for period in Period.objects.annotate(fingerprint=Subquery(first)).exclude(fingerprint=None):
        Period.objects.filter(pk=period.pk).update(input_fingerprint=period.fingerprint)


class Migration(migrations.Migration):
    dependencies = [
        ("appraisals", "0009_scorecard_flagged_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="period",
            name="input_fingerprint",
            field=models.CharField(blank=True, default="", max_length=64, verbose_name="输入指纹"),
        ),
        migrations.RunPython(fingerprints_from_scorecards, migrations.RunPython.noop),
    ]
