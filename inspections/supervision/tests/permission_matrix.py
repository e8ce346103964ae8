"""Who gets what on every supervision URL (see tests/permission_matrix.py for the vocabulary).

The Jilin objects are organised by the provincial supervision body: a campaign with the
Nanguan institution in scope, a plan with one planned and one done inspection, a finding and
two draft penalties. Province-level authorities and the national level read them; city and
county commissions do not (the records belong to the province's area) and get 404, as does a
Liaoning administrator. Writes on a plan are its organiser's: other planners get 404.
"""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from portal.accounts.choices import Role
from tests.permission_matrix import (
    AUTHORITIES_AND_NATIONAL,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    REFUSED,
    WRITTEN,
    Ctx,
    Entry,
    expect,
    only,
)

PLANNERS = (Role.SUPERVISION, Role.COMMISSION_PROVINCE, Role.COMMISSION_CITY, Role.COMMISSION_COUNTY)
READERS = AUTHORITIES_AND_NATIONAL

READ_LIST = only(*READERS)
# A record of the provincial supervision body: city and county do not reach it.
READ_RECORD = {**only(*READERS, other_province=NOT_FOUND), Role.COMMISSION_CITY.value: NOT_FOUND,
               Role.COMMISSION_COUNTY.value: NOT_FOUND}
PLAN_PAGE = only(*PLANNERS, other_province=FORBIDDEN)
PLAN_WRITE = only(*PLANNERS, allowed=WRITTEN, other_province=FORBIDDEN)
ORGANISER_GET = {**only(*PLANNERS, other_province=FORBIDDEN),
                 **{r.value: NOT_FOUND for r in PLANNERS if r != Role.SUPERVISION}}
ORGANISER_POST_ONLY_GET = only(*PLANNERS, allowed=NOT_ALLOWED, other_province=FORBIDDEN)
ORGANISER_WRITE = {**only(*PLANNERS, allowed=WRITTEN, other_province=FORBIDDEN),
                   **{r.value: NOT_FOUND for r in PLANNERS if r != Role.SUPERVISION}}


def _objects(ctx: Ctx) -> dict:
    if "supervision" in ctx.objects:
        return ctx.objects["supervision"]
    from filing.catalogue.services import catalogue_load_builtin
    from inspections.supervision.services import penalty_create, spot_check_record

    from .builders import campaign_for, checked_on, filed_institution, plan_for

    catalogue_load_builtin()
    org = ctx.objects["organisation"]
    filed_institution(org.name, organisation=org)
    supervisor = ctx.users[Role.SUPERVISION]
    campaign = campaign_for(supervisor, name="矩阵专项治理")
    plan = plan_for(supervisor, [org], name="矩阵抽查计划", campaign=campaign)
    done = plan_for(supervisor, [org], name="矩阵已检查计划").checks.get()
    done = spot_check_record(actor=supervisor, check_id=done.pk, checked_on=checked_on(), inspectors="赵强",
                             findings=[{"category": "no_archives", "description": "档案缺失"}])

    def draft(number: str):
        return penalty_create(actor=supervisor, check_id=done.pk, warning=True, fine=0, decision_number=number,
                              decided_on=done.checked_on)

    objects = {
        "campaign": campaign, "plan": plan, "planned": plan.checks.get(), "done": done,
        "finding": done.findings.get(), "penalty": draft("矩阵罚1号"), "to_finalise": draft("矩阵罚2号"),
        "member": campaign.members.get(institution=org),
    }
    ctx.objects["supervision"] = objects
    return objects


def _url(name: str, key: str):
    return lambda ctx: reverse(name, args=[_objects(ctx)[key].pk])


def _plain(name: str):
    def build(ctx: Ctx) -> str:
        _objects(ctx)
        return reverse(name)

    return build


def _plan_form(ctx: Ctx, caller: str) -> dict:
    return {"name": f"矩阵新计划 {caller}", "year": timezone.localdate().year,
            "institutions": [ctx.objects["organisation"].pk], "campaign": ""}


def _campaign_form(ctx: Ctx, caller: str) -> dict:
    today = timezone.localdate()
    return {"name": f"矩阵新专项 {caller}", "period_start": today.isoformat(),
            "period_end": (today + timedelta(days=90)).isoformat(),
            "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-0-name": "自查自改",
            "steps-0-starts_on": today.isoformat(), "steps-0-ends_on": (today + timedelta(days=30)).isoformat()}


