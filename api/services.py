"""Writes of the API: making and revoking clients, and importing a batch of rows sent as JSON
through the very same path as a file (`metrics.services.import_table`)."""

from __future__ import annotations

import hashlib
import ipaddress
import secrets

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiClient, Scope
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError
from core.imports.errors import FileRejected, RowError
from core.imports.files import Table
from core.imports.kinds import history_source
from metrics.models import ImportBatch
from metrics.services import ImportResult, import_table

MAX_ROWS = 10_000  # rows in one batch; a larger one is refused whole (413)


class ApiClientError(LobbyStarError):
    """A client cannot be made or revoked; the message says why."""


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _scopes(scopes) -> list[str]:
    if isinstance(scopes, str):
        scopes = scopes.split(",")
    wanted = [scope.strip() for scope in scopes if scope and scope.strip()]
    unknown = [scope for scope in wanted if scope not in Scope.values]
    if unknown or not wanted:
        raise ApiClientError(
            _("权限范围无效：%(scopes)s。可选：%(choices)s")
            % {"scopes": ", ".join(unknown) or "—", "choices": ", ".join(Scope.values)}
        )
    return [scope for scope in Scope.values if scope in wanted]


def _addresses(allow_from) -> list[str]:
    if isinstance(allow_from, str):
        allow_from = allow_from.replace("\n", ",").split(",")
    networks = []
    for text in allow_from or []:
        text = text.strip()
        if not text:
            continue
        try:
            networks.append(str(ipaddress.ip_network(text, strict=False)))
        except ValueError:
            raise ApiClientError(
                _("来源地址无效：%(address)s（应为 IP 地址或网段，如 10.1.0.0/16）") % {"address": text}
            )
    return networks


def api_client_create(*, name: str, scopes, allow_from=(), user=None) -> tuple[ApiClient, str]:
    """Makes a client and returns it with its token: shown this once, kept only as a hash."""
    name = (name or "").strip()
    if not name or len(name) > 60 or any(char.isspace() for char in name):
        raise ApiClientError(_("客户端名称必填，不超过 60 个字符，且不能含空格。"))
    if ApiClient.objects.filter(name=name).exists():
        raise ApiClientError(_("已有名为「%(name)s」的接口客户端。") % {"name": name})
    scopes, allowed = _scopes(scopes), _addresses(allow_from)
    token = secrets.token_urlsafe(32)  # 32 random bytes
    with transaction.atomic():
        client = ApiClient.objects.create(name=name, scopes=scopes, allowed_from=allowed, token_hash=token_hash(token))
        change_record(
            obj=client,
            action=Change.Action.CREATE,
            user=user,
            source="api_client_create",
            fields={
                "name": [None, name],
                "scopes": [None, ",".join(scopes)],
                "allowed_from": [None, ",".join(allowed)],
            },
        )
    return client, token


def api_client_revoke(*, client: ApiClient, user=None) -> ApiClient:
    """Stops a client for good: its token answers 401 from the next request on."""
    now = timezone.now()
    with transaction.atomic():
        if ApiClient.objects.filter(pk=client.pk, revoked_at__isnull=True).update(revoked_at=now) != 1:
            raise ApiClientError(_("接口客户端「%(name)s」已停用。") % {"name": client.name})
        client.revoked_at = now
        change_record(
            obj=client,
            action=Change.Action.TRANSITION,
            user=user,
            source="api_client_revoke",
            fields={"revoked_at": [None, now.isoformat()]},
        )
    return client


def api_client_touch(*, client: ApiClient) -> None:
    """Notes when a client was last seen, at most once a minute so reads stay cheap."""
    now = timezone.now()
    if client.last_used_at is None or (now - client.last_used_at).total_seconds() >= 60:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


# ─── a batch of rows ──────────────────────────────────────────────────────────────────────


class BatchRefused(LobbyStarError):
    """The body is not a batch of rows at all: nothing was imported, nothing was recorded."""

    def __init__(self, message: str, *, status: int = 400):
        super().__init__(message)
        self.status = status


