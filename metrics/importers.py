"""Records: account openings, deposits, e-banking sales and customer feedback (CONTRACT.md §1).

The four kinds share one path, written for files of a million rows: each check is a pandas
operation over a whole column, the refs are looked up through a temporary table in one
query, and new rows go in with COPY (PostgreSQL) or executemany (SQLite) rather than
through model instances.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.models import Change
from audit.services import changes_record_bulk
from core.bulk import chunks, insert_rows, model_columns, update_rows
from core.imports.cells import (
    Amount,
    Boolean,
    Choice,
    Column,
    Date,
    Number,
    Text,
    WholeNumber,
    map_unique,
    or_default,
)
from core.imports.errors import fill
from core.imports.kinds import (
    UPDATE_REASON,
    ImportContext,
    KindSpec,
    Plan,
    Rows,
    finalized_message,
    flag_repeated,
    history_source,
    register,
)
from metrics.models import (
    AccountOpening,
    Channel,
    Deposit,
    EbankingProduct,
    EbankingSale,
    Feedback,
    FeedbackKind,
    Record,
    Severity,
)
from metrics.pseudonyms import customer_hashes_of
from metrics.summaries import summaries_refresh
from staff.models import Staff
from staff.selectors import staff_ids_by_employee_no

COMMON_COLUMNS = (
    Column("ref", "流水号", Text(64), required=True),
    Column("date", "日期", Date(), required=True),
    Column("employee_no", "员工编号", Text(), required=True),
)
CUSTOMER_COLUMN = Column("customer_ref", "客户号", Text(64), required=True)

# Which file column a stored field is shown as in messages, and fields shown only as "changed".
_COLUMN_OF_FIELD = {"staff": "employee_no", "customer_hash": "customer_ref"}
_HIDDEN = {"customer_hash"}


@dataclass(frozen=True)
class RecordKind:
    """A kind of record file. `content(rows)` gives the kind's own fields (after ref, date and
    staff) as canonical values: the text stored, and what stored values are compared with."""

    name: str
    label: str
    model: type[Record]
    columns: tuple[Column, ...]
    content: Callable[[Rows], dict[str, pd.Series]]

    def spec(self) -> KindSpec:
        return KindSpec(
            name=self.name,
            label=self.label,
            columns=COMMON_COLUMNS + self.columns,
            prepare=lambda rows, context: prepare_records(self, rows, context),
        )


# ─── the shared path ──────────────────────────────────────────────────────────────────────


def prepare_records(kind: RecordKind, rows: Rows, context: ImportContext) -> Plan:
    """Checks every row, compares the good ones with what is stored under their refs, and
    plans the writing: new records in bulk, changed ones (with --update) with history."""
    refs = rows.value("ref")
    dates = rows.value("date")
    employee_nos = rows.value("employee_no")
    flag_repeated(rows, refs, "ref", what=_("流水号 %(value)s"))
    _flag_dates(rows, dates, context)
    staff_ids = _staff_ids(rows, employee_nos)
    date_texts = map_unique(dates, datetime.date.isoformat)
    # What is compared with a stored record; the staff member by employee number.
    content = {"date": date_texts, "staff": employee_nos, **kind.content(rows)}

    good = ~rows.bad
    new, updates, unchanged = _compare(kind.model, rows, refs, good, content, context)
    plan = Plan(created=int(new.sum()), updated=len(updates), unchanged=unchanged)
    if rows.has_errors:
        return plan

    values = {"date": date_texts, "staff_id": staff_ids, **content}
    fields = ["date", "staff_id", *[name for name in content if name not in ("date", "staff")]]
    new_refs = refs[new].tolist()
    new_columns = {name: values[name][new].tolist() for name in fields}
    new_columns["staff_id"] = [int(pk) for pk in new_columns["staff_id"]]
    changed_rows = [
        [_update_value(name, values[name].iat[position]) for name in fields] for _pk, _ref, _fields, position in updates
    ]
    history = [(pk, ref, changed_fields) for pk, ref, changed_fields, _position in updates]
    user = context.user

    def write(batch) -> None:
        columns = {"ref": new_refs, "batch": [batch.pk] * len(new_refs), **new_columns}
        insert_rows(table=kind.model._meta.db_table, columns=model_columns(kind.model, columns))
        touched = _month_pairs(new_columns["staff_id"], new_columns["date"])
        if updates:
            pks = [pk for pk, _ref, _fields, _position in updates]
            touched |= _stored_month_pairs(kind.model, pks)  # where the records were …
            touched |= _month_pairs([row[1] for row in changed_rows], [row[0] for row in changed_rows])  # … and go
            update_rows(
                model=kind.model,
                fields=[*fields, "batch"],
                rows=[(*row, batch.pk, pk) for row, pk in zip(changed_rows, pks, strict=True)],
            )
            changes_record_bulk(
                model=kind.model,
                entries=history,
                action=Change.Action.UPDATE,
                reason=UPDATE_REASON,
                user=user,
                source=history_source(batch),
            )
        summaries_refresh(kind=kind.name, pairs=touched)

    plan.write = write
    return plan


def _compare(model, rows, refs, good, content, context) -> tuple[np.ndarray, list[tuple], int]:
    """Sorts the good rows into new ones, ones whose stored record is the same (unchanged) and
    ones whose stored record differs: an error, or with --update an update
    (pk, ref, {field: [old, new]}, position in the file). Returns (new mask, updates, unchanged)."""
    new = good.copy()
    updates, unchanged = [], 0
    locked = context.locked_months if context.update else frozenset()
    # Where in the file each ref is (the good refs are unique within the file).
    position_of = pd.Series(np.flatnonzero(good), index=refs[good].to_numpy())
    for stored in _stored_slices(model, refs[good], list(content)):
        positions = position_of.reindex(stored["ref"].to_numpy()).to_numpy()
        new[positions] = False
        differences = _differences(content, stored, positions)
        changed = np.logical_or.reduce(list(differences.values()))
        unchanged += int((~changed).sum())
        for i in np.flatnonzero(changed).tolist():
            ref, position = stored["ref"].iat[i], int(positions[i])
            fields = {
                name: [stored[name].iat[i], content[name].iat[position]]
                for name, differ in differences.items()
                if differ[i]
            }
            stored_month = datetime.date.fromisoformat(stored["date"].iat[i]).replace(day=1)
            if not context.update:
                first = next(iter(fields))
                message = _different_content_message(ref, fields, rows.label)
                rows.flag_at(position, _COLUMN_OF_FIELD.get(first, first), message)
            elif stored_month in locked:
                message = _("流水号 %(ref)s 存于已定稿的月份：%(finalized)s") % {
                    "ref": ref,
                    "finalized": finalized_message(stored_month),
                }
                rows.flag_at(position, "date", message)
            else:
                updates.append((int(stored["id"].iat[i]), ref, fields, position))
    return new, updates, unchanged


def _month_pairs(staff_ids, dates) -> set[tuple[int, datetime.date]]:
    """The distinct (staff id, first of the month) pairs of many rows; dates as date or ISO text."""
    if not len(staff_ids):
        return set()
    months = pd.Series([str(day)[:7] for day in dates], dtype=object)
    frame = pd.DataFrame({"staff_id": pd.Series(staff_ids, dtype="int64"), "month": months}).drop_duplicates()
    return {
        (int(staff_id), datetime.date(int(month[:4]), int(month[5:7]), 1))
        for staff_id, month in zip(frame["staff_id"], frame["month"], strict=True)
    }


def _stored_month_pairs(model: type[Record], pks: list[int]) -> set[tuple[int, datetime.date]]:
    pairs = set()
    for chunk in chunks(pks):
        for staff_id, day in model.objects.filter(pk__in=chunk).values_list("staff_id", "date"):
            pairs.add((staff_id, day.replace(day=1)))
    return pairs


def _update_value(name: str, value):
    """A value as an UPDATE's parameter wants it (the text forms suit COPY and executemany)."""
    if name == "staff_id":
        return int(value)
    if name == "date":
        return datetime.date.fromisoformat(value)
    return value


