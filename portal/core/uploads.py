"""Validating and storing uploaded files.

The type is decided by the file's first bytes, not by its name or the browser's
claim; the size is capped; the checksum is recorded; nothing is ever overwritten.
"""

from __future__ import annotations

import hashlib
import os

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _

from .models import StoredFile

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

# kind -> (extensions, magic prefix check, MIME type)
SIGNATURES = {
    "pdf": ((".pdf",), lambda head: head.startswith(b"%PDF-"), "application/pdf"),
    "jpeg": ((".jpg", ".jpeg"), lambda head: head.startswith(b"\xff\xd8\xff"), "image/jpeg"),
    "png": ((".png",), lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"), "image/png"),
    "xlsx": ((".xlsx",), lambda head: head.startswith(b"PK\x03\x04"),
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
DOCUMENT_KINDS = ("pdf", "jpeg", "png")


def validate_upload(upload: UploadedFile, *, kinds=DOCUMENT_KINDS, max_bytes: int = MAX_UPLOAD_BYTES,
                    field: str = "file") -> tuple[str, str]:
    """Return (kind, extension) or raise a field-keyed ValidationError saying why not."""
    name = upload.name or ""
    ext = os.path.splitext(name)[1].lower()
    if upload.size is None or upload.size == 0:
        raise ValidationError({field: _("文件“%(name)s”是空文件。") % {"name": name}})
    if upload.size > max_bytes:
        raise ValidationError({field: _("文件“%(name)s”超过 %(mb)s MB 的大小限制。")
                               % {"name": name, "mb": max_bytes // (1024 * 1024)}})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    allowed_ext = []
    for kind in kinds:
        exts, check, _mime = SIGNATURES[kind]
        allowed_ext.extend(exts)
        if ext in exts and check(head):
            return kind, ext
    raise ValidationError({field: _("文件“%(name)s”的类型不受支持或内容与扩展名不符，只接受：%(exts)s。")
                           % {"name": name, "exts": "、".join(allowed_ext)}})


def uploads_checked(uploads, errors: dict, *, field: str, kinds=DOCUMENT_KINDS, max_files: int | None = None,
                    too_many: str = "") -> list[UploadedFile]:
    """The non-empty uploads of a form field, each validated before anything is stored.

    A step that attaches files validates them together with its other inputs, so that all
    reasons are shown at once and a refused step leaves no file behind: each reason is added
    to ``errors[field]``, nothing is raised. More than ``max_files`` files are refused as a
    whole with ``too_many`` (a message with ``%(n)s``), without reading them.
    """
    files = [upload for upload in (uploads or []) if upload]
    if max_files is not None and len(files) > max_files:
        errors.setdefault(field, []).append((too_many or _("每次最多上传 %(n)s 个文件。")) % {"n": max_files})
        return files
    for upload in files:
        try:
            validate_upload(upload, kinds=kinds, field=field)
        except ValidationError as exc:
            errors.setdefault(field, []).extend(exc.message_dict[field])
    return files


def store_upload(upload: UploadedFile, *, actor=None, province_id: int | None = None,
                 kinds=DOCUMENT_KINDS, field: str = "file") -> StoredFile:
    kind, ext = validate_upload(upload, kinds=kinds, field=field)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    stored = StoredFile(
        original_name=os.path.basename(upload.name)[:255], extension=ext, content_type=SIGNATURES[kind][2],
        size=upload.size, sha256=digest.hexdigest(), province_id=province_id,
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    stored.file.save("upload", upload, save=False)
    stored.save()
    return stored


def stored_file_response(stored: StoredFile, *, attachment: bool = True):
    """A stored file streamed from storage under its original (often Chinese) name, after the view has
    checked who may read it (storage is never served directly). ``nosniff``: the browser keeps the
    type recorded at upload, so an uploaded file cannot be run as a page of the portal."""
    from django.http import FileResponse

    response = FileResponse(stored.file.open("rb"), as_attachment=attachment, filename=stored.original_name,
                            content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response
