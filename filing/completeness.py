"""The completeness check behind the one-time notice (一次性告知).

It names every missing or non-conforming piece at once, field by field, from the
conditions of 《职业健康检查管理办法》 (2019): licences, area, staff, equipment,
documents and items. It never decides on merit: filing is not an approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import (
    REQUIRED_DOCUMENTS,
    TITLES_INTERMEDIATE_OR_ABOVE,
    InstitutionKind,
    QualityDocumentType,
    StaffRole,
)

MIN_TOTAL_AREA = Decimal("400")
MIN_ROOM_AREA = Decimal("6")
MIN_CHIEF_YEARS = 3


@dataclass(frozen=True)
class Deficiency:
    section: str
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"section": self.section, "field": self.field, "message": self.message}


def check_version(version) -> list[Deficiency]:
    """Every deficiency of a version, in form order. An empty list means complete."""
    out: list[Deficiency] = []

    def add(section, field, message):
        out.append(Deficiency(section, field, str(message)))

    basic_required = [
        ("name", _("机构名称")), ("credit_code", _("统一社会信用代码")),
        ("licence_number", _("医疗机构执业许可证登记号")), ("legal_representative", _("法定代表人")),
        ("quality_manager", _("质量负责人")), ("technical_manager", _("技术负责人")),
        ("address", _("地址")), ("phone", _("联系电话")),
    ]
    for field, label in basic_required:
        if not (getattr(version, field) or "").strip():
            add("basic", field, _("请填写%(label)s。") % {"label": label})
    if version.region_id is None:
        add("basic", "region", _("请选择所在区划。"))
    if version.licence_copy_id is None:
        add("basic", "licence_copy", _("请上传医疗机构执业许可证副本。"))
    if version.exams_started_on is None:
        add("basic", "exams_started_on", _("请填写开展工作的日期。"))
    elif version.exams_started_on > timezone.localdate():
        add("basic", "exams_started_on", _("开展工作的日期不能晚于今天。"))

    items = list(version.items.select_related("exam_item__category", "disease__category"))
    is_exam = version.filing.kind == InstitutionKind.EXAMINATION
    if not items:
        add("items", "items", _("请至少选择一个备案项目。"))
    has_radiation = any(i.exam_item_id and i.exam_item.category.code == "radiation" for i in items)
    if has_radiation:
        if not version.radiation_licence_number.strip():
            add("basic", "radiation_licence_number", _("备案了放射因素类项目，须填写放射诊疗许可证号。"))
        if version.radiation_licence_copy_id is None:
            add("basic", "radiation_licence_copy", _("备案了放射因素类项目，须上传放射诊疗许可证副本。"))
    if is_exam:
        for item in items:
            if not item.exam_types:
                add("items", f"item:{item.exam_item.code if item.exam_item_id else item.pk}",
                    _("项目“%(name)s”未选择检查类型。") % {"name": item.exam_item or item.disease})

    staff = list(version.staff.all())
    qualified_chief = [
        s for s in staff
        if s.role == StaffRole.CHIEF_EXAMINER and s.registration_number.strip()
        and s.title in TITLES_INTERMEDIATE_OR_ABOVE and s.diagnosis_qualification
        and s.years_experience >= MIN_CHIEF_YEARS
    ]
    if is_exam and not qualified_chief:
        add("staff", "chief_examiner", _(
            "至少需要一名主检医师：具有执业医师注册、中级以上职称、职业病诊断资格，并从事职业健康检查工作3年以上。"
        ))
        for s in staff:
            if s.role != StaffRole.CHIEF_EXAMINER:
                continue
            reasons = []
            if not s.registration_number.strip():
                reasons.append(_("缺少执业证书编号"))
            if s.title not in TITLES_INTERMEDIATE_OR_ABOVE:
                reasons.append(_("职称低于中级"))
            if not s.diagnosis_qualification:
                reasons.append(_("无职业病诊断资格"))
            if s.years_experience < MIN_CHIEF_YEARS:
                reasons.append(_("工作年限不足3年"))
            add("staff", f"staff:{s.pk}", _("主检医师%(name)s不符合要求：%(reasons)s。")
                % {"name": s.name, "reasons": "、".join(str(r) for r in reasons)})
    if not any(s.diagnosis_qualification for s in staff):
        add("staff", "diagnosis_qualification", _("至少需要一名取得职业病诊断资格的医师。"))
    if not any(s.role in (StaffRole.NURSE,) for s in staff) and is_exam:
        add("staff", "nurse", _("请登记护士。"))

    if version.total_area is None:
        add("premises", "total_area", _("请填写总建筑面积。"))
    elif version.total_area < MIN_TOTAL_AREA:
        add("premises", "total_area", _("总建筑面积为%(area)s平方米，不足400平方米。") % {"area": version.total_area})
    rooms = list(version.rooms.all())
    if not rooms:
        add("premises", "rooms", _("请登记检查用房。"))
    for room in rooms:
        if room.area < MIN_ROOM_AREA:
            add("premises", f"room:{room.pk}", _("检查室“%(name)s”面积为%(area)s平方米，每间不得小于6平方米。")
                % {"name": room.name, "area": room.area})

    equipment = list(version.equipment.all())
    if not equipment:
        add("equipment", "equipment", _("请登记与备案项目相适应的仪器设备。"))
    today = timezone.localdate()
    for eq in equipment:
        if eq.calibration_due_on is None:
            add("equipment", f"equipment:{eq.pk}", _("设备“%(name)s”未填写检定/校准有效期。") % {"name": eq.name})
        elif eq.calibration_due_on < today:
            add("equipment", f"equipment:{eq.pk}", _("设备“%(name)s”检定/校准已于%(date)s过期。")
                % {"name": eq.name, "date": eq.calibration_due_on})
    if version.off_site:
        if not version.vehicles.exists():
            add("equipment", "vehicles", _("开展外出体检须登记专用车辆。"))
        if not any(eq.for_off_site for eq in equipment):
            add("equipment", "off_site_equipment", _("开展外出体检须登记用于外出体检的仪器设备。"))

    present = set(version.documents.values_list("doc_type", flat=True))
    required = list(REQUIRED_DOCUMENTS)
    if version.off_site:
        required.append(QualityDocumentType.OFF_SITE)
    for doc_type in required:
        if doc_type not in present:
            add("documents", f"document:{doc_type}", _("请上传：%(doc)s。")
                % {"doc": QualityDocumentType(doc_type).label})
    return out