def _flag_dates(rows: Rows, dates: pd.Series, context: ImportContext) -> None:
    today = context.today
    future = map_unique(dates, lambda day: day > today).eq(True)
    if future.any():
        rows.flag(
            future,
            "date",
            map_unique(
                dates[future],
                lambda day: (
                    _("%(day)s 晚于今天（%(today)s）；记录的日期不能在将来")
                    % {"day": day.isoformat(), "today": today.isoformat()}
                ),
            ),
        )
    locked = context.locked_months
    if locked:
        months = map_unique(dates, lambda day: day.replace(day=1))
        in_lock = months.isin(locked)
        rows.flag(in_lock, "date", map_unique(months[in_lock], finalized_message))


def _staff_ids(rows: Rows, employee_nos: pd.Series) -> pd.Series:
    """Staff ids by employee number (float with NaN for unknown ones, which are flagged)."""
    ids = staff_ids_by_employee_no(employee_nos=employee_nos.dropna().unique().tolist())
    staff_ids = employee_nos.map(ids)
    unknown = employee_nos.notna() & staff_ids.isna()
    if unknown.any():
        rows.flag(
            unknown,
            "employee_no",
            fill(_("未知员工 %(value)s（请先导入员工文件，或更正员工编号）"), employee_nos[unknown]),
        )
    return staff_ids


