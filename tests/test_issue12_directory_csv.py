"""The directory's CSV export and import (issue 12, item 1): step-up, formula injection neutralised on
the way out and refused on the way in, the size and row limits, encodings, all-or-nothing, the round
trip, and the audit rows (counts only)."""

from __future__ import annotations

import csv
import datetime
import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.conftest import OrgWorld, sign_in
from tests.test_issue12_directory import add, events, text
from waypoint.core.models import AuditEvent
from waypoint.orgs.models import Role
from waypoint.referrals.forms.directory_csv import COLUMNS, neutralise
from waypoint.referrals.models import DirectoryEntry

EXPORT = reverse("referrals:directory_export")
IMPORT = reverse("referrals:directory_import")
HEADER = ",".join(COLUMNS) + "\r\n"


def exported(client: Client) -> tuple[Any, list[list[str]]]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")
    return response, list(csv.reader(io.StringIO(content[3:].decode("utf-8"))))


def upload(client: Client, content: bytes | str, name: str = "directory.csv") -> Any:
    raw = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(IMPORT, {"upload": SimpleUploadedFile(name, raw, content_type="text/csv")})


def own(world: OrgWorld) -> int:
    return DirectoryEntry.objects.filter(org=world.org).count()


# --- Export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.ORG_ADMIN], ids=["supervisor", "org_admin"])
def test_export_is_the_organisations_listings_with_formulas_neutralised(
    world_a: OrgWorld, world_b: OrgWorld, role: Role
) -> None:
    add(world_a, name="=HYPERLINK(\"http://evil.example\",\"click\")", hours="+1+1", phone="+1 555 010 0100",
        how_to_reach="-2+3", address="@SUM(A1)", email="ok@example.org", languages=["English", "Spanish"],
        services=["legal", "immigration"], warm_transfer=True)  # fmt: skip
    add(world_a, name="Archived One", archived=True)
    response, rows = exported(sign_in(Client(), world_a.staff[role]))
    assert response["Content-Disposition"] == 'attachment; filename="directory.csv"'
    assert response["Content-Type"].startswith("text/csv")
    assert rows[0] == COLUMNS
    by_name = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    assert set(by_name) == {world_a.entry.name, '\'=HYPERLINK("http://evil.example","click")'}
    evil = by_name['\'=HYPERLINK("http://evil.example","click")']
    assert evil["hours"] == "'+1+1" and evil["phone"] == "'+1 555 010 0100" and evil["how_to_reach"] == "'-2+3"
    assert evil["address"] == "'@SUM(A1)" and evil["email"] == "ok@example.org"
    assert evil["languages"] == "English, Spanish" and evil["services"] == "legal, immigration"
    assert evil["warm_transfer"] == "yes"
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    body = response.content.decode("utf-8")
    assert "National Human Trafficking Hotline" not in body and world_b.entry.name not in body
    [row] = events("directory.exported")
    assert row.count == 2 and row.actor_id == world_a.staff[role].id and row.object_id is None


def test_neutralise_covers_tab_and_carriage_return() -> None:
    assert neutralise("\tx") == "'\tx" and neutralise("\rx") == "'\rx" and neutralise("plain") == "plain"


def test_export_asks_for_the_step_up_when_it_is_old(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.supervisor)
    session = client.session
    session["wp_step_up_at"] = 0
    session.save()
    response = client.get(EXPORT)
    assert response.status_code == 302 and response["Location"].startswith(reverse("orgs:step_up"))
    assert not events("directory.exported")


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.AUDITOR, Role.FRONT_DESK], ids=["provider", "auditor", "front"])
def test_only_editors_export_and_import(world_a: OrgWorld, role: Role) -> None:
    client = sign_in(Client(), world_a.staff[role])
    assert client.get(EXPORT).status_code == 404
    assert client.get(IMPORT).status_code == 404
    assert upload(client, HEADER + "Sneaky,,,,,,,,,,,,\r\n").status_code == 404
    assert own(world_a) == 1 and not AuditEvent.objects.filter(event__startswith="directory.").exists()


# --- Import --------------------------------------------------------------------------------------


