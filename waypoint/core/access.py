"""Access decisions: every view declares a policy with ``@policy``; objects are fetched through one
access function per object type (for example ``waypoint.people.access.get_person``).

Defends against: a view that forgets its check (a test walks the URL conf and fails on any view
without a declared policy); existence leaks (outsiders and roles without access get 404, never 403);
unaudited denials (each refused object lookup is written to the audit trail in its own transaction
once the 404 is made, so nothing the request did can take it with it).

Does not defend against: a view that builds its own queryset instead of asking the access module;
``tests/test_layering.py`` (no ``.objects`` in any views module) and the cross-organisation sweep
are the guard there.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, NoReturn

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

ViewFunc = Callable[..., HttpResponse]


@dataclass(frozen=True)
class Policy:
    """Who may call a view.  ``public`` views need no sign-in; otherwise the user must be fully
    signed in (password and second factor) and hold one of ``roles`` (any role when empty).  Roles
    are the user model's role names; ``user.has_role(*roles)`` decides."""

    roles: frozenset[str]
    public: bool = False

    def allows(self, user: Any) -> bool:
        if self.public:
            return True
        if not user.is_authenticated:
            return False
        return not self.roles or user.has_role(*self.roles)


def policy(*roles: str, public: bool = False) -> Callable[[ViewFunc], ViewFunc]:
    declared = Policy(frozenset(roles), public)

    def decorate(view: ViewFunc) -> ViewFunc:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not declared.public:
                if not request.user.is_authenticated:
                    return redirect_to_login(request.get_full_path())
                if not declared.allows(request.user):
                    deny(request)
            return view(request, *args, **kwargs)

        wrapped.access_policy = declared  # type: ignore[attr-defined]
        return wrapped

    return decorate


def deny(request: HttpRequest, object_type: str = "", object_id: Any = None) -> NoReturn:
    """Refuse as if the thing did not exist, and queue an audit row, written once the 404 is made (by
    ``DeniedAccessAuditMiddleware``, in its own transaction, so no failed change can take it with it)."""
    pending: list[tuple[str, uuid.UUID | None]] = getattr(request, "wp_denials", [])
    parsed: uuid.UUID | None
    try:
        parsed = uuid.UUID(str(object_id)) if object_id is not None else None
    except ValueError:
        parsed = None
    pending.append((object_type, parsed))
    request.wp_denials = pending  # type: ignore[attr-defined]
    raise Http404()
