"""Static files for development and test, compressed as production's collectstatic would make them.

Production runs ``collectstatic`` (whitenoise's CompressedStaticFilesStorage writes a brotli and a
gzip copy beside each stylesheet and script).  Development and test servers call ``refresh_static``
at start instead, so every mode serves the same compressed files from STATIC_ROOT.  HTML is never
compressed: compression beside secrets invites BREACH."""

from __future__ import annotations

import os
from pathlib import Path


def refresh_static(source: Path, root: Path) -> None:
    """What collectstatic does, for development and test: copy each file of static/ that changed into
    STATIC_ROOT, with a brotli and a gzip copy beside each stylesheet and script.  A copy keeps its
    source's size and mtime, so an unchanged file costs one stat; every file is written under a
    temporary name and renamed, the file itself last, so processes starting together agree."""
    from whitenoise.compress import Compressor

    compressor = Compressor(quiet=True)
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        target = root / path.relative_to(source)
        stat = path.stat()
        if target.is_file() and (target.stat().st_size, target.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns):
            continue
        data = path.read_bytes()
        copies = {".gz": b"", ".br": b""}
        if compressor.should_compress(path.name):
            copies = {".gz": compressor.compress_gzip(data), ".br": compressor.compress_brotli(data)}
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix, body in [*copies.items(), ("", data)]:
            final = target.with_name(target.name + suffix)
            if suffix and not 0 < len(body) <= 0.95 * len(data):  # not worth it: whitenoise sends the file
                final.unlink(missing_ok=True)
                continue
            temporary = final.with_name(f".{final.name}.{os.getpid()}.tmp")
            temporary.write_bytes(body)
            os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
            os.replace(temporary, final)
