"""The Hangzhou campaign forms as Excel: 附表1 自查情况登记表 and 附表2 专项治理情况登记表 [HZ].

The column layouts are those of the printed forms, including 附表2's two-row header with
merged cells, so a body can send the file on as the form. Merged cells need a normal
(not write-only) workbook; a campaign lists the institutions of one jurisdiction, so the
sheet stays small. Text cells go through the export framework's neutralisation.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils.http import content_disposition_header

from portal.core.exports import XLSX_CONTENT_TYPE, Exporter, neutralise

from .choices import FindingCategory, PenaltyStatus, SpotCheckStatus
from .models import Campaign, Finding, Penalty, SpotCheck
from .selectors import campaign_members, category_labels

FORM1_TITLE = "职业健康检查执业行为自查情况登记表"
FORM2_TITLE = "职业健康检查执业行为专项治理情况登记表"
FORM1_HEADER = ("序号", "职业健康检查机构名称", "地址", "检查类别", "外出体检（是/否）", "职业健康检查家数",
                "职业健康检查人数", "自查发现问题")
FORM2_FAILURES = tuple(str(label) for label in FindingCategory.labels)
FORM2_PENALTIES = ("警告", "罚款（万元）")
FORM2_NOTE = "备注：职业健康检查机构包括本辖区备案机构以及通过延伸检查处罚的本辖区以外备案的机构。"


class FormExporter(Exporter):
    """A registration form: title, the 填报单位/填表人/联系电话 line, a header of one or two
    rows with merged cells, the rows, then the generation date and the form's note."""

    title = ""
    note = ""

    def __init__(self, *, unit: str = "", person: str = "", phone: str = "") -> None:
        super().__init__()
        self.unit, self.person, self.phone = unit, person, phone

    def header_rows(self) -> list[Sequence[str | None]]:
        return [self.header()]

    def header_merges(self) -> list[tuple[int, int, int, int]]:
        """(first row, first column, last row, last column), counted inside the header, from 1."""
        return []

    def filled_by_line(self) -> str:
        return f"填报单位：{self.unit}　　填表人：{self.person}　　联系电话：{self.phone}"


def form_xlsx_bytes(exporter: FormExporter) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = exporter.sheet_title[:31]
    header_rows = exporter.header_rows()
    width = max(len(r) for r in header_rows)
    centred = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.append([exporter.title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(1, 1).font = Font(bold=True, size=14)
    sheet.cell(1, 1).alignment = centred
    sheet.append([neutralise(exporter.filled_by_line())])
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    first = 3
    for row in header_rows:
        sheet.append([neutralise(v) for v in row])
    for r1, c1, r2, c2 in exporter.header_merges():
        sheet.merge_cells(start_row=first + r1 - 1, start_column=c1, end_row=first + r2 - 1, end_column=c2)
    for r in range(first, first + len(header_rows)):
        for c in range(1, width + 1):
            sheet.cell(r, c).font = Font(bold=True)
            sheet.cell(r, c).alignment = centred
    for row in exporter.rows():
        sheet.append([neutralise(v) for v in row])
    sheet.append([f"生成日期：{exporter.generated_at.date().isoformat()}"])
    if exporter.note:
        sheet.append([exporter.note])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def form_response(exporter: FormExporter) -> HttpResponse:
    response = HttpResponse(form_xlsx_bytes(exporter), content_type=XLSX_CONTENT_TYPE)
    name = f"{exporter.filename}-{exporter.generated_at.strftime('%Y%m%d')}.xlsx"
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=name)
    return response


class SelfInspectionRegister(FormExporter):
    """附表1: one row per institution of the campaign that filed its self-inspection."""

    title = FORM1_TITLE
    sheet_title = "附表1"

    def __init__(self, campaign: Campaign, **kwargs) -> None:
        super().__init__(**kwargs)
        self.campaign = campaign
        self.filename = f"附表1-自查情况登记表-{campaign.pk}"

    def header(self) -> Sequence[str]:
        return FORM1_HEADER

    def rows(self) -> Iterable[Sequence]:
        filed = [row for row in campaign_members(self.campaign) if row.filed]
        for n, row in enumerate(filed, start=1):
            si = row.inspection
            problems = "；".join(f"{i}. {p.description}（整改日期：{p.fix_on.isoformat()}）"
                                for i, p in enumerate(row.problems, start=1)) or "无"
            yield (n, row.member.institution.name, si.address, category_labels(si.categories),
                   "是" if si.off_site else "否", si.employers_examined, si.workers_examined, problems)


class RectificationRegister(FormExporter):
    """附表2: per inspected institution, the number of findings in each category and the final
    penalties (警告: 是; 罚款 summed, in 万元)."""

    title = FORM2_TITLE
    note = FORM2_NOTE
    sheet_title = "附表2"

    def __init__(self, checks, *, filename: str = "附表2-专项治理情况登记表", **kwargs) -> None:
        super().__init__(**kwargs)
        self.checks = checks
        self.filename = filename

    def header(self) -> Sequence[str]:
        return ("序号", "职业健康检查机构名称", *FORM2_FAILURES, *FORM2_PENALTIES)

    def header_rows(self) -> list[Sequence[str | None]]:
        failures, penalties = len(FORM2_FAILURES), len(FORM2_PENALTIES)
        top = ["序号", "职业健康检查机构名称", "不合格情况", *[None] * (failures - 1), "行政处罚情况",
               *[None] * (penalties - 1)]
        return [top, [None, None, *FORM2_FAILURES, *FORM2_PENALTIES]]

    def header_merges(self) -> list[tuple[int, int, int, int]]:
        failures, penalties = len(FORM2_FAILURES), len(FORM2_PENALTIES)
        return [(1, 1, 2, 1), (1, 2, 2, 2), (1, 3, 1, 2 + failures),
                (1, 3 + failures, 1, 2 + failures + penalties)]

    def rows(self) -> Iterable[Sequence]:
        checks = list(self.checks.filter(status=SpotCheckStatus.DONE).select_related("institution"))
        check_ids = [c.pk for c in checks]
        by_institution: dict[int, dict] = {}
        for check in checks:
            by_institution.setdefault(check.institution_id, {"name": check.institution.name,
                                                             "counts": {}, "warning": False,
                                                             "fine": Decimal("0")})
        for institution_id, category in Finding.objects.filter(spot_check_id__in=check_ids).values_list(
                "spot_check__institution_id", "category"):
            counts = by_institution[institution_id]["counts"]
            counts[category] = counts.get(category, 0) + 1
        for institution_id, warning, fine in Penalty.objects.filter(
                spot_check_id__in=check_ids, status=PenaltyStatus.FINAL).values_list(
                "institution_id", "warning", "fine"):
            data = by_institution[institution_id]
            data["warning"] = data["warning"] or warning
            data["fine"] += fine
        ordered = sorted(by_institution.values(), key=lambda d: d["name"])
        for n, data in enumerate(ordered, start=1):
            yield (n, data["name"], *[data["counts"].get(c) or None for c in FindingCategory.values],
                   "是" if data["warning"] else None, float(data["fine"]) if data["fine"] else None)


def campaign_checks(campaign: Campaign):
    """The inspections of a campaign's enforcement step: those of the plans linked to it."""
    return SpotCheck.objects.filter(plan__campaign=campaign)


def filled_by(user) -> dict[str, str]:
    org = getattr(user, "organisation", None)
    return {"unit": org.name if org else "", "person": user.full_name or user.get_username(),
            "phone": getattr(user, "phone", "") or (org.contact_phone if org else "")}

