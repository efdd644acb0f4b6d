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
