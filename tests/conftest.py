import pytest


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Files written by a test (uploads, PDFs, exports) go to a folder of its own."""
    settings.MEDIA_ROOT = tmp_path / "media"