def test_import_happy_path(world_a: OrgWorld) -> None:
    client = sign_in(Client(), world_a.org_admin)
    assert client.get(IMPORT).status_code == 200
    old = (timezone.localdate() - datetime.timedelta(days=400)).isoformat()
    content = (
        "\ufeffName,Services,Populations,Languages,Warm transfer,Phone,Last verified on\r\n"
        'Clínica Norte,medical,"adults, women","English, Español",yes,+1 (555) 010-0200,' + old + "\r\n"
        "Casa Refugio,Shelter and housing; legal,Sex trafficking,Mam,no,,\r\n"
        ",,,,,,\r\n"
    )
    response = upload(client, content)
    assert response.status_code == 302 and response["Location"] == reverse("referrals:directory")
    norte = DirectoryEntry.objects.get(org=world_a.org, name="Clínica Norte")
    assert norte.services == ["medical"] and norte.populations == ["adults", "women"]
    assert norte.languages == ["English", "Español"] and norte.warm_transfer and norte.phone == "+1 (555) 010-0200"
    assert norte.last_verified_on.isoformat() == old and norte.verified_by_id == world_a.org_admin.id
    refugio = DirectoryEntry.objects.get(org=world_a.org, name="Casa Refugio")
    assert refugio.services == ["shelter", "legal"] and refugio.populations == ["sex"] and not refugio.warm_transfer
    assert refugio.verified_by_id is None and refugio.last_verified_on is None
    [row] = events("directory.imported")
    assert row.count == 2 and row.actor_id == world_a.org_admin.id
    page = client.get(reverse("referrals:directory"))
    assert "2 listings imported." in text(page)


FORMULAS = {
    "equals": ("name", "=1+1"),
    "at": ("hours", "@SUM(A1)"),
    "plus in a name": ("name", "+cmd"),
    "minus in hours": ("hours", "-2+3"),
    "tab": ("how_to_reach", "\t=1+1"),
    "carriage return": ("address", "\r=1+1"),
    "spaces then equals": ("name", "  =1+1"),
    "plus in a phone with letters": ("phone", "+1 555 CALL"),
    "minus formula in a phone": ("text_number", "-1+2"),
}


@pytest.mark.parametrize("case", sorted(FORMULAS))
def test_formulas_are_refused_with_row_and_column(world_a: OrgWorld, case: str) -> None:
    column, value = FORMULAS[case]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "hours", "how_to_reach", "address", "phone", "text_number"])
    writer.writerow(["Fine Listing", "9-5", "", "", "+1 (555) 010-0100", "555.010.0101"])
    row = {"name": "Second", "hours": "", "how_to_reach": "", "address": "", "phone": "", "text_number": ""}
    row[column] = value
    writer.writerow(list(row.values()))
    response = upload(sign_in(Client(), world_a.supervisor), out.getvalue())
    assert response.status_code == 400
    assert f"Row 3, column “{column}”: This looks like a spreadsheet formula" in text(response)
    assert "Row 2" not in text(response)  # the phone numbers of row 2 are fine
    assert own(world_a) == 1 and not events("directory.imported")


def test_ten_thousand_rows_are_refused(world_a: OrgWorld) -> None:
    content = HEADER + "".join(f"Listing {n},legal,,,,,,,,,,,\r\n" for n in range(10_000))
    assert len(content.encode()) < 1024 * 1024  # refused for its rows, not its size
    response = upload(sign_in(Client(), world_a.supervisor), content)
    assert response.status_code == 400 and "more than 2,000 rows" in text(response)
    assert own(world_a) == 1 and not events("directory.imported")


def test_more_than_one_megabyte_is_refused(world_a: OrgWorld) -> None:
    content = HEADER + "".join(f"Listing {n},,,,{'h' * 290},,,,,,,,\r\n" for n in range(3600))
    assert len(content.encode()) > 1024 * 1024
    response = upload(sign_in(Client(), world_a.supervisor), content)
    assert response.status_code == 400 and "larger than 1 MB" in text(response)
    assert own(world_a) == 1


