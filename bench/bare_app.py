"""The ceiling for the load test: the smallest Django project that answers HTTP.

One URL returning ``HttpResponse("ok")``: no database, no middleware, no templates.  bench/run.py
serves it with gunicorn using the same worker/thread settings as Waypoint, on another port, in the
same run, so "waypoint rps / bare rps" tells how much of the machine the app itself uses.

Serve by hand with:  .venv/bin/python -m gunicorn --pythonpath bench bare_app:application
"""

from __future__ import annotations

import django
from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.http import HttpRequest, HttpResponse
from django.urls import path


def ok(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-bare-app-not-a-secret-0123456789-abcdefghijklmnopqrstuvwxyz",
        ALLOWED_HOSTS=["127.0.0.1", "localhost"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
        USE_I18N=False,
        LOGGING_CONFIG=None,
    )
    django.setup()

urlpatterns = [path("", ok)]

application = get_wsgi_application()
