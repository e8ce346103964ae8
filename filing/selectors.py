"""Reads of the filing workflow: the institution's own filings, the authorities' queue
and jurisdiction list, account applications, and the history of versions with their
differences. Every read starts from a queryset restricted to the user.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from portal.regions.models import Region

from .choices import (
    ApplicationStatus,
    FilingStatus,
    QualityDocumentType,
    StaffRole,
    Title,
    VersionStatus,
)
from .models import (
    AccountApplication,
    Equipment,
    FiledItem,
    Filing,
    FilingVersion,
    StaffCertificate,
    StaffMember,
)

DECIDED_STATUSES = (VersionStatus.ACCEPTED, VersionStatus.SUPERSEDED)


def is_institution_user(user) -> bool:
    return user.role == Role.INSTITUTION


def filings_for(user) -> QuerySet[Filing]:
    """Filings the user may see: an institution its own, an authority those in its jurisdiction."""
    # region__parent__parent: the list prints the full region name (county, city, province).
    return (Filing.objects.restrict(user)
            .select_related("institution", "province", "region__parent__parent", "current_version"))


def versions_for(user) -> QuerySet[FilingVersion]:
    """Versions the user may open. A draft is the institution's working copy: authorities see a
    version once it has been submitted."""
    qs = FilingVersion.objects.restrict(user)
    if not is_institution_user(user):
        qs = qs.exclude(status=VersionStatus.DRAFT)
    return qs.select_related("filing__institution", "filing__province", "region__parent__parent")


def queue_for(user) -> QuerySet[FilingVersion]:
    """Submitted versions, initial and change, waiting for a decision; the oldest due date first."""
    return (
        FilingVersion.objects.restrict(user).filter(status=VersionStatus.SUBMITTED)
        .select_related("filing__institution", "region__parent__parent")
        .order_by("receipt_due_on", "submitted_at", "pk")
    )


def queue_counts(user) -> dict:
    today = timezone.localdate()
    qs = queue_for(user)
    return {"waiting": qs.count(), "overdue": qs.filter(receipt_due_on__lt=today).count()}


def applications_for(user) -> QuerySet[AccountApplication]:
    return AccountApplication.objects.restrict(user).select_related("region__parent__parent", "decided_by")


def pending_applications_count(user) -> int:
    return applications_for(user).filter(status=ApplicationStatus.PENDING).count()


def provinces_with_qc_center() -> QuerySet[Region]:
    """Provinces where an institution can apply: a provincial QC center is there to decide."""
    ids = Organisation.objects.filter(kind=OrgKind.QC_CENTER, is_active=True).values("province_id")
    return Region.objects.filter(pk__in=ids).order_by("code")


def application_regions(province: Region) -> QuerySet[Region]:
    # parent__parent: labels print the full name of a county.
    return (Region.objects.filter(province=province).exclude(pk=province.pk)
            .select_related("parent__parent").order_by("code"))


def version_with_data(qs: QuerySet[FilingVersion]) -> QuerySet[FilingVersion]:
    """Everything a version declares, in a fixed number of queries whatever its size."""
    return qs.select_related(
        "filing__institution", "filing__province", "region__parent__parent", "licence_copy",
        "radiation_licence_copy", "item_edition", "decided_by", "receipt",
    ).prefetch_related(
        Prefetch("staff", queryset=StaffMember.objects.prefetch_related("certificates__copy")),
        "rooms", "equipment", "vehicles", "documents__file",
        Prefetch("items", queryset=FiledItem.objects.select_related(
            "exam_item__category", "exam_item__edition", "disease__category").order_by(
            "exam_item__category__order", "disease__category__order", "exam_item__order", "disease__order")),
    )


def items_by_category(version: FilingVersion) -> list[dict]:
    """Filed items grouped under their category, in catalogue order (uses the prefetched items)."""
    from .catalogue.choices import ExamType

    groups: dict[str, dict] = {}
    for item in version.items.all():
        entry = item.exam_item or item.disease
        item.type_labels = [ExamType(t).label for t in item.exam_types if t in ExamType.values]
        group = groups.setdefault(entry.category.code, {"category": entry.category, "items": []})
        group["items"].append(item)
    return list(groups.values())


def qualification_labels(codes: list[str]) -> list[str]:
    """Names of the categories a physician is qualified to diagnose (exam or disease categories)."""
    from .catalogue.choices import ExamCategoryCode
    from .catalogue.models import DiseaseCategory

    exam = dict(ExamCategoryCode.choices)
    other = [c for c in codes if c not in exam]
    names = dict(DiseaseCategory.objects.filter(code__in=other).values_list("code", "name")) if other else {}
    return [str(exam.get(c) or names.get(c) or c) for c in codes]


# ---- History and differences ------------------------------------------------------------

@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class RowsDiff:
    label: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[tuple[str, list[FieldChange]]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class VersionDiff:
    basic: list[FieldChange]
    sections: list[RowsDiff]

    @property
    def is_empty(self) -> bool:
        return not self.basic and all(s.is_empty for s in self.sections)


@dataclass
class HistoryEntry:
    version: FilingVersion
    base: FilingVersion | None
    diff: VersionDiff | None


def _show(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, Region):
        return value.full_name
    if hasattr(value, "sha256"):
        return f"{value.original_name}（SHA-256 {value.sha256[:12]}…）"
    if isinstance(value, list | tuple):
        return "、".join(str(v) for v in value) or "—"
    return str(value)


def _basic_values(version: FilingVersion) -> list[tuple[str, object]]:
    return [
        (_("机构名称"), version.name),
        (_("统一社会信用代码"), version.credit_code),
        (_("医疗机构执业许可证登记号"), version.licence_number),
        (_("医疗机构执业许可证副本"), version.licence_copy),
        (_("放射诊疗许可证号"), version.radiation_licence_number),
        (_("放射诊疗许可证副本"), version.radiation_licence_copy),
        (_("法定代表人"), version.legal_representative),
        (_("质量负责人"), version.quality_manager),
        (_("技术负责人"), version.technical_manager),
        (_("地址"), version.address),
        (_("所在区划"), version.region),
        (_("联系电话"), version.phone),
        (_("开展工作日期"), version.exams_started_on),
        (_("总建筑面积（平方米）"), version.total_area),
        (_("开展外出职业健康检查"), version.off_site),
    ]


def _staff_rows(version) -> dict[str, tuple[str, dict]]:
    rows = {}
    for s in version.staff.all():
        key = s.registration_number.strip() or s.name
        certs = [f"{c.name}（{c.expires_on or _('长期')}）" for c in s.certificates.all()]
        rows[key] = (f"{s.name}（{StaffRole(s.role).label}）", {
            _("姓名"): s.name, _("岗位"): StaffRole(s.role).label, _("执业证书编号"): s.registration_number,
            _("职称"): Title(s.title).label, _("从事本工作年限"): s.years_experience,
            _("职业病诊断资格类别"): qualification_labels(sorted(s.diagnosis_qualification)), _("证书"): certs,
        })
    return rows


def _item_rows(version) -> dict[str, tuple[str, dict]]:
    from .catalogue.choices import ExamType

    rows = {}
    for item in version.items.all():
        entry = item.exam_item or item.disease
        types = [ExamType(t).label for t in item.exam_types if t in ExamType.values]
        rows[entry.code] = (f"{entry.category.name}：{entry.name}", {_("检查类型"): types})
    return rows


def _simple_rows(rows, key, label, fields) -> dict[str, tuple[str, dict]]:
    return {key(r): (label(r), {name: getter(r) for name, getter in fields}) for r in rows}


def _section_rows(version) -> list[tuple[str, dict]]:
    return [
        (_("人员"), _staff_rows(version)),
        (_("检查用房"), _simple_rows(version.rooms.all(), lambda r: r.name, lambda r: r.name,
                                 [(_("面积（平方米）"), lambda r: r.area)])),
        (_("仪器设备"), _simple_rows(
            version.equipment.all(), lambda r: f"{r.name}|{r.serial_number}",
            lambda r: f"{r.name} {r.model}".strip(),
            [(_("型号"), lambda r: r.model), (_("出厂编号"), lambda r: r.serial_number),
             (_("检定/校准有效期至"), lambda r: r.calibration_due_on), (_("用于外出体检"), lambda r: r.for_off_site)])),
        (_("车辆"), _simple_rows(version.vehicles.all(), lambda r: r.plate_number,
                               lambda r: f"{r.plate_number}（{r.vehicle_type}）",
                               [(_("车辆类型"), lambda r: r.vehicle_type),
                                (_("车载设备"), lambda r: r.equipment_onboard)])),
        (_("质量管理文件"), _simple_rows(version.documents.all(), lambda r: r.doc_type,
                                   lambda r: QualityDocumentType(r.doc_type).label,
                                   [(_("文件"), lambda r: r.file)])),
        (_("备案项目"), _item_rows(version)),
    ]


def version_diff(old: FilingVersion, new: FilingVersion) -> VersionDiff:
    """Field-by-field difference between two versions (both fetched with :func:`version_with_data`)."""
    basic = [
        FieldChange(label, _show(a), _show(b))
        for (label, a), (_label, b) in zip(_basic_values(old), _basic_values(new), strict=True)
        if _show(a) != _show(b)
    ]
    sections = []
    for (label, before), (_label, after) in zip(_section_rows(old), _section_rows(new), strict=True):
        diff = RowsDiff(label)
        diff.added = [after[k][0] for k in after if k not in before]
        diff.removed = [before[k][0] for k in before if k not in after]
        for key in after:
            if key in before:
                changes = [FieldChange(name, _show(value), _show(after[key][1][name]))
                           for name, value in before[key][1].items() if _show(value) != _show(after[key][1][name])]
                if changes:
                    diff.changed.append((after[key][0], changes))
        sections.append(diff)
    return VersionDiff(basic=basic, sections=sections)


def filing_history(user, filing: Filing) -> list[HistoryEntry]:
    """Every version the user may see, newest first, each compared with the accepted version
    that was in force before it."""
    versions = list(version_with_data(versions_for(user).filter(filing=filing)).order_by("number"))
    entries, base = [], None
    for version in versions:
        entries.append(HistoryEntry(version=version, base=base,
                                    diff=version_diff(base, version) if base is not None else None))
        if version.status in DECIDED_STATUSES:
            base = version
    return list(reversed(entries))


def dated_certificates_in_force() -> QuerySet[StaffCertificate]:
    """Certificates with an expiry date of the staff declared on a filing's current accepted version.

    What a certificate-expiry reminder follows and what the institution's home counts: a
    certificate of an earlier version, a draft change or a cancelled filing is not in force.
    """
    return StaffCertificate.objects.filter(
        expires_on__isnull=False,
        staff__version__status=VersionStatus.ACCEPTED,
        staff__version__filing__status=FilingStatus.ACCEPTED,
        staff__version__filing__current_version=F("staff__version"),
    )


def dated_equipment_in_force() -> QuerySet[Equipment]:
    """Equipment with a calibration due date declared on a filing's current accepted version (as above)."""
    return Equipment.objects.filter(
        calibration_due_on__isnull=False,
        version__status=VersionStatus.ACCEPTED,
        version__filing__status=FilingStatus.ACCEPTED,
        version__filing__current_version=F("version"),
    )
