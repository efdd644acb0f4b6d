from django.db import migrations, models


def count_stored_errors(apps, schema_editor):
    """Batches recorded before the count was kept: their stored list is the best count there is."""
    ImportBatch = apps.get_model("metrics", "ImportBatch")
    for batch in ImportBatch.objects.exclude(errors=[]).only("pk", "errors").iterator():
        ImportBatch.objects.filter(pk=batch.pk).update(error_count=len(batch.errors))


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0002_record_batch_without_db_constraint"),
    ]

    operations = [
        migrations.AddField(
            model_name="importbatch",
            name="error_count",
            field=models.PositiveIntegerField(default=0, verbose_name="错误数"),
        ),
        migrations.RunPython(count_stored_errors, migrations.RunPython.noop),
    ]
