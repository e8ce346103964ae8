"""Checklist versions: the shipped default, Excel import, publication; a published version is frozen."""

from __future__ import annotations

import io
import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit.services import audit
from portal.core import workbooks
from portal.core.uploads import validate_upload

from ..choices import CHECKLIST_TRANSITIONS, ChecklistSection, ChecklistVersionStatus
from ..models import ChecklistLine, ChecklistVersion
from ._common import TransitionError, assert_transition, check_capability, check_province, raise_if

DEFAULT_CHECKLIST = Path(__file__).resolve().parent.parent / "data" / "default_checklist.json"
IMPORT_HEADERS = ["核查环节", "编号", "核查内容", "核查方法", "关键项"]
MAX_IMPORT_ROWS = 500
# A checklist is a few hundred short lines: far below these, which bound what a zip bomb could make us parse.
MAX_ARCHIVE_MEMBERS = 500
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
_SECTION_BY_LABEL = {str(s.label): s.value for s in ChecklistSection}
_YES = {"是", "★", "y", "yes", "true", "1"}
_NO = {"", "否", "n", "no", "false", "0"}


def _clean_rows(rows: list[dict]) -> tuple[list[dict], list[str]]:
    """Normalise rows and list every problem at once (row numbers as the spreadsheet shows them)."""
    problems: list[str] = []
    cleaned: list[dict] = []
    seen: set[str] = set()
    if not rows:
        problems.append(_("核查表没有任何条目。"))
    for index, row in enumerate(rows):
        number = row.get("row", index + 2)
        section = str(row.get("section") or "").strip()
        section = _SECTION_BY_LABEL.get(section, section)
        code = str(row.get("code") or "").strip()
        text = str(row.get("text") or "").strip()
        is_key = row.get("is_key", False)
        if isinstance(is_key, str):
            flag = is_key.strip().lower()
            if flag in _YES:
                is_key = True
            elif flag in _NO:
                is_key = False
            else:
                problems.append(_("第%(n)s行：关键项只能填“是”或“否”。") % {"n": number})
        if section not in ChecklistSection.values:
            problems.append(_("第%(n)s行：未知的核查环节“%(s)s”。") % {"n": number, "s": section})
        if not code:
            problems.append(_("第%(n)s行：缺少编号。") % {"n": number})
        elif len(code) > 16:
            problems.append(_("第%(n)s行：编号过长。") % {"n": number})
        elif code in seen:
            problems.append(_("第%(n)s行：编号“%(c)s”重复。") % {"n": number, "c": code})
        seen.add(code)
        if not text:
            problems.append(_("第%(n)s行：缺少核查内容。") % {"n": number})
        elif len(text) > 500:
            problems.append(_("第%(n)s行：核查内容超过500字。") % {"n": number})
        cleaned.append({"section": section, "code": code, "text": text,
                        "method": str(row.get("method") or "").strip()[:255], "is_key": bool(is_key)})
    sections = {r["section"] for r in cleaned}
    missing = [str(s.label) for s in ChecklistSection if s.value not in sections]
    if cleaned and missing:
        problems.append(_("核查表须覆盖全部核查环节，缺少：%(s)s。") % {"s": "、".join(missing)})
    return cleaned, problems


@transaction.atomic
def checklist_version_create(*, province, actor, name: str, rows: list[dict],
                             source_name: str = "") -> ChecklistVersion:
    """A new draft version; nothing is saved unless every row is valid."""
    check_capability(actor, "inspections.manage_checklists")
    check_province(actor, province.pk)
    cleaned, problems = _clean_rows(rows)
    errors = {}
    if not (name or "").strip():
        errors["name"] = [_("请填写核查表名称。")]
    if problems:
        errors["file"] = problems
    raise_if(errors)
    # Lock the province's versions so that two imports cannot take the same number.
    list(ChecklistVersion.objects.select_for_update().filter(province=province))
    number = (ChecklistVersion.objects.filter(province=province).aggregate(m=Max("number"))["m"] or 0) + 1
    version = ChecklistVersion.objects.create(province=province, number=number, name=name.strip()[:200],
                                              source_name=source_name[:255],
                                              created_by=actor if actor is not None else None)
    ChecklistLine.objects.bulk_create([ChecklistLine(version=version, order=i, **row)
                                       for i, row in enumerate(cleaned)])
    audit(actor=actor, obj=version, action="inspections.checklist.created",
          new={"number": number, "lines": len(cleaned), "source": source_name})
    return version


