"""Walk every audit hash chain (one per organisation, one for the system) and report the first
altered, inserted or removed row; compare with heads exported earlier to catch a cut tail."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from waypoint.core.audit import check_against_exported, verify_chains

SYSTEM = "system"
NO_TIME = "-"  # an empty chain's head has no time


def _org(text: str) -> uuid.UUID | None:
    return None if text == SYSTEM else uuid.UUID(text)


def _time(text: str) -> datetime.datetime | None:
    if text == NO_TIME:
        return None
    moment = datetime.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a head's time has an offset")
    return moment


class Command(BaseCommand):
    help = "Verify the audit chains; exit 1 and name the first bad row if one was altered or cut."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--print-head", action="store_true", help="print each chain's head (org seq hash time) to keep elsewhere"
        )
        parser.add_argument(
            "--expect-head",
            metavar="FILE",
            help="a file saved from --print-head earlier (its 'Head:' lines): each chain must still hold that row",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reports = verify_chains()
        for report in reports:
            if report.first_bad is not None:
                name = report.org_id or SYSTEM
                raise CommandError(
                    f"Audit chain {name} broken at row {report.first_bad} (after {report.checked} good rows)."
                )
        if options["expect_head"]:
            self._check_exported(Path(options["expect_head"]))
        total = sum(report.checked for report in reports)
        self.stdout.write(f"Audit chain intact: {total} rows in {len(reports)} chains.")
        if options["print_head"]:
            for report in reports:
                at = report.head_at.isoformat() if report.head_at is not None else NO_TIME
                self.stdout.write(f"Head: {report.org_id or SYSTEM} {report.head_seq} {report.head_hash} {at}")

    def _check_exported(self, path: Path) -> None:
        try:
            lines = path.read_text().splitlines()
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}") from None
        for number, line in enumerate(lines, 1):
            if not line.startswith("Head:"):
                continue  # the rest of what --print-head printed
            parts = line.removeprefix("Head:").split()
            try:
                org, seq, hash_ = _org(parts[0]), int(parts[1]), parts[2]
                at = _time(parts[3]) if len(parts) > 3 else None
            except (ValueError, IndexError):
                raise CommandError(f"{path}:{number}: expected 'org seq hash' and the row's time") from None
            problem = check_against_exported(org, seq, hash_, at)
            if problem:
                raise CommandError(f"Audit chain {org or SYSTEM} {problem}.")
