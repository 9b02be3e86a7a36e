"""Redirect targets from user input: same-site paths only (``?next=//evil.example`` goes home)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, candidate: str | None, default: str = "/") -> str:
    if not candidate or not candidate.startswith("/") or candidate.startswith(("//", "/\\")):
        return default
    if not url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=False):
        return default
    return candidate
