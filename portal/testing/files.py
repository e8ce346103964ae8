"""Hand-made archives for upload tests: what a damaged, renamed or inflated .xlsx looks like."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping


def zip_of(members: Mapping[str, bytes | str], *, compress: bool = True) -> bytes:
    """A zip archive holding ``members`` (name -> content) in their order.

    Compressed by default, so that a test can build a small file that declares a large
    uncompressed size (a zip bomb) as easily as a broken workbook.
    """
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def members_of(content: bytes) -> dict[str, bytes]:
    """The members of a zip archive (e.g. a real workbook, to add or replace a part)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}
