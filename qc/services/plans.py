"""Writing the yearly QC programme: the plan of a province and year, and its planned assessments."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.accounts.scoping import region_within
from portal.audit.services import audit
from portal.regions.models import RegionLevel

from ..models import PlanItem, QCPlan
from .sheets import assert_sheet_manager


@transaction.atomic
def plan_create(*, province, year: int, actor, notes: str = "") -> QCPlan:
    assert_sheet_manager(actor, province)
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": [_("年度应在 2000 到 2100 之间。")]})
    try:
        with transaction.atomic():
            plan = QCPlan.objects.create(province=province, year=year, notes=(notes or "").strip(),
                                         created_by=actor if getattr(actor, "is_authenticated", False) else None)
    except IntegrityError:
        raise ValidationError({"year": [_("%(year)s 年度的考核计划已存在。") % {"year": year}]}) from None
    audit(actor=actor, obj=plan, action="qc.plan.created", new={"year": plan.year, "notes": plan.notes})
    return plan


@transaction.atomic
def plan_item_add(*, plan_id: int, institution: Organisation, planned_month: int, assessed_by: Organisation,
                  actor, complaints: int = 0, workers_examined: int | None = None,
                  is_extra: bool = False) -> PlanItem:
    plan = QCPlan.objects.select_for_update().select_related("province").get(pk=plan_id)
    assert_sheet_manager(actor, plan.province)
    errors: dict[str, list[str]] = {}
    if institution.kind != OrgKind.INSTITUTION or institution.province_id != plan.province_id:
        errors["institution"] = [_("请选择本省的职业健康检查机构。")]
    if not 1 <= int(planned_month) <= 12:
        errors["planned_month"] = [_("计划月份应为 1 到 12。")]
    if assessed_by.kind != OrgKind.QC_CENTER or assessed_by.province_id != plan.province_id:
        errors["assessed_by"] = [_("考核单位须为本省的质控中心。")]
    elif (assessed_by.region is not None and assessed_by.region.level == RegionLevel.CITY
          and (institution.region is None or not region_within(institution.region, assessed_by.region))):
        errors["assessed_by"] = [_("市级质控中心只能考核本市的机构。")]
    if complaints is not None and int(complaints) < 0:
        errors["complaints"] = [_("投诉举报件数不能为负数。")]
    if workers_examined is not None and int(workers_examined) < 0:
        errors["workers_examined"] = [_("体检人数不能为负数。")]
    if errors:
        raise ValidationError(errors)
    item = PlanItem.objects.create(plan=plan, institution=institution, planned_month=planned_month,
                                   assessed_by=assessed_by, complaints=complaints or 0,
                                   workers_examined=workers_examined, is_extra=is_extra)
    audit(actor=actor, obj=plan, action="qc.plan.item_added", new={
        "institution": institution.name, "planned_month": planned_month, "assessed_by": assessed_by.name,
        "complaints": item.complaints, "workers_examined": workers_examined, "is_extra": is_extra})
    return item


@transaction.atomic
def plan_item_remove(*, item_id: int, actor) -> None:
    item = PlanItem.objects.select_for_update().select_related("plan__province", "institution").get(pk=item_id)
    assert_sheet_manager(actor, item.plan.province)
    audit(actor=actor, obj=item.plan, action="qc.plan.item_removed",
          old={"institution": item.institution.name, "planned_month": item.planned_month})
    item.delete()
