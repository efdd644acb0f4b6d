"""The Celery app: `celery -A config worker`. Without CELERY_BROKER_URL tasks run eagerly."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("lobbystar")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
