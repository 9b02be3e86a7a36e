"""Walk the audit hash chain and report the first altered, inserted or removed row."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from waypoint.core.audit import verify_chain
from waypoint.core.models import AuditHead


class Command(BaseCommand):
    help = "Verify the audit chain; exit 1 and name the first bad row if it was altered."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--print-head", action="store_true", help="print the head hash to keep elsewhere")

    def handle(self, *args: Any, **options: Any) -> None:
        checked, bad = verify_chain()
        if bad is not None:
            raise CommandError(f"Audit chain broken at row {bad} (after {checked} good rows).")
        self.stdout.write(f"Audit chain intact: {checked} rows.")
        if options["print_head"]:
            head = AuditHead.objects.filter(pk=1).first()
            self.stdout.write(f"Head: {head.seq if head else 0} {head.hash if head else ''}")