def _stored_slices(model: type[Record], refs: pd.Series, names: list[str]) -> Iterator[pd.DataFrame]:
    """The stored records among `refs`, in canonical form (the form `content` has), a slice at
    a time, so that a re-import of a million rows never holds them all twice.

    The refs go into a temporary table joined to the records, so a million refs cost one
    COPY (or executemany) and one query rather than a query per row or a giant IN list."""
    if not len(refs) or not model.objects.exists():
        return
    quote = connection.ops.quote_name
    columns = ["id", "ref", *names]
    selected = ", ".join(
        f"s.{quote('employee_no')}" if name == "staff" else f"r.{quote(model._meta.get_field(name).column)}"
        for name in columns
    )
    canonical = {name: _canonical_of(model, name) for name in names if name != "staff"}
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE {REFS_TABLE} (ref varchar(64) NOT NULL)")
        try:
            insert_rows(table=REFS_TABLE, columns={"ref": refs.tolist()})
            if connection.vendor == "postgresql":
                cursor.execute(f"ANALYZE {REFS_TABLE}")
            cursor.execute(
                f"SELECT {selected} FROM {quote(model._meta.db_table)} r "
                f"JOIN {REFS_TABLE} t ON t.ref = r.ref "
                f"JOIN {quote(Staff._meta.db_table)} s ON s.id = r.staff_id"
            )
            while found := cursor.fetchmany(STORED_SLICE):
                stored = pd.DataFrame(found, columns=columns, dtype=object)
                for name, function in canonical.items():
                    stored[name] = map_unique(stored[name], function)
                yield stored
        finally:
            cursor.execute(f"DROP TABLE {REFS_TABLE}")


REFS_TABLE = "lobbystar_import_refs"
STORED_SLICE = 100_000


def _canonical_of(model: type[Record], name: str) -> Callable:
    """What a stored value looks like in the file's canonical form, whatever the driver gives
    (SQLite hands decimals back as floats)."""
    internal_type = model._meta.get_field(name).get_internal_type()
    if internal_type == "DecimalField":
        places = model._meta.get_field(name).decimal_places
        return lambda value: f"{Decimal(repr(value)) if isinstance(value, float) else Decimal(value):.{places}f}"
    if internal_type == "DateField":
        return lambda value: value[:10] if isinstance(value, str) else value.isoformat()
    if internal_type == "BooleanField":
        return bool
    return lambda value: value


def _differences(content: dict[str, pd.Series], stored: pd.DataFrame, positions: np.ndarray) -> dict:
    """For each field, which stored records differ from their row in the file."""
    differences = {}
    for name, values in content.items():
        new = values.to_numpy(dtype=object)[positions]
        old = stored[name].to_numpy(dtype=object)
        old = np.where(pd.isna(old), None, old)
        new = np.where(pd.isna(new), None, new)
        differences[name] = np.asarray(new != old, dtype=bool)
    return differences


def _shown(value) -> str:
    return _("（空）") if value is None or value == "" else str(value)


def _different_content_message(ref: str, fields: dict, label: Callable[[str], str]) -> str:
    """Names each differing column as the file named it (`label`)."""
    parts = [
        _("%(column)s 有变化") % {"column": label(_COLUMN_OF_FIELD.get(name, name))}
        if name in _HIDDEN
        else f"{label(_COLUMN_OF_FIELD.get(name, name))} {_shown(old)}→{_shown(new)}"
        for name, (old, new) in fields.items()
    ]
    return _("流水号 %(ref)s 已存有不同的内容：%(changes)s；如要修改，请用更新模式（--update）") % {
        "ref": ref,
        "changes": _("，").join(parts),
    }


