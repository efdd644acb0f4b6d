"""Bulk SQL: writing and updating many rows at once, slicing long `__in` look-ups, and cursors
that bind their parameters on the server."""

import functools
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from hashlib import blake2b
from itertools import count, repeat

import numpy as np
import pandas as pd
from django.db import connection, models


def in_size() -> int:
    """How many values one `__in` look-up may carry: old SQLite allows 999 parameters."""
    if connection.vendor == "sqlite" and sqlite3.sqlite_version_info < (3, 32):
        return 900
    return 5000


def chunks(values: Iterable, size: int | None = None) -> Iterable[Sequence]:
    """Slices for `__in` look-ups, so a big file never makes one query per row nor one huge query."""
    values = values if isinstance(values, Sequence) else list(values)
    size = size or in_size()
    for start in range(0, len(values), size):
        yield values[start : start + size]


def insert_rows(*, table: str, columns: dict[str, Sequence], texts: dict[str, list[str]] | None = None) -> None:
    """Inserts many rows at once, given column by column (database column names): COPY on
    PostgreSQL, executemany elsewhere. Values must be ready for the database: dates as ISO
    text, decimals as text, plain Python ints and bools, None for NULL. `texts`, when the caller
    has them already, are the columns' COPY texts (`_copy_texts`), used on PostgreSQL."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    count = len(next(iter(columns.values()), ()))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Writing COPY's text format ourselves, a block at a time, is several times
            # faster than psycopg's write_row() for each row; the queued writer sends one
            # block from a thread while the next is being formatted. Each column becomes its
            # texts once, and the rows are joined in C (map of "\t".join over zip), which is
            # 2–3 times quicker than pandas' str.cat.
            from psycopg.copy import QueuedLibpqWriter

            raw = cursor.cursor
            # The raw cursor raises psycopg's own errors: wrapped, a duplicate key is Django's
            # IntegrityError, which the import answers as "nothing was written; try again".
            with (
                connection.wrap_database_errors,
                raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy,
            ):
                for start in range(0, count, COPY_BLOCK):
                    block = (
                        [texts[name][start : start + COPY_BLOCK] for name in columns]
                        if texts is not None
                        else [_copy_texts(values[start : start + COPY_BLOCK]) for values in columns.values()]
                    )
                    copy.write(("\n".join(map("\t".join, zip(*block, strict=True))) + "\n").encode())
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})",
                zip(*columns.values(), strict=True),
            )


def model_columns(model: type[models.Model], values: dict[str, Sequence]) -> dict[str, Sequence]:
    """`values` by model field name → by database column name, for `insert_rows`."""
    return {model._meta.get_field(name).column: column for name, column in values.items()}


COPY_BLOCK = 100_000
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _copy_texts(values: Sequence) -> list[str]:
    """One column of a COPY block in PostgreSQL's text format: \\N for NULL, t/f, escapes."""
    values = values.tolist() if isinstance(values, (np.ndarray, pd.Series)) else list(values)
    missing = pd.isna(np.asarray(values, dtype=object))
    first = next((value for value, gone in zip(values, missing.tolist(), strict=True) if not gone), None)
    if isinstance(first, bool):
        texts = ["t" if value else "f" for value in values]
    elif isinstance(first, str) and not missing.any() and set(map(type, values)) == {str}:  # the test in C
        texts = values
    else:
        texts = [str(value) for value in values]
    if isinstance(first, str) or first is None:
        joined = "".join(texts)  # one pass in C, far quicker than a search in every text
        if any(special in joined for special in _COPY_ESCAPES):
            texts = [_escaped(text) for text in texts]
    if missing.any():
        texts = ["\\N" if gone else text for text, gone in zip(texts, missing.tolist(), strict=True)]
    return texts


def _escaped(text: str) -> str:
    for raw, escaped in _COPY_ESCAPES.items():
        if raw in text:
            text = text.replace(raw, escaped)
    return text


