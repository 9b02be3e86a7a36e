"""Uploads stay in memory and are cut at 3 MB (waypoint/core/uploads.py): a scan of a signed release
is never written to the temporary directory, and a big one is refused by its real size."""

from __future__ import annotations

import io
import os
import tempfile
from typing import Any

from django.core.files import temp
from django.test import Client
from django.urls import reverse

from tests.conftest import OrgWorld, sign_in
from waypoint.core.uploads import KEEP
from waypoint.referrals.models import Release


def _temp_files() -> set[str]:
    return set(os.listdir(tempfile.gettempdir()))


def test_a_big_scan_is_refused_by_size_and_never_spooled_to_disk(
    client: Client, world_a: OrgWorld, monkeypatch: Any
) -> None:
    spooled: list[Any] = []
    real = temp.NamedTemporaryFile

    def record(*args: Any, **kwargs: Any) -> Any:
        spooled.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(temp, "NamedTemporaryFile", record)  # what Django's spooling handler writes with
    sign_in(client, world_a.provider)
    before_files, before_releases = _temp_files(), Release.objects.count()
    scan = io.BytesIO(b"%PDF-1.7\n" + b"0" * (5 * 1024 * 1024))
    scan.name = "signed.pdf"
    response = client.post(
        reverse("referrals:release_new", args=[world_a.person.id]),
        {"signed_how": "scan", "scan": scan, "items": ["contact"], "purpose": "p", "benefits_risks": "b"},
    )
    assert response.status_code == 400
    assert "larger than 2 MB" in response.content.decode()
    assert Release.objects.count() == before_releases
    assert _temp_files() - before_files == set()
    assert spooled == []


def test_the_handler_keeps_at_most_its_limit_and_reports_the_real_size() -> None:
    from waypoint.core.uploads import BoundedMemoryUploadHandler

    handler = BoundedMemoryUploadHandler()
    handler.new_file("scan", "a.pdf", "application/pdf", KEEP * 2)
    chunk = b"x" * (1024 * 1024)
    for n in range(5):
        handler.receive_data_chunk(chunk, n * len(chunk))
    upload = handler.file_complete(5 * len(chunk))
    assert upload.size == 5 * len(chunk)
    assert len(upload.read()) == KEEP
