"""Walk the URL conf: every pattern with its name, route and view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def walk(patterns: list[Any] | None = None, namespace: str = "", prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from walk(entry.url_patterns, ns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.callback


def all_patterns() -> dict[str, tuple[str, Any]]:
    return {name: (route, view) for name, route, view in walk()}
