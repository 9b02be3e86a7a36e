"""Extension points: a core that knows no domain asks the apps what they add.

An app registers its part in its ``AppConfig.ready`` (as datasette plugins register actions); core
and ``people`` iterate what is registered and never import the apps that registered it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.http import HttpRequest

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, key: str, item: T) -> T:
        assert key not in self._items or self._items[key] == item, f"{self.name}: {key} registered twice"
        self._items[key] = item
        return item

    def __iter__(self) -> Iterator[T]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)


@dataclass(frozen=True)
class HomePanel:
    """A section of the signed-in home page: ``context(request)`` returns the panel's context, or
    None when the panel is not for this user; ``order`` places it on the page."""

    template: str
    order: int
    context: Callable[[HttpRequest], dict[str, Any] | None]


home_panels: Registry[HomePanel] = Registry("home panels")


@dataclass(frozen=True)
class SetupState:
    """Whether a set-up item is done, and who did it and when (as the app that owns it knows)."""

    done: bool
    by: str = ""
    at: datetime.datetime | None = None


@dataclass(frozen=True)
class SetupItem:
    """One thing an organisation administrator sets up before providers rely on it: ``label`` links
    to ``url_name``; ``state(request)`` says whether it is done.  The set-up list on the home page
    shows what is still to do first (in ``order``), then what is done, with who and when."""

    label: Any
    url_name: str
    order: int
    state: Callable[[HttpRequest], SetupState]


setup_items: Registry[SetupItem] = Registry("set-up items")
