"""PDFs rendered on the server with WeasyPrint, from our own templates.

Defends against: identifying metadata (title is neutral, no author, no producer, no dates);
fetching anything while rendering (the URL fetcher refuses every URL, so user text can never make
the server fetch a resource, and the templates inline their own styles); markup in user text (the
templates autoescape it, and WeasyPrint runs no scripts); everyone waiting on the database while a
long plan renders (rendering refuses to start inside a transaction: the print's gate check and
audit row commit first, in ``waypoint.printing.actions.print_paper``).

Does not defend against: what happens to the paper or the downloaded file on the device; the
print screen tells the provider to delete downloads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _


class PrintingUnavailable(Exception):
    """WeasyPrint or its system libraries (Pango) are missing on this server."""


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango not installed
        raise PrintingUnavailable(str(error)) from error
    return weasyprint


def available() -> bool:
    """Whether this server can make PDFs (WeasyPrint and Pango are installed)."""
    try:
        _weasyprint()
    except PrintingUnavailable:
        return False
    return True


def in_transaction() -> bool:
    """Whether a database transaction is open here.  The one a test case wraps around each test
    does not count: Django marks it, and the code under test runs as if at the top level."""
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def _refusing_fetcher(weasyprint: Any) -> Any:
    class RefuseAll(weasyprint.urls.URLFetcher):  # type: ignore[misc, name-defined]
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise weasyprint.urls.FatalURLFetchingError(f"Printing fetches nothing (asked for {url[:40]!r})")

    return RefuseAll()


def _neutral_metadata(document: Any, pdf: Any) -> None:
    for key in ("Producer", "Creator", "Author", "Subject", "Keywords", "CreationDate", "ModDate"):
        pdf.info.pop(key, None)


def _document(template: str, context: dict[str, Any], language: str) -> Any:
    assert not in_transaction(), "PDFs render outside any transaction"
    weasyprint = _weasyprint()
    with translation.override(language):
        html = render_to_string(template, {**context, "language": language})
        title = _("Notes")
    document = weasyprint.HTML(string=html, url_fetcher=_refusing_fetcher(weasyprint)).render()
    metadata = document.metadata
    metadata.title = title
    metadata.authors = []
    metadata.description = metadata.generator = metadata.created = metadata.modified = None
    metadata.keywords = []
    return document


def render_pdf(template: str, context: dict[str, Any], language: str) -> bytes:
    return bytes(_document(template, context, language).write_pdf(finisher=_neutral_metadata))


def render_one_page_pdf(template: str, contexts: Sequence[dict[str, Any]], language: str) -> bytes:
    """The first of ``contexts`` (a sign at smaller and smaller type) that fits one page; the last
    one if none does."""
    assert contexts, "at least one context"
    for context in contexts:
        document = _document(template, context, language)
        if len(document.pages) == 1:
            break
    return bytes(document.write_pdf(finisher=_neutral_metadata))
