"""English is complete: every message of the catalogue has an English text, none is a guess."""

import shutil
import subprocess
import unittest
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase
from django.utils import translation

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


@unittest.skipUnless(shutil.which("msgfmt"), "gettext is not installed")
class EnglishCatalogueTests(SimpleTestCase):
    def test_no_message_is_untranslated_or_fuzzy(self):
        stats = subprocess.run(
            ["msgfmt", "--statistics", "--check-format", "-o", "/dev/null", str(CATALOGUE)],
            capture_output=True,
            text=True,
            check=True,
        ).stderr
        self.assertNotIn("untranslated", stats)
        self.assertNotIn("fuzzy", stats)

    def test_the_console_speaks_english_when_asked(self):
        with translation.override("en"):
            self.assertEqual(translation.gettext("末位预警"), "Bottom flag")
