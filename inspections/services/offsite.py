"""Off-site examinations (外出职业健康检查) [JL-1.2] [JL-3]: who may, and the notice before each job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filing.catalogue.choices import ExamCategoryCode, ExamType
from filing.choices import FilingStatus, InstitutionKind, ItemStatus, StaffRole
from filing.models import Equipment, FiledItem, Filing, StaffMember, Vehicle
from filing.services import validate_credit_code
from portal.audit.services import audit
from portal.regions.models import RegionLevel
from portal.workdays.services import add_working_days

from ..choices import NOTICE_WORKING_DAYS, NOTIFICATION_TRANSITIONS, OUTCOMES_PASSED, NotificationStatus
from ..models import OffSiteNotification, VerificationCase
from ._common import assert_transition, check_capability, raise_if, today


@dataclass
class Eligibility:
    filing: Filing | None
    failures: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.failures


def qc_key_items_passed(institution) -> tuple[bool | None, str]:
    """The latest final QC assessment's key items: True, False, or None with the reason."""
    try:
        from qc.selectors import key_items_passed

        return key_items_passed(institution=institution), ""
    except (ImportError, AttributeError):
        return None, _("质量控制考核关键项结果暂不可查询")


def offsite_eligibility(*, institution) -> Eligibility:
    """Every condition [JL-1.2] sets, each failing one named."""
    filing = (Filing.objects.filter(institution=institution, kind=InstitutionKind.EXAMINATION)
              .select_related("current_version").first())
    if filing is None or filing.current_version_id is None:
        return Eligibility(filing, [_("尚未完成职业健康检查机构备案。")])
    if filing.status == FilingStatus.CANCELLED:
        return Eligibility(filing, [_("该机构的职业健康检查备案已注销。")])
    if filing.status != FilingStatus.ACCEPTED:
        return Eligibility(filing, [_("该机构的备案不处于已备案状态。")])
    version = filing.current_version
    failures = []
    if not version.off_site:
        failures.append(_("现行备案未申报开展外出职业健康检查。"))
    if not Vehicle.objects.filter(version=version).exists():
        failures.append(_("现行备案中没有外出体检专用车辆。"))
    if not Equipment.objects.filter(version=version, for_off_site=True).exists():
        failures.append(_("现行备案中没有用于外出体检的仪器设备。"))
    passed, why = qc_key_items_passed(institution)
    if passed is False:
        failures.append(_("最近一次质量控制考核关键项未全部合格。"))
    elif passed is None:
        case = VerificationCase.objects.filter(filing=filing).first()
        if case is None or case.outcome not in OUTCOMES_PASSED:
            reason = why or _("尚无质量控制考核结果")
            failures.append(_("%(why)s，且备案后现场核查尚未通过。") % {"why": reason})
    return Eligibility(filing, failures)


def notice_latest_date(starts_on: date) -> date:
    """The last day a notice for work starting on ``starts_on`` can be given."""
    return add_working_days(starts_on, -NOTICE_WORKING_DAYS)


def _county(region, province_id: int, errors: dict, key: str) -> None:
    if region is None:
        errors[key] = [_("请选择县（市、区）。")]
    elif region.level != RegionLevel.COUNTY or region.province_id != province_id:
        errors[key] = [_("请选择本省的县（市、区）。")]


