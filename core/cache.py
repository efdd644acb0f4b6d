"""What only a month's (re)computation changes, kept in Django's cache.

A month's scorecards are written by computing it and by nothing else (`period_compute` deletes
and inserts them; voiding deletes them): so anything read from them alone — the dashboard's
counts, which sub-branches must sign off, how many rows a filter keeps — is the same for as long
as the month's computation time is. Keyed by that time (read in the request anyway), an entry can
never be stale: a recomputation makes a new key and the old one expires unread.
"""

import hashlib
from collections.abc import Callable
from typing import Any

from django.core.cache import cache

SECONDS = 3600


def version_cached(version: tuple | None, name: str, build: Callable[[], Any], *parts: Any) -> Any:
    """`build()`, kept under (`name`, `version`, `parts`); built every time when `version` is None
    (nothing computed yet: nothing to keep)."""
    if version is None:
        return build()
    digest = hashlib.sha256(repr((version, parts)).encode()).hexdigest()[:40]
    key = f"lobbystar:{name}:{digest}"
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, SECONDS)
    return value