def read_checklist_xlsx(upload) -> list[dict]:
    """Rows of the first sheet under the headers 核查环节, 编号, 核查内容, 核查方法, 关键项."""
    from openpyxl import load_workbook

    validate_upload(upload, kinds=("xlsx",), field="file")
    upload.seek(0)
    content = upload.read()
    upload.seek(0)
    unreadable = _("无法读取该 Excel 文件。")
    try:
        workbooks.check_archive(content, max_members=MAX_ARCHIVE_MEMBERS, max_uncompressed_bytes=MAX_UNCOMPRESSED_BYTES,
                                not_zip=unreadable, not_xlsx=unreadable)
    except workbooks.ArchiveRejected as exc:
        raise ValidationError({"file": [exc.message]}) from None
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a damaged file
        raise ValidationError({"file": [unreadable]}) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(c or "").strip() for c in next(rows, ())]
    missing = [h for h in IMPORT_HEADERS[:3] if h not in header]
    if missing:
        raise ValidationError({"file": [_("表头缺少：%(h)s。") % {"h": "、".join(missing)}]})
    index = {h: header.index(h) for h in IMPORT_HEADERS if h in header}
    out = []
    for number, values in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in values):
            continue
        if len(out) >= MAX_IMPORT_ROWS:
            raise ValidationError({"file": [_("条目超过 %(n)s 行。") % {"n": MAX_IMPORT_ROWS}]})

        def cell(h, values=values):
            i = index.get(h)
            return values[i] if i is not None and i < len(values) and values[i] is not None else ""

        out.append({"row": number, "section": cell("核查环节"), "code": cell("编号"), "text": cell("核查内容"),
                    "method": cell("核查方法"), "is_key": str(cell("关键项"))})
    workbook.close()
    return out


def checklist_version_import(*, province, actor, name: str, upload) -> ChecklistVersion:
    return checklist_version_create(province=province, actor=actor, name=name, rows=read_checklist_xlsx(upload),
                                    source_name=upload.name or "")


@transaction.atomic
def checklist_version_publish(*, version_id: int, actor) -> ChecklistVersion:
    """Publish a draft (frozen from now on); the version published before is retired."""
    check_capability(actor, "inspections.manage_checklists")
    version = ChecklistVersion.objects.select_for_update().get(pk=version_id)
    check_province(actor, version.province_id)
    assert_transition(CHECKLIST_TRANSITIONS, version.status, ChecklistVersionStatus.PUBLISHED, label=_("核查表"))
    for previous in ChecklistVersion.objects.select_for_update().filter(
            province_id=version.province_id, status=ChecklistVersionStatus.PUBLISHED):
        previous.status = ChecklistVersionStatus.RETIRED
        previous.save(update_fields=["status"])
        audit(actor=actor, obj=previous, action="inspections.checklist.retired",
              old={"status": ChecklistVersionStatus.PUBLISHED}, new={"status": previous.status})
    version.status = ChecklistVersionStatus.PUBLISHED
    version.published_at = timezone.now()
    version.save(update_fields=["status", "published_at"])
    audit(actor=actor, obj=version, action="inspections.checklist.published",
          old={"status": ChecklistVersionStatus.DRAFT}, new={"status": version.status})
    return version


def _assert_editable(version: ChecklistVersion) -> None:
    if version.status != ChecklistVersionStatus.DRAFT or version.cases.exists():
        raise TransitionError(_("该核查表版本已发布或已被核查使用，不能修改；请导入或复制为新版本。"),
                              code="frozen")


@transaction.atomic
def checklist_line_update(*, line_id: int, actor, text: str, method: str = "", is_key: bool = False) -> ChecklistLine:
    check_capability(actor, "inspections.manage_checklists")
    line = ChecklistLine.objects.select_for_update().select_related("version").get(pk=line_id)
    check_province(actor, line.version.province_id)
    _assert_editable(line.version)
    if not (text or "").strip():
        raise ValidationError({"text": _("请填写核查内容。")})
    old = {"text": line.text, "method": line.method, "is_key": line.is_key}
    line.text, line.method, line.is_key = text.strip()[:500], (method or "").strip()[:255], bool(is_key)
    line.save(update_fields=["text", "method", "is_key"])
    audit(actor=actor, obj=line.version, action="inspections.checklist.line_changed", old=old,
          new={"code": line.code, "text": line.text, "method": line.method, "is_key": line.is_key})
    return line


@transaction.atomic
def checklist_version_copy(*, version_id: int, actor) -> ChecklistVersion:
    """A new draft with the lines of an existing version, to be edited and published."""
    source = ChecklistVersion.objects.get(pk=version_id)
    rows = list(source.lines.values("section", "code", "text", "method", "is_key"))
    return checklist_version_create(province=source.province, actor=actor, name=source.name, rows=rows,
                                    source_name=f"v{source.number}")


@transaction.atomic
def checklist_default_install(*, province, actor=None) -> ChecklistVersion:
    """The shipped template, published, for a province that has none (idempotent)."""
    existing = ChecklistVersion.objects.filter(province=province).order_by("-number").first()
    if existing is not None:
        return existing
    data = json.loads(DEFAULT_CHECKLIST.read_text(encoding="utf-8"))
    version = checklist_version_create(province=province, actor=actor, name=data["name"], rows=data["lines"],
                                       source_name="default_checklist.json")
    return checklist_version_publish(version_id=version.pk, actor=actor)

