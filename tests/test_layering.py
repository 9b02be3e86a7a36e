"""The code's shape, checked: views change nothing themselves, and core knows no domain app.

Every change a user can make is one function in its app's ``actions.py`` (atomic, writing its own
audit row); views, commands and the API call those.  A view that saves a model, writes an audit row
or builds its own queryset fails here, with the file and line."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WAYPOINT = ROOT / "waypoint"
PLATFORM = {"core", "envconf"}  # what core may import from waypoint: itself and the env helpers

WRITES = {
    "save", "create", "update", "delete", "update_or_create", "get_or_create", "bulk_create", "bulk_update",
    "save_m2m", "select_for_update",
}  # fmt: skip
AUDIT_WRITES = {"record", "record_for", "record_by"}


def view_modules() -> list[Path]:
    found = [*WAYPOINT.glob("*/views.py"), *WAYPOINT.glob("*/views/*.py"), *WAYPOINT.glob("*/*_views.py")]
    return sorted(path for path in found if path.name != "__init__.py" or path.stat().st_size)


def command_modules() -> list[Path]:
    return sorted(p for p in WAYPOINT.glob("*/management/commands/*.py") if not p.is_relative_to(WAYPOINT / "core"))


def _offences(path: Path, *, querysets: bool) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = node.func.value
            if name in WRITES:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} calls .{name}()")
            if name in AUDIT_WRITES and isinstance(owner, ast.Name) and owner.id == "audit":
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} writes an audit row")
        if querysets and isinstance(node, ast.Attribute) and node.attr == "objects":
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} builds its own queryset (.objects)")
    return found


def test_there_are_views_to_check() -> None:
    assert len(view_modules()) >= 8


def test_no_view_writes_a_model_or_an_audit_row_or_builds_a_queryset() -> None:
    offences = [line for path in view_modules() for line in _offences(path, querysets=True)]
    assert offences == []


def test_commands_change_records_through_actions() -> None:
    offences = [line for path in command_modules() for line in _offences(path, querysets=False)]
    assert offences == []


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append((node.lineno, node.module))
    return names


def test_core_imports_no_domain_app() -> None:
    offences = []
    for path in sorted((WAYPOINT / "core").rglob("*.py")):
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] == "waypoint" and len(parts) > 1 and parts[1] not in PLATFORM:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offences == []


def test_people_does_not_import_the_apps_that_add_to_a_record() -> None:
    """Encounters, plans, contact rules, printing and services register their part of a record;
    people iterates what is registered."""
    others = {"encounters", "plans", "contact", "printing", "referrals"}
    offences = []
    for path in sorted((WAYPOINT / "people").rglob("*.py")):
        for line, module in _imports(path):
            parts = module.split(".")
            if parts[0] == "waypoint" and len(parts) > 1 and parts[1] in others:
                offences.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offences == []
