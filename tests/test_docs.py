"""The README documents every environment variable the code reads."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
READERS = r"(?:env_str|env_bool|env_int|env_list|env_secret|os\.environ\.get|os\.getenv|os\.environ\[)"


def variables_read_by_code() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "waypoint").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(READERS + r"\(?\s*[\"']([A-Z][A-Z0-9_]+)[\"']", text):
            found.add(match.group(1))
            if "env_secret" in match.group(0):
                found.add(f"{match.group(1)}_FILE")
    return found - {"DJANGO_SETTINGS_MODULE"}


def test_every_environment_variable_is_in_the_readme_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", readme, re.M))
    read = variables_read_by_code()
    assert len(read) >= 15
    assert read - documented == set(), "undocumented"
    assert documented - read == set(), "documented but never read"


def test_quick_start_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_security_modules_open_with_their_threat_model() -> None:
    for module in ["core/crypto.py", "core/audit.py", "core/access.py", "orgs/auth.py", "core/concurrency.py"]:
        text = (ROOT / "waypoint" / module).read_text(encoding="utf-8")
        assert text.startswith('"""') and "Defends against" in text.split('"""')[1], module
