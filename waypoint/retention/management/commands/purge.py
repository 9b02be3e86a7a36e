"""Remove what is past the organisation's retention periods: whole closed records (their key
destroyed), notes, safety-check answers and audit rows; records under a legal hold or in use are
skipped and listed.  For cron or a systemd timer, e.g. nightly.  Idempotent: a second run at the
same moment changes nothing and writes only its run summary (one audit row per organisation).
``--dry-run`` lists the same and removes nothing; it writes one audit row per organisation,
"retention.dry_run", with how many records it would change.  Output: reference codes, ids and
counts, never a name.

A real run refuses a ``--now`` later than the clock (it would remove records early and empty the
in-use window); ``--dry-run`` may look at any moment.  Records without a key that no purge destroyed
(a restore without the record-key file) are listed with a warning and never removed.  When the
SQLite write-ahead log could not be emptied, or the record-key file not pruned, the run says so
(also on standard error, which cron mails)."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from waypoint.retention import actions


def _moment(text: str) -> datetime.datetime:
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError as error:
        raise CommandError("--now must be an ISO date and time, e.g. 2027-01-31T03:00:00+00:00") from error
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment, datetime.UTC)


def _org(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError as error:
        raise CommandError("--org must be an organisation id (a UUID)") from error


class Command(BaseCommand):
    help = "Purge what is past each organisation's retention periods (or list it with --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="List what would go; remove nothing.")
        parser.add_argument("--org", type=_org, help="Only this organisation (its id).")
        parser.add_argument(
            "--now",
            type=_moment,
            help="The moment to purge as of (drills and tests); a real run refuses one later than the clock.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        try:
            run = actions.purge(now=options["now"], org_id=options["org"], dry_run=dry_run)
        except actions.FutureMoment as error:
            raise CommandError(str(error)) from error
        for outcome in run.outcomes:
            self._report(outcome, dry_run)
        if not dry_run:
            self._finish(run)

    def _warn(self, text: str) -> None:
        self.stdout.write(text)
        self.stderr.write(text)

    def _finish(self, run: actions.Run) -> None:
        self.stdout.write(f"record-key file: keys of destroyed records dropped: {run.keys_pruned}")
        if run.prune_failed:
            self._warn(f"WARNING: the record-key file could not be pruned ({run.prune_failed}); run purge again")
        compaction = run.compaction
        if compaction is None:
            return
        if compaction.complete:
            self.stdout.write("database file compacted, write-ahead log emptied")
        else:
            self._warn(
                "WARNING: the write-ahead log could not be emptied (busy: "
                f"{compaction.busy}, frames: {compaction.log}, copied: {compaction.checkpointed}): "
                "removed data may remain in the -wal file until it is; run purge again when the "
                "server is quiet"
            )

    def _report(self, outcome: actions.Outcome, dry_run: bool) -> None:
        plan, code = outcome.plan, outcome.plan.code
        verb = "would remove" if dry_run else "removed"
        purged = plan.whole + plan.orphans if dry_run else outcome.purged
        narrative = plan.narrative if dry_run else outcome.narrative
        answers = plan.answers if dry_run else outcome.answers
        audit_rows = plan.audit_rows if dry_run else outcome.audit_trimmed
        write = self.stdout.write
        write(f"organisation {plan.org_id} as of {plan.now.isoformat()}{' (dry run)' if dry_run else ''}")
        write(f"  whole records {verb}: {len(purged)}")
        for pid in purged:
            write(f"    {code(pid)} {pid}{' (no key)' if pid in plan.orphans else ''}")
        write(f"  records with notes emptied: {len(narrative)}")
        for pid, count in narrative.items():
            write(f"    {code(pid)} {pid} fields: {count}")
        write(f"  records with safety-check answers deleted: {len(answers)}")
        for pid, count in answers.items():
            write(f"    {code(pid)} {pid} answers: {count}")
        write(f"  audit rows {verb}: {audit_rows}")
        if outcome.audit_refused:
            write("  audit rows NOT removed: this database role may not delete audit rows; run purge as the owner")
        skipped = [("legal hold", plan.held), ("in use", plan.in_use), ("changed since listed", outcome.skipped)]
        for why, ids in skipped:
            write(f"  skipped ({why}): {len(ids)}")
            for pid in ids:
                write(f"    {code(pid)} {pid}")
        if plan.unexplained:
            self._warn(
                f"  WARNING: organisation {plan.org_id}: records without a key that no purge destroyed: "
                f"{len(plan.unexplained)} — check WAYPOINT_RECORD_KEY_FILE; nothing of them was removed"
            )
        else:
            write("  records without a key that no purge destroyed: 0")
        for pid in plan.unexplained:
            write(f"    {code(pid)} {pid}")