@transaction.atomic
def notification_submit(*, actor, institution, employer_name: str, employer_credit_code: str,
                        employer_address: str, employer_region, work_site: str, work_site_region,
                        starts_on: date, ends_on: date, expected_workers: int, item_codes: Sequence[str],
                        exam_types: Sequence[str], staff_ids: Sequence[int], vehicle_ids: Sequence[int],
                        equipment_ids: Sequence[int], sample_handling: str, biosafety: str,
                        contact_name: str, contact_phone: str) -> OffSiteNotification:
    """File the 告知书; refused whole, with every reason, when anything is wrong."""
    check_capability(actor, "inspections.notify_off_site")
    if actor is not None and not actor.is_superuser:
        from portal.accounts.scoping import institution_ids_for

        if institution.pk not in institution_ids_for(actor):
            raise PermissionDenied
    eligibility = offsite_eligibility(institution=institution)
    if not eligibility.allowed:
        raise ValidationError({"__all__": eligibility.failures})
    filing = Filing.objects.select_for_update().get(pk=eligibility.filing.pk)
    version = filing.current_version
    errors: dict[str, list] = {}
    for key, value, label in (("employer_name", employer_name, _("用人单位名称")),
                              ("employer_address", employer_address, _("用人单位地址")),
                              ("work_site", work_site, _("体检地点")), ("sample_handling", sample_handling, _("样品处置安排")),
                              ("biosafety", biosafety, _("放射防护与生物安全措施")),
                              ("contact_name", contact_name, _("联系人")), ("contact_phone", contact_phone, _("联系电话"))):
        if not (value or "").strip():
            errors[key] = [_("请填写%(label)s。") % {"label": label}]
    try:
        employer_credit_code = validate_credit_code(employer_credit_code or "", field="employer_credit_code")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    _county(employer_region, filing.province_id, errors, "employer_region")
    _county(work_site_region, filing.province_id, errors, "work_site_region")
    if not isinstance(starts_on, date) or not isinstance(ends_on, date):
        errors["starts_on"] = [_("请填写开始和结束日期。")]
    elif ends_on < starts_on:
        errors["ends_on"] = [_("结束日期不能早于开始日期。")]
    elif today() > notice_latest_date(starts_on):
        errors["starts_on"] = [_("外出职业健康检查须在开展工作前%(n)s个工作日告知：%(start)s 开始的工作最迟应于 "
                                 "%(latest)s 告知。") % {"n": NOTICE_WORKING_DAYS, "start": starts_on.isoformat(),
                                                          "latest": notice_latest_date(starts_on).isoformat()}]
    if not isinstance(expected_workers, int) or expected_workers < 1:
        errors["expected_workers"] = [_("预计体检人数须为正整数。")]
    filed = {i.exam_item.code: i for i in FiledItem.objects.filter(version=version, exam_item__isnull=False)
             .select_related("exam_item", "exam_item__category")}
    codes = list(dict.fromkeys(item_codes or []))
    if not codes:
        errors["items"] = [_("请选择检查项目。")]
    for code in codes:
        item = filed.get(code)
        if item is None:
            errors.setdefault("items", []).append(_("项目 %(code)s 不在本机构备案的项目中。") % {"code": code})
        elif item.status != ItemStatus.ACTIVE:
            errors.setdefault("items", []).append(
                _("项目“%(name)s”当前为“%(status)s”，不能外出检查。")
                % {"name": item.exam_item.name, "status": item.get_status_display()})
    types = list(dict.fromkeys(exam_types or []))
    if not types or any(t not in ExamType.values for t in types):
        errors["exam_types"] = [_("请选择检查类型。")]
    staff = list(StaffMember.objects.filter(version=version, pk__in=list(staff_ids or [])))
    if len(staff) != len(set(staff_ids or [])):
        errors["staff"] = [_("现场人员须从本机构备案的人员中选择。")]
    elif not any(s.role == StaffRole.CHIEF_EXAMINER for s in staff):
        errors["staff"] = [_("现场人员中须有主检医师。")]
    vehicles = list(Vehicle.objects.filter(version=version, pk__in=list(vehicle_ids or [])))
    if not vehicles or len(vehicles) != len(set(vehicle_ids or [])):
        errors["vehicles"] = [_("请从本机构备案的车辆中选择外出车辆。")]
    equipment = list(Equipment.objects.filter(version=version, for_off_site=True, pk__in=list(equipment_ids or [])))
    if not equipment or len(equipment) != len(set(equipment_ids or [])):
        errors["equipment"] = [_("请从本机构备案的外出体检设备中选择。")]
    raise_if(errors)
    chosen = [filed[c] for c in codes]
    category_codes = {i.exam_item.category.code for i in chosen}
    notification = OffSiteNotification.objects.create(
        province_id=filing.province_id, institution=institution, filing=filing, filing_version=version,
        employer_name=employer_name.strip(), employer_credit_code=employer_credit_code,
        employer_address=employer_address.strip(), employer_region=employer_region, work_site=work_site.strip(),
        work_site_region=work_site_region, routed_region=employer_region.responsible_region,
        starts_on=starts_on, ends_on=ends_on, expected_workers=expected_workers,
        categories=[c for c in ExamCategoryCode.values if c in category_codes],
        items=[{"code": i.exam_item.code, "name": i.exam_item.name} for i in chosen], exam_types=types,
        staff=[{"name": s.name, "role": s.role} for s in staff],
        vehicles=[{"plate_number": v.plate_number, "vehicle_type": v.vehicle_type} for v in vehicles],
        equipment=[{"name": e.name, "model": e.model} for e in equipment],
        sample_handling=sample_handling.strip(), biosafety=biosafety.strip(), contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(), submitted_at=timezone.now(), submitted_by=actor,
    )
    audit(actor=actor, obj=notification, action="inspections.notification.submitted",
          new={"employer": notification.employer_name, "starts_on": starts_on, "ends_on": ends_on,
               "routed_region": notification.routed_region.code, "items": codes})
    return notification


