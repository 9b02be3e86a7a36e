"""The directory as CSV: export (formula injection neutralised) and import (checked whole before
anything is saved).

Defends against: a cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, a
tab or a carriage return first).  The export prefixes such a cell with a single quote, which the
spreadsheet shows as text; the import refuses such a cell with its row and column, except a phone
or text number like ``+1 (555) 010-0100``, and a cell our own export marked with the quote (the
quote is removed, so an export re-imports as it was).  An import larger than 1 MB or 2,000 rows,
not UTF-8, or with any row that the listing form refuses, imports nothing and says why.

Does not defend against: what a spreadsheet does with a file edited there and saved in another
format; the import then refuses it."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from waypoint.referrals.forms.directory import DirectoryEntryForm, fold
from waypoint.referrals.models import DirectoryEntry, Population, ServiceKind

COLUMNS = [
    "name", "services", "populations", "languages", "hours", "warm_transfer", "phone", "text_number", "email",
    "website", "address", "how_to_reach", "last_verified_on",
]  # fmt: skip
LIST_COLUMNS = {"services", "populations", "languages"}
NUMBER_COLUMNS = {"phone", "text_number"}
MAX_BYTES = 1024 * 1024
MAX_ROWS = 2000
MAX_ERRORS = 20
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PHONE_NUMBER = re.compile(r"^[+-]?[0-9 ().\-]+$")
BOM = "\ufeff"
YES = {"yes", "y", "true", "1", "si", "x"}
NO = {"no", "n", "false", "0", ""}


def neutralise(value: str) -> str:
    """A cell as written to the CSV: a spreadsheet never runs it as a formula."""
    return f"'{value}" if value.lstrip(" ").startswith(FORMULA_START) else value


def _cells(entry: DirectoryEntry) -> list[str]:
    day = entry.last_verified_on.isoformat() if entry.last_verified_on else ""
    values = {
        "services": ", ".join(entry.services or []),
        "populations": ", ".join(entry.populations or []),
        "languages": ", ".join(entry.languages or []),
        "warm_transfer": "yes" if entry.warm_transfer else "no",
        "last_verified_on": day,
    }
    return [neutralise(str(values.get(column, getattr(entry, column, "")) or "")) for column in COLUMNS]


def export_csv(entries: list[DirectoryEntry]) -> bytes:
    """UTF-8 with a byte order mark (so spreadsheets read accents), a header row, one row a listing."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for entry in entries:
        writer.writerow(_cells(entry))
    return (BOM + out.getvalue()).encode("utf-8")


# --- Import --------------------------------------------------------------------------------------


@dataclass
class ImportResult:
    forms: list[DirectoryEntryForm] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # whole-file problems, or "Row n, column: message"
    error_count: int = 0

    def add(self, row: int, column: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                _("Row %(row)d, column “%(column)s”: %(message)s") % {"row": row, "column": column, "message": message}
            )


def _choice_lookup(choices: Any) -> dict[str, str]:
    """Code, English label and the current language's label (folded) -> code."""
    lookup: dict[str, str] = {}
    for value, label in choices:
        lookup[fold(value)] = value
        lookup[fold(str(label))] = value
        with translation.override("en"):
            lookup[fold(str(label))] = value
    return lookup


def _unquote(column: str, cell: str) -> tuple[str, bool]:
    """The cell's value, and whether it is refused as a formula."""
    if cell.startswith("'") and cell[1:].lstrip(" ").startswith(FORMULA_START):
        return cell[1:], False  # marked as text by our own export
    start = cell.lstrip(" ")
    if start.startswith(("=", "@", "\t", "\r")):
        return cell, True
    if start.startswith(("+", "-")):
        return cell, not (column in NUMBER_COLUMNS and PHONE_NUMBER.match(start.strip()))
    return cell, False


def _row_data(number: int, row: dict[str, str], result: ImportResult, lookups: dict[str, dict[str, str]]) -> Any:
    data: dict[str, Any] = {}
    clean = True
    for column, raw in row.items():
        value, formula = _unquote(column, raw or "")
        if formula:
            result.add(number, column, _("This looks like a spreadsheet formula. Remove the = + - or @ at the start."))
            clean = False
            continue
        if column in ("services", "populations"):
            codes = []
            for part in [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]:
                code = lookups[column].get(fold(part))
                if code is None:
                    result.add(number, column, _("“%(value)s” is not one of the choices.") % {"value": part[:60]})
                    clean = False
                else:
                    codes.append(code)
            data[column] = codes
        elif column == "warm_transfer":
            answer = fold(value)
            if answer not in YES | NO:
                result.add(number, column, _("Write yes or no."))
                clean = False
            data[column] = "on" if answer in YES else ""
        else:
            data[column] = value
    return data if clean else None


def _check_row(number: int, data: dict[str, Any], result: ImportResult) -> None:
    form = DirectoryEntryForm(data)
    if form.is_valid():
        result.forms.append(form)
        return
    for name, messages in form.errors.items():
        for message in messages:
            result.add(number, name if name != "__all__" else "-", str(message))


def _decode(raw: bytes, result: ImportResult) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        result.errors.append(
            _("The file is not UTF-8 text. In your spreadsheet choose Save as, then “CSV UTF-8”, and upload that file.")
        )
        return None
    return text[1:] if text.startswith(BOM) else text


def _header(reader: Any, result: ImportResult) -> list[str] | None:
    try:
        header = [fold(cell).replace(" ", "_") for cell in next(reader)]
    except StopIteration:
        result.errors.append(_("The file is empty."))
        return None
    unknown = [cell for cell in header if cell not in COLUMNS]
    if "name" not in header or unknown or len(set(header)) != len(header):
        result.errors.append(
            _("The first row must name the columns, as in the export: %(columns)s.") % {"columns": ", ".join(COLUMNS)}
        )
        return None
    return header


def parse_import(raw: bytes) -> ImportResult:
    """Check a whole upload: every row through the listing form.  ``forms`` is filled only when
    there is no error at all (the caller saves them in one transaction)."""
    result = ImportResult()
    if len(raw) > MAX_BYTES:
        result.errors.append(_("The file is larger than 1 MB. Split it into smaller files."))
        return result
    text = _decode(raw, result)
    if text is None:
        return result
    if "\x00" in text:
        result.errors.append(_("The file could not be read as CSV. Save it from your spreadsheet as “CSV UTF-8”."))
        return result
    lines = csv.reader(io.StringIO(text, newline=""))
    header = _header(lines, result)
    if header is None:
        return result
    rows: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(lines, start=2):  # the header is row 1, as a spreadsheet shows it
            if any(cell.strip() for cell in cells):
                rows.append((number, cells))
            if len(rows) > MAX_ROWS:
                result.errors.append(
                    _("The file has more than %(count)s rows. Import at most %(count)s at a time.")
                    % {"count": f"{MAX_ROWS:,}"}
                )
                return result
    except csv.Error:
        result.errors.append(_("The file could not be read as CSV. Save it from your spreadsheet as “CSV UTF-8”."))
        return result
    if not rows:
        result.errors.append(_("The file has no listings under its first row."))
        return result
    lookups = {"services": _choice_lookup(ServiceKind.choices), "populations": _choice_lookup(Population.choices)}
    for number, cells in rows:
        if len(cells) > len(header):
            result.add(number, "-", _("This row has more cells than the first row has columns."))
            continue
        row = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=True))
        data = _row_data(number, row, result, lookups)
        if data is not None:
            _check_row(number, data, result)
    if result.error_count:
        result.forms = []
    return result