def _record_form(ctx: Ctx, caller: str) -> dict:
    from .builders import checked_on

    return {"checked_on": checked_on().isoformat(), "inspectors": "赵强", "note": "",
            "finding_other": f"矩阵问题 {caller}"}


def _penalty_form(ctx: Ctx, caller: str) -> dict:
    return {"warning": "on", "fine": "1", "decision_number": f"矩阵罚 {caller}",
            "decided_on": _objects(ctx)["done"].checked_on.isoformat()}


def _ledger_form(ctx: Ctx, caller: str) -> dict:
    return {"severity": "major", "requirement": "限期整改",
            "due_on": (timezone.localdate() + timedelta(days=30)).isoformat(), "responsible_name": ""}


def _self_inspection_form(ctx: Ctx, caller: str) -> dict:
    return {"off_site": "0", "employers_examined": "3", "workers_examined": "120",
            "problems-TOTAL_FORMS": "1", "problems-INITIAL_FORMS": "0",
            "problems-0-description": "档案不全", "problems-0-fix_on": timezone.localdate().isoformat()}


MATRIX: dict[str, Entry] = {
    "supervision:index": Entry(expect(OK), note="institution staff are sent on to their campaign duties"),
    "supervision:plan-list": Entry(READ_LIST),
    "supervision:plan-create": Entry(
        PLAN_PAGE, url=_plain("supervision:plan-create"), data=_plan_form,
        post={**PLAN_WRITE, Role.SYSTEM_ADMIN.value: REFUSED},
        note="a platform administrator belongs to no supervising body",
    ),
    "supervision:plan-detail": Entry(READ_RECORD, url=_url("supervision:plan-detail", "plan")),
    "supervision:plan-export": Entry(READ_RECORD, url=_url("supervision:plan-export", "plan")),
    "supervision:check-detail": Entry(READ_RECORD, url=_url("supervision:check-detail", "planned")),
    "supervision:check-record": Entry(ORGANISER_POST_ONLY_GET, url=_url("supervision:check-record", "planned"),
                                      post=ORGANISER_WRITE, data=_record_form),
    "supervision:penalty-create": Entry(ORGANISER_POST_ONLY_GET, url=_url("supervision:penalty-create", "done"),
                                        post=ORGANISER_WRITE, data=_penalty_form),
    "supervision:finding-ledger": Entry(ORGANISER_POST_ONLY_GET, url=_url("supervision:finding-ledger", "finding"),
                                        post=ORGANISER_WRITE, data=_ledger_form),
    "supervision:penalty-list": Entry(READ_LIST),
    "supervision:penalty-edit": Entry(ORGANISER_GET, url=_url("supervision:penalty-edit", "penalty"),
                                      post=ORGANISER_WRITE, data=_penalty_form),
    "supervision:penalty-finalise": Entry(
        ORGANISER_POST_ONLY_GET, url=_url("supervision:penalty-finalise", "to_finalise"), post=ORGANISER_WRITE,
        data=lambda ctx, caller: {}),
    "supervision:campaign-list": Entry(READ_LIST),
    "supervision:campaign-create": Entry(
        PLAN_PAGE, url=_plain("supervision:campaign-create"), data=_campaign_form,
        post={**PLAN_WRITE, Role.SYSTEM_ADMIN.value: REFUSED},
        note="the default scope is the accepted filings of the organiser's area; the Nanguan institution has one",
    ),
    "supervision:campaign-detail": Entry(READ_RECORD, url=_url("supervision:campaign-detail", "campaign")),
    "supervision:campaign-form1": Entry(READ_RECORD, url=_url("supervision:campaign-form1", "campaign")),
    "supervision:campaign-form2": Entry(READ_RECORD, url=_url("supervision:campaign-form2", "campaign")),
    "supervision:duties": Entry(only(Role.INSTITUTION, other_province=FORBIDDEN)),
    "supervision:self-inspection": Entry(
        only(Role.INSTITUTION, other_province=FORBIDDEN), url=_url("supervision:self-inspection", "member"),
        post=only(Role.INSTITUTION, allowed=WRITTEN, other_province=FORBIDDEN), data=_self_inspection_form,
        note="a platform administrator holds every capability but acts for no institution",
    ),
}