def update_rows(*, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """Updates many rows by primary key: each row is the new values of `fields`, then the pk."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def json_numbers(values: pd.Series) -> np.ndarray:
    """Each value as the JSON text `json.dumps` writes for it as a plain number: a whole number
    as an int, another rounded to 4 decimals (Python's `round`), NaN/None as null. An array of
    str, one per value.

    Column-wise: each distinct value is formatted once (`pd.factorize`), whole numbers by numpy,
    the others by `round` and `repr` mapped over a list, `json.dumps` only for infinities."""
    codes, uniques = pd.factorize(pd.Series(values).reset_index(drop=True), use_na_sentinel=True)
    texts = np.empty(len(uniques) + 1, dtype=object)
    texts[-1] = "null"
    numbers = uniques.to_numpy()
    if numbers.dtype.kind in "iub":
        texts[:-1] = numbers.astype("int64").astype(str)
    elif numbers.dtype.kind == "f":
        whole = np.isfinite(numbers) & (numbers == np.floor(numbers)) & (np.abs(numbers) < 2**53)
        texts[:-1][whole] = numbers[whole].astype("int64").astype(str)
        fraction = np.isfinite(numbers) & ~whole & (np.abs(numbers) < 2**53)
        texts[:-1][fraction] = list(map(float.__repr__, map(round, numbers[fraction].tolist(), repeat(4))))
        others = ~whole & ~fraction
        texts[:-1][others] = [json.dumps(_plain_number(value)) for value in numbers[others].tolist()]
    else:
        texts[:-1] = [json.dumps(_plain_number(value)) for value in numbers.tolist()]
    return texts[codes]


def _plain_number(value):
    if pd.isna(value):
        return None
    number = float(value)
    return int(value) if number.is_integer() else round(number, 4)


def json_bools(values: pd.Series) -> np.ndarray:
    """Each value as JSON's true / false (its truth, as `bool()` sees it)."""
    return np.where(pd.Series(values).astype(bool).to_numpy(), "true", "false").astype(object)


def decimal_texts(values: pd.Series, places: int) -> np.ndarray:
    """Numbers as exact decimal text for the database, `f"{value:.{places}f}"`, None for NaN;
    each distinct value formatted once."""
    series = pd.Series(values).reset_index(drop=True)
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    shape = f".{places}f"
    texts = np.asarray([*map(format, uniques.tolist(), repeat(shape)), None], dtype=object)[codes]
    if pd.api.types.is_float_dtype(series.dtype):
        # factorize takes -0.0 for 0.0; the text of each keeps its sign, as formatting it would.
        numbers = series.to_numpy()
        texts[(numbers == 0) & np.signbit(numbers)] = format(-0.0, shape)
        texts[(numbers == 0) & ~np.signbit(numbers)] = format(0.0, shape)
    return texts


def json_texts(template: str, columns: Sequence[np.ndarray]) -> list[str]:
    """One text per row: `template` (a %-format, `%s` for each column) filled with the row's
    texts of `columns` — rows of JSON written by one formatting each, not by `json.dumps`."""
    return [template % row for row in zip(*columns, strict=True)]


@dataclass(frozen=True)
class SyncCounts:
    inserted: int
    updated: int
    deleted: int
    unchanged: int


_sync_tables = count()


def _row_digests(texts: Sequence[list[str]]) -> list[str]:
    """A digest of each row, given its columns' COPY texts: 32 hex digits of BLAKE2b."""
    return [blake2b(row.encode(), digest_size=16).hexdigest() for row in map("\x1f".join, zip(*texts, strict=True))]


def sync_rows(
    *,
    table: str,
    columns: dict[str, Sequence],
    key: str,
    scope: dict[str, object],
    digest: str,
    volatile: Sequence[str] = (),
) -> SyncCounts:
    """Makes the rows of `table` that match `scope` exactly the given rows (columns as for
    `insert_rows`, with the `scope` columns; `key` tells the rows apart within the scope),
    writing only what differs: new keys are inserted, keys no longer given deleted, and a row
    whose values changed is updated in place. `digest` names the column that keeps a digest of
    each row's values (of their COPY texts), written here; `volatile` columns (a computation's time,
    say) are written with a row that changes but do not make it change. Must run inside a
    transaction.

    Rewriting a month's 20,000 scorecards by delete and insert cost the database the foreign-key
    checks and the indexes of every row at every computation, when a recomputation mostly
    changes some peer groups' rows, or none: the stored digests (one narrow read) say which.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("sync_rows() must run inside a transaction")
    quote = connection.ops.quote_name
    compared = [name for name in columns if name not in volatile and name != key and name not in scope]
    # Each column's texts are made once: for the digests, and for the COPY of the rows written.
    texts = {name: _copy_texts(values) for name, values in columns.items()}
    digests = _row_digests([texts[name] for name in compared])
    columns, texts = {**columns, digest: digests}, {**texts, digest: digests}
    keys = list(columns[key])
    target = quote(table)
    in_scope = " AND ".join(f"{quote(name)} = %s" for name in scope)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(key)}, {quote(digest)} FROM {target} WHERE {in_scope}", list(scope.values()))
        stored = dict(cursor.fetchall())
        given = set(keys)
        gone = [stored_key for stored_key in stored if stored_key not in given]
        for part in chunks(gone):
            cursor.execute(
                f"DELETE FROM {target} WHERE {in_scope} AND {quote(key)} IN ({', '.join(['%s'] * len(part))})",
                [*scope.values(), *part],
            )
        new = [i for i, row_key in enumerate(keys) if row_key not in stored]
        changed = [i for i, row_key in enumerate(keys) if row_key in stored and stored[row_key] != digests[i]]
        if new:
            insert_rows(table=table, columns=_rows_at(columns, new), texts=_rows_at(texts, new))
        if changed:
            _update_rows_from(
                cursor,
                table=table,
                columns=_rows_at(columns, changed),
                texts=_rows_at(texts, changed),
                key=key,
                scope=scope,
            )
    return SyncCounts(
        inserted=len(new), updated=len(changed), deleted=len(gone), unchanged=len(keys) - len(new) - len(changed)
    )


def _rows_at(columns: dict[str, Sequence], positions: list[int]) -> dict[str, list]:
    if len(positions) == len(next(iter(columns.values()), ())):
        return columns
    return {name: [values[i] for i in positions] for name, values in columns.items()}


def _update_rows_from(
    cursor, *, table: str, columns: dict[str, Sequence], texts: dict[str, list[str]], key: str, scope: dict
) -> None:
    """Updates the rows of `table` whose `key` (within `scope`) is given to the given values:
    through a temporary table with no index, constraint or log (COPY on PostgreSQL), and one
    UPDATE … FROM."""
    quote = connection.ops.quote_name
    name = f"lobbystar_sync_{next(_sync_tables)}"
    temporary, target = quote(name), quote(table)
    column_list = ", ".join(quote(column) for column in columns)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {temporary} AS SELECT {column_list} FROM {target} WHERE 1 = 0"
        + (" WITH NO DATA" if connection.vendor == "postgresql" else "")
    )
    insert_rows(table=name, columns=columns, texts=texts)
    if connection.vendor != "postgresql":
        # SQLite joins by nested loops: without an index each row would scan the table.
        cursor.execute(f"CREATE UNIQUE INDEX {quote(name + '_key')} ON {temporary} ({quote(key)})")
    assignments = ", ".join(f"{quote(column)} = n.{quote(column)}" for column in columns if column != key)
    in_scope = " AND ".join(f"{target}.{quote(column)} = %s" for column in scope)
    cursor.execute(
        f"UPDATE {target} SET {assignments} FROM {temporary} AS n"
        f" WHERE {in_scope} AND {target}.{quote(key)} = n.{quote(key)}",
        list(scope.values()),
    )
    # PostgreSQL drops it with a rolled-back transaction, SQLite with the connection; dropped
    # now, the name is free and nothing is held.
    cursor.execute(f"DROP TABLE {temporary}")


@functools.cache
def _prepared_cursor_class():
    import psycopg

    class PreparedCursor(psycopg.Cursor):
        """Binds its parameters on the server and prepares every statement it runs."""

        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

    return PreparedCursor


def server_bound_cursor(*, prepare: bool = False):
    """A cursor, wrapped and logged as Django's are, that binds its parameters on the server
    (PostgreSQL only): Django's own cursors spell every value into the statement's text, which
    for a statement with arrays of 8,000 values each was half its time. With `prepare`, each
    statement is also parsed and planned once per connection (connections persist:
    CONN_MAX_AGE) instead of on every run: Django's cursors never prepare."""
    import psycopg

    connection.ensure_connection()
    connection.validate_thread_sharing()
    if prepare and connection.connection.prepare_threshold is None:
        # Django turns psycopg's preparing off (None). Its own cursors bind on the client and
        # never prepare whatever this says, so a threshold never reached only lets a cursor that
        # asks for it (prepare=True) prepare.
        connection.connection.prepare_threshold = 2**31 - 1
    raw = (_prepared_cursor_class() if prepare else psycopg.Cursor)(connection.connection)
    return connection.make_debug_cursor(raw) if connection.queries_logged else connection.make_cursor(raw)
