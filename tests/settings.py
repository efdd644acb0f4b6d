"""The test run's settings: the project's own, read as in development.

Outside development `config.settings` refuses to start without the bank's own keys (CONTRACT.md
§6). The test run, and the commands and workers it starts, are development: DEBUG defaults to
true here (pytest-django still runs the tests themselves with DEBUG off). A test of production
start-up sets DEBUG=false itself, in a subprocess.
"""

import os

os.environ.setdefault("DEBUG", "true")

from config.settings import *  # noqa: F403