def _cell(value) -> str | None:
    """A JSON value as the text a file would hold; None for a value no file could hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return None


def storable(text: str) -> bool:
    """Text PostgreSQL can store: no NUL, no lone surrogate (which JSON allows and UTF-8 does not)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def table_from_rows(rows: list) -> Table | FileRejected:
    """The rows as a file would give them: the header is every key in the order first seen,
    every cell text (numbers as written, booleans true/false, null empty). Row N of the
    batch is "row N+1" of this table, as if a header stood above it."""
    table = _table_by_columns(rows)
    if table is not None:
        return table
    header: dict[str, None] = {}
    bad: list[RowError] = []
    for number, row in enumerate(rows, start=2):
        if not isinstance(row, dict):
            bad.append(RowError(number, "-", _("每一行应为 {列名: 值} 形式的对象")))
            continue
        for key, value in row.items():
            if not storable(key) or (isinstance(value, str) and not storable(value)):
                # Not quoted back: text a database cannot hold cannot be kept in the batch's errors either.
                bad.append(RowError(number, "-", _("列名或值中含有 NUL 字符或损坏的 Unicode 字符")))
                continue
            header.setdefault(key, None)
            if _cell(value) is None:
                bad.append(RowError(number, key, _("值应为文本、数字、true/false 或 null")))
    if bad:
        return FileRejected(bad)
    names = list(header)
    cells = pd.DataFrame(
        [[_cell(row.get(name)) for name in names] for row in rows], columns=range(len(names)), dtype=object
    )
    return Table(names, cells.fillna(""), np.arange(2, len(rows) + 2))


def _table_by_columns(rows: list) -> Table | None:
    """The usual batch — objects whose names and values are all storable texts, numbers,
    booleans or nulls — read a column at a time, each column's texts checked at once; None for
    any other batch, which `table_from_rows` then reads row by row to name each bad row."""
    if not all(type(row) is dict for row in rows):
        return None
    names = list(dict.fromkeys(key for row in rows for key in row))
    if not names or not storable("".join(names)):
        return None
    columns = {}
    for place, name in enumerate(names):
        values = [row.get(name) for row in rows]
        if all(type(value) is str for value in values):
            texts = values
        else:
            texts = [_cell(value) for value in values]
            if any(text is None for text in texts):
                return None
        if not storable("".join(value for value in values if type(value) is str)):
            return None
        columns[place] = texts
    return Table(names, pd.DataFrame(columns, dtype=object), np.arange(2, len(rows) + 2))


def batch_import(*, client: ApiClient, kind: str, body, dry_run: bool = False, update: bool = False) -> ImportResult:
    """Imports the batch `{"rows": [...]}` whole or not at all, as the client's own import."""
    rows = body.get("rows") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        raise BatchRefused(_('请求体应为 {"rows": [{列名: 值, …}, …]}。'))
    if not rows:
        raise BatchRefused(_("rows 为空：一批至少一行。"))
    if len(rows) > MAX_ROWS:
        raise BatchRefused(
            _("一批最多 %(limit)s 行，这一批有 %(count)s 行；请分批发送。")
            % {"limit": f"{MAX_ROWS:,}", "count": f"{len(rows):,}"},
            status=413,
        )
    sha256 = hashlib.sha256(repr(rows).encode("utf-8")).hexdigest()
    result = import_table(
        kind, table_from_rows(rows), filename=client.source, sha256=sha256, dry_run=dry_run, update=update
    )
    if result.ok and not dry_run and (result.created or result.updated):
        # The history names the client for every batch that wrote something, new records included
        # (an --update also records each changed record, under the same source).
        batch = ImportBatch.objects.get(pk=result.batch_id)
        change_record(
            obj=batch,
            action=Change.Action.CREATE,
            source=history_source(batch),
            reason=kind,
            fields={"created": [None, result.created], "updated": [None, result.updated]},
        )
    return result
