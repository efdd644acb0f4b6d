"""The shapes of the API, for its OpenAPI description (the views build the answers themselves)."""

from rest_framework import serializers

from api.selectors import BOOLEAN_COLUMNS, DECIMAL_PLACES, INTEGER_COLUMNS, NULLABLE_COLUMNS
from appraisals.models import PeriodStatus
from reports.exports import SCORECARD_COLUMNS


class MonthSerializer(serializers.Serializer):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")
    status = serializers.ChoiceField(choices=PeriodStatus.choices)
    published = serializers.BooleanField(help_text="reviewed or finalized: its scorecards can be read")
    scorecards = serializers.IntegerField(min_value=0)


def _scorecard_field(name: str) -> serializers.Field:
    nullable = name in NULLABLE_COLUMNS
    if name in INTEGER_COLUMNS:
        return serializers.IntegerField(allow_null=nullable, min_value=0)
    if name in BOOLEAN_COLUMNS:
        return serializers.BooleanField()
    if name in DECIMAL_PLACES:
        places = DECIMAL_PLACES[name]
        return serializers.RegexField(
            rf"^-?\d+\.\d{{{places}}}$",
            allow_null=nullable,
            help_text=f"a decimal as text with {places} decimals, as in the CSV export",
        )
    if name == "grade":
        return serializers.ChoiceField(choices=["excellent", "good", "pass", "fail"])
    return serializers.CharField()


ScorecardSerializer = type(
    "ScorecardSerializer",
    (serializers.Serializer,),
    {name: _scorecard_field(name) for name in SCORECARD_COLUMNS},
)


class RowErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="1 is the first row of the batch; null: the whole batch")
    column = serializers.CharField(help_text='the English column name, or "-" for the whole row')
    message = serializers.CharField()


class ErrorSerializer(serializers.Serializer):
    message = serializers.CharField()
    errors = RowErrorSerializer(many=True, required=False)


class BatchSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(child=serializers.JSONField()),
        min_length=1,
        max_length=10_000,
        help_text="the columns of CONTRACT.md §1 for this kind, English or Chinese names",
    )


class BatchResultSerializer(serializers.Serializer):
    kind = serializers.CharField()
    rows = serializers.IntegerField(min_value=0)
    created = serializers.IntegerField(min_value=0)
    updated = serializers.IntegerField(min_value=0)
    unchanged = serializers.IntegerField(min_value=0)
    batch = serializers.IntegerField(help_text="the import batch, as the console's imports page shows it")
    dry_run = serializers.BooleanField()
