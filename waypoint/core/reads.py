"""The one way a page with record data is sent: ``show`` writes its read audit row first.

Defends against: a page (error re-renders included: a 400 after bad input, a 409 conflict) that
shows a record without "who viewed" knowing.  The row is written in its own short transaction
before the page is built, so a read page holds the write lock only for that row; if the write
fails, the exception stops the response and no record data is sent.

Does not defend against: a view that renders record data with ``TemplateResponse`` directly; the
read-audit sweep (tests/test_read_audit.py) sends every GET and invalid POST of every record page
and fails when a response with record data wrote no read row, or more than one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.response import TemplateResponse

from waypoint.core import audit


def show(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    event: str,
    obj: Any = None,
    object_type: str = "",
    status: int = 200,
    count: int | None = None,
) -> TemplateResponse:
    """Record that ``obj`` was shown to the signed-in user (event ``event``; ``count``, when given, is
    how many rows the page lists, such as a search's results), then return the page."""
    assert event in audit.read_events(), f"{event} is not declared as a read event"
    audit.record_for(request, event, obj, object_type, count=count)
    return TemplateResponse(request, template, context, status=status)