@pytest.mark.parametrize(
    "raw",
    [
        (HEADER + "Clínica Española,,,Español,,,,,,,,,\r\n").encode("latin-1"),
        HEADER.encode() + b"Broken \xff\xfe bytes,,,,,,,,,,,,\r\n",
        b"\xef\xbb\xbf" + HEADER.encode() + b"Cut \xe2\x82,,,,,,,,,,,,\r\n",
    ],
    ids=["latin-1", "broken bytes", "cut sequence"],
)
def test_other_encodings_are_refused(world_a: OrgWorld, raw: bytes) -> None:
    response = upload(sign_in(Client(), world_a.supervisor), raw)
    assert response.status_code == 400 and "CSV UTF-8" in text(response)
    assert own(world_a) == 1 and not events("directory.imported")


def test_a_bad_row_1999_imports_nothing(world_a: OrgWorld) -> None:
    rows = [f"Listing {n},legal,adults,English,,yes,,,,,,,\r\n" for n in range(2, 2001)]  # spreadsheet rows 2..2000
    rows[1999 - 2] = "Bad Row,legal,adults,English,,yes,,,not-an-email,,,,\r\n"
    response = upload(sign_in(Client(), world_a.supervisor), HEADER + "".join(rows))
    assert response.status_code == 400
    assert "Row 1999, column “email”: Enter an email address like name@example.org." in text(response)
    assert own(world_a) == 1 and not events("directory.imported")


def test_errors_are_listed_twenty_at_most(world_a: OrgWorld) -> None:
    content = HEADER + "".join(f",legal,nobody,,,maybe,,,,,,,{n}\r\n" for n in range(30))
    response = upload(sign_in(Client(), world_a.supervisor), content)
    assert response.status_code == 400
    body = response.content.decode()
    listed = body.split('id="import-errors"')[1].split("</ul>")[0].count("<li>")
    assert listed == 20 and "more problems" in text(response)


@pytest.mark.parametrize(
    "content",
    ["", "hours,phone\r\nx,y\r\n", "name,secret_column\r\nA,B\r\n", HEADER, HEADER + "A,,,,,,,,,,,,,extra\r\n"],
    ids=["empty", "no name column", "unknown column", "no rows", "extra cell"],
)
def test_bad_files_are_refused(world_a: OrgWorld, content: str) -> None:
    response = upload(sign_in(Client(), world_a.supervisor), content)
    assert response.status_code == 400
    assert "Nothing was imported" in text(response) or 'id="id_upload_error"' in response.content.decode()
    assert own(world_a) == 1


def test_no_file_is_400(world_a: OrgWorld) -> None:
    response = sign_in(Client(), world_a.supervisor).post(IMPORT, {})
    assert response.status_code == 400 and 'id="id_upload_error"' in response.content.decode()


def test_round_trip(world_a: OrgWorld, world_b: OrgWorld) -> None:
    today = timezone.localdate()
    add(world_a, name="Línea \"Uno\", con coma", services=["legal", "immigration"], populations=["adults", "lgbtq"],
        languages=["English", "Español", "K'iche'"], hours="-24/7-", warm_transfer=True, phone="+1 (555) 010-0300",
        text_number="+15550100301", email="uno@example.org", website="https://uno.example.org/help?x=1",
        address="1 Calle\nPiso 2", how_to_reach="@front desk\nask for Ana", last_verified_on=today)  # fmt: skip
    _response, rows = exported(sign_in(Client(), world_a.supervisor))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    response = upload(sign_in(Client(), world_b.supervisor), "\ufeff" + out.getvalue())
    assert response.status_code == 302, text(response)
    fields = list(COLUMNS)
    mine = {e.name: [getattr(e, f) for f in fields] for e in DirectoryEntry.objects.filter(org=world_a.org)}
    theirs = {e.name: [getattr(e, f) for f in fields] for e in DirectoryEntry.objects.filter(org=world_b.org)}
    assert theirs.pop(world_b.entry.name)
    assert theirs == mine
    [row] = events("directory.imported")
    assert row.count == 2 and row.org_id == world_b.org.id
