"""Reading level of what the person reads or hears: printed plan (both layouts), wallet card,
memorise view, the person-facing titles, and Waypoint's own read-aloud scripts.  English aims at US
grade 6 (Flesch-Kincaid).  The safety-check questions are the guides' own words, kept verbatim by
design (issue 3), so they are measured and printed but not held to the bar."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation

from tests.readability import grade
from waypoint.content.models import ContentSet
from waypoint.content.source import CONTENT, IN_PERSON, PHONE, SCRIPTS
from waypoint.plans.spec import DOMAINS, ITEMS
from waypoint.printing.layout import HOTLINE_CALL, HOTLINE_TEXT

TARGET = 6.0
SAMPLE_STEPS = ["Keep my phone charged.", "Call Ana if I feel unsafe.", "Go to the library."]


def visible_text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>|<title>.*?</title>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", "\n", html))


def printed_pages() -> dict[str, str]:
    blocks = [{"title": d.plain, "now": SAMPLE_STEPS, "later": SAMPLE_STEPS} for d in DOMAINS]
    blocks += [{"title": i.plain, "lines": SAMPLE_STEPS} for i in ITEMS]
    discreet = [{**b, "title": d.discreet} for b, d in zip(blocks, DOMAINS, strict=False)] + blocks[len(DOMAINS) :]
    with translation.override("en"):
        return {
            "plan, plain": render_to_string(
                "printing/plan_pdf.html", {"blocks": blocks, "discreet": False, "org_name": "", "language": "en"}
            ),
            "plan, discreet": render_to_string(
                "printing/plan_pdf.html", {"blocks": discreet, "discreet": True, "org_name": "", "language": "en"}
            ),
            "wallet card": render_to_string(
                "printing/card_pdf.html",
                {"contacts": [{"name": "Ana", "number": "555"}], "call": HOTLINE_CALL, "text": HOTLINE_TEXT},
            ),
        }


def test_printed_material_reads_at_grade_six_or_below() -> None:
    grades = {name: grade(visible_text(html)) for name, html in printed_pages().items()}
    print("Flesch-Kincaid grade of printed material:", {k: round(v, 1) for k, v in grades.items()})
    assert all(value <= TARGET for value in grades.values()), grades


def test_person_facing_titles_read_at_grade_six_or_below() -> None:
    with translation.override("en"):
        titles = [str(d.plain) for d in DOMAINS] + [str(d.discreet) for d in DOMAINS] + [str(i.plain) for i in ITEMS]
    together = grade("\n".join(titles))  # a two-word title alone is too short for the formula
    print("Flesch-Kincaid grade of the person-facing titles:", round(together, 1))
    assert together <= TARGET


def test_read_aloud_scripts_read_at_grade_six_or_below(db: Any) -> None:
    """The scripts as shipped now (the newest default version in the database)."""
    current = ContentSet.current(None, SCRIPTS)  # type: ignore[arg-type]
    measured = {line.key: round(grade(line.text), 1) for line in current.lines("en")}
    questions = {key: round(grade(english), 1) for kind in (IN_PERSON, PHONE) for key, english, _es in CONTENT[kind]}
    print(f"Flesch-Kincaid grade of scripts (version {current.version}):", measured)
    print("Flesch-Kincaid grade of the guides' questions (verbatim, not held to the bar):", questions)
    assert len(measured) == len(CONTENT[SCRIPTS])
    assert all(value <= TARGET for value in measured.values()), measured


def test_the_grade_formula_tells_easy_from_hard() -> None:
    assert grade("Call Ana. Keep the phone on.") < 3
    assert grade("Confidentiality obligations necessitate comprehensive documentation procedures.") > 12
