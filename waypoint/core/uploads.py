"""Uploaded files (a signed release's scan, a directory CSV) stay in memory and never touch the disk.

Defends against: a person's signed form written in plain text to the server's temporary directory
(Django's default handler spools any upload over 2.5 MB to a temporary file); one request holding
an unbounded upload in memory.  At most ``KEEP`` bytes of each file are kept; a larger file arrives
cut short but with its real size, so the form refuses it by its size with its own message.

Does not defend against: the bytes passing through the server's memory, or a proxy in front that
buffers the request to disk (configure the proxy's body limit)."""

from __future__ import annotations

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler

KEEP = 3 * 1024 * 1024  # above every form's own limit (a scan: 2 MB; a CSV: 1 MB)


class BoundedMemoryUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.received += len(raw_data)
        room = KEEP - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])
        return None  # no later handler: the file is ours, in memory

    def file_complete(self, file_size: int) -> InMemoryUploadedFile:
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=self.received,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
