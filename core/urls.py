"""Links the product prints or sends: always on SITE_URL (CONTRACT.md §6), never a guessed host."""

from django.conf import settings


def absolute_url(path: str) -> str:
    """`path` ("/months/2026-11/") on the address people reach the site at; a full URL as it is."""
    if "://" in path:
        return path
    site = settings.SITE_URL.rstrip("/")
    return f"{site}/{path.lstrip('/')}"
