import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Files written by a test (uploads, PDFs, exports) go to a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _jobs_inline(settings):
    """Without a broker the console runs a job in a process of its own, which cannot see a test's
    uncommitted data: tests run jobs in-process (tests/appraisals/test_jobs.py checks the spawn)."""
    settings.JOBS_WITHOUT_BROKER = "inline"


@pytest.fixture(autouse=True)
def _cache_cleared():
    """What one test kept in Django's cache (core.cache: a month's counts) is not another's: a
    rolled-back test's ids are used again by the next one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