def _check_addressee(actor, notification: OffSiteNotification) -> None:
    """Only the authority the notice was routed to answers it."""
    check_capability(actor, "inspections.acknowledge_notifications")
    if actor is None or actor.is_superuser:
        return
    org = actor.organisation
    if org is None or org.region_id != notification.routed_region_id:
        raise PermissionDenied


@transaction.atomic
def notification_acknowledge(*, notification_id: int, actor, note: str = "") -> OffSiteNotification:
    notification = OffSiteNotification.objects.select_for_update().get(pk=notification_id)
    _check_addressee(actor, notification)
    assert_transition(NOTIFICATION_TRANSITIONS, notification.status, NotificationStatus.ACKNOWLEDGED,
                      label=_("告知书"))
    notification.status = NotificationStatus.ACKNOWLEDGED
    notification.acknowledged_at, notification.acknowledged_by = timezone.now(), actor
    notification.acknowledgement_note = (note or "").strip()[:500]
    notification.save(update_fields=["status", "acknowledged_at", "acknowledged_by", "acknowledgement_note",
                                     "updated_at"])
    audit(actor=actor, obj=notification, action="inspections.notification.acknowledged",
          old={"status": NotificationStatus.SUBMITTED},
          new={"status": notification.status, "note": notification.acknowledgement_note})
    return notification


@transaction.atomic
def notification_plan_visit(*, notification_id: int, actor, visit_on: date, note: str = "") -> OffSiteNotification:
    """The authority plans an on-site supervision visit during the job."""
    notification = OffSiteNotification.objects.select_for_update().get(pk=notification_id)
    _check_addressee(actor, notification)
    if not isinstance(visit_on, date):
        raise ValidationError({"visit_on": _("请填写拟现场监督日期。")})
    if not notification.starts_on <= visit_on <= notification.ends_on:
        raise ValidationError({"visit_on": _("拟现场监督日期须在体检期间（%(a)s 至 %(b)s）内。")
                               % {"a": notification.starts_on.isoformat(), "b": notification.ends_on.isoformat()}})
    old = {"visit_planned_on": notification.visit_planned_on, "visit_note": notification.visit_note}
    notification.visit_planned_on, notification.visit_note = visit_on, (note or "").strip()[:500]
    notification.save(update_fields=["visit_planned_on", "visit_note", "updated_at"])
    audit(actor=actor, obj=notification, action="inspections.notification.visit_planned", old=old,
          new={"visit_planned_on": visit_on, "visit_note": notification.visit_note})
    return notification