# ─── the four kinds ───────────────────────────────────────────────────────────────────────


def customer_hashes(rows: Rows) -> pd.Series:
    """Customer references become keyed hashes here; the clear text goes no further. Each
    distinct customer is hashed once."""
    references = rows.value("customer_ref")
    codes, uniques = pd.factorize(references, sort=False)
    hashes = np.empty(len(uniques) + 1, dtype=object)
    hashes[:-1] = customer_hashes_of(uniques.tolist(), key=settings.CUSTOMER_REF_KEY)
    hashes[-1] = None  # code -1: a missing reference
    return pd.Series(hashes[codes], index=references.index)


def _optional_text(rows: Rows, name: str) -> pd.Series:
    return or_default(rows.value(name), "")


def _accounts(rows: Rows) -> dict[str, pd.Series]:
    return {
        "customer_hash": customer_hashes(rows),
        "account_type": _optional_text(rows, "account_type"),
        "avg_assets": rows.value("avg_assets"),
    }


def _deposits(rows: Rows) -> dict[str, pd.Series]:
    return {
        "customer_hash": customer_hashes(rows),
        "amount": rows.value("amount"),
        "product": _optional_text(rows, "product"),
    }


def _ebanking(rows: Rows) -> dict[str, pd.Series]:
    return {
        "customer_hash": customer_hashes(rows),
        "product": rows.value("product"),
        "activated": rows.value("activated"),
    }


def _feedback(rows: Rows) -> dict[str, pd.Series]:
    kinds = rows.value("kind")
    ratings = rows.value("rating")
    scores = rows.value("score")
    # A missing value only counts as missing when the cell is empty, not when it was bad.
    rows.flag(
        (kinds == FeedbackKind.RATING) & (rows.text("rating") == ""),
        "rating",
        _("为空；%(kind)s为“评价”（rating）时必须填写 1–5 的评分") % {"kind": rows.label("kind")},
    )
    rows.flag(
        (kinds == FeedbackKind.INSPECTION) & (rows.text("score") == ""),
        "score",
        _("为空；%(kind)s为“暗访”（inspection）时必须填写 0–100 的得分") % {"kind": rows.label("kind")},
    )
    return {
        "channel": rows.value("channel"),
        "kind": kinds,
        "rating": ratings,
        "score": scores,
        "upheld": or_default(rows.value("upheld"), False),
        "severity": or_default(rows.value("severity"), Severity.NORMAL.value),
        "text": _optional_text(rows, "text"),
    }


RECORD_KINDS = (
    RecordKind(
        name="accounts",
        label=gettext_lazy("开户"),
        model=AccountOpening,
        columns=(
            CUSTOMER_COLUMN,
            Column("account_type", "账户类型", Text(50)),
            Column("avg_assets", "日均资产", Amount(), required=True),
        ),
        content=_accounts,
    ),
    RecordKind(
        name="deposits",
        label=gettext_lazy("存款"),
        model=Deposit,
        columns=(
            CUSTOMER_COLUMN,
            Column("amount", "金额", Amount(), required=True),
            Column("product", "产品", Text(50)),
        ),
        content=_deposits,
    ),
    RecordKind(
        name="ebanking",
        label=gettext_lazy("电子银行"),
        model=EbankingSale,
        columns=(
            CUSTOMER_COLUMN,
            Column("product", "产品", Choice(EbankingProduct), required=True),
            Column("activated", "是否激活", Boolean(), required=True),
        ),
        content=_ebanking,
    ),
    RecordKind(
        name="feedback",
        label=gettext_lazy("客户反馈"),
        model=Feedback,
        columns=(
            Column("channel", "渠道", Choice(Channel), required=True),
            Column("kind", "类型", Choice(FeedbackKind), required=True),
            Column("rating", "评分", WholeNumber(1, 5)),
            Column("score", "得分", Number(0, 100, places=2)),
            Column("upheld", "是否属实", Boolean()),
            Column("severity", "严重程度", Choice(Severity)),
            Column("text", "内容"),
        ),
        content=_feedback,
    ),
)


def register_kinds() -> None:
    """Adds the four kinds of record to the kinds of import file (from MetricsConfig.ready)."""
    for record_kind in RECORD_KINDS:
        register(record_kind.spec())
