"""Demo supervision: a campaign in the demo province with self-inspections filed by some
institutions and missing for others, and a spot-check plan with findings, a ledger entry
and a final penalty; and last year's spot checks, their findings rectified and two final
penalties decided last year, which last year's provincial report counts.

Everything goes through the services, so the demo passes the same validation and audit
as real use; check and decision dates are arguments of the services. What the services stamp
with the moment they run (when a check was recorded, a penalty made final, a finding put on
the ledger and rectified) is dated back afterwards for last year's records, in audited steps.
Safe to run twice: the campaign and the plans are looked up by name first.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from filing.choices import FilingStatus, InstitutionKind
from filing.models import Filing
from portal.accounts.models import Organisation
from portal.audit.services import audit
from qc.ledger.demo import date_back_entry, walk_entry

from .choices import FindingCategory, PenaltyStatus, SpotCheckStatus
from .models import Campaign, Penalty, SpotCheck, SpotCheckPlan
from .services import (
    campaign_create,
    finding_open_ledger_entry,
    penalty_create,
    penalty_finalise,
    self_inspection_file,
    spot_check_plan_create,
    spot_check_record,
)

CHECKED = 4
PROBLEMS = [
    ("部分职业健康检查报告未由主检医师审核签字", 20),
    ("听力测试室本底噪声未定期检测", 45),
    ("外出体检未提前书面告知", 10),
]
FINDINGS = [
    [(FindingCategory.CHIEF_EXAMINER, "主检医师未取得相应类别职业病诊断资格"),
     (FindingCategory.NOT_REPORTED, "2例疑似职业病未按规定报告")],
    [(FindingCategory.NO_ARCHIVES, "职业健康检查档案缺少原始检查记录")],
    [],
    [(FindingCategory.NORMS_NOT_FOLLOWED, "噪声作业人员未按GBZ 188开展纯音听阈测试"),
     (FindingCategory.FALSE_CERTIFICATE, "出具的1份职业健康检查报告与原始记录不符")],
]


# Last year's plan: institutions on file since before that year, checked in September and October.
LAST_YEAR_CHECKED = 4
LAST_YEAR_FINDINGS = [
    [(FindingCategory.NOT_REPORTED, "3例疑似职业病未按规定向所在地卫生健康主管部门报告"),
     (FindingCategory.NO_ARCHIVES, "部分劳动者职业健康检查档案缺少原始检查记录")],
    [(FindingCategory.CHIEF_EXAMINER, "主检医师未取得相应类别职业病诊断资格即签发报告")],
    [(FindingCategory.NORMS_NOT_FOLLOWED, "接触噪声作业人员未按GBZ 188开展纯音听阈测试")],
    [],
]
LAST_YEAR_FIRST_CHECK = (9, 8)
DAYS_BETWEEN_CHECKS = 9
DECIDED_AFTER_DAYS = 24
FINDING_DUE_DAYS = 30


def _say(message: str) -> None:
    sys.stdout.write(f"  supervision: {message}\n")


@transaction.atomic
def seed_supervision_demo(ctx) -> None:
    org = ctx.orgs.get("supervision")
    if org is None:
        return
    seed_last_year(ctx, org)
    seed_this_year(ctx, org)


def seed_this_year(ctx, org) -> None:
    today = timezone.localdate()
    name = f"{today.year}年职业健康检查执业行为专项治理"
    campaign = Campaign.objects.filter(organisation=org, name=name).first()
    if campaign is None:
        has_filings = Filing.objects.filter(province=ctx.province, status="accepted").exists()
        if not has_filings:
            _say("no accepted filings in the demo province, skipped")
            return
        start, end = today - timedelta(days=30), today + timedelta(days=180)
        campaign = campaign_create(actor=None, organisation=org, name=name, period_start=start, period_end=end,
                                   steps=[{"name": "自查自改", "starts_on": start, "ends_on": today + timedelta(days=30)},
                                          {"name": "执法检查", "starts_on": today + timedelta(days=31),
                                           "ends_on": today + timedelta(days=150)},
                                          {"name": "总结验收", "starts_on": today + timedelta(days=151), "ends_on": end}])
        own = ctx.orgs.get("institution")
        members = [m for m in campaign.members.select_related("institution") if m.institution != own]
        for n, member in enumerate(members[::2]):
            self_inspection_file(
                actor=None, member_id=member.pk, off_site=n % 3 == 0, employers_examined=40 + 7 * n,
                workers_examined=1200 + 131 * n,
                problems=[{"description": text, "fix_on": start + timedelta(days=days)}
                          for text, days in PROBLEMS[: n % 4]])
        _say(f"campaign with {len(members[::2])} of {campaign.members.count()} self-inspections filed")

    plan_name = "职业健康检查机构监督抽查"
    if SpotCheckPlan.objects.filter(organisation=org, year=today.year, name=plan_name).exists():
        return
    institutions = [m.institution for m in campaign.members.select_related("institution")[:CHECKED + 2]]
    plan = spot_check_plan_create(actor=None, organisation=org, year=today.year, name=plan_name,
                                  institutions=institutions, campaign=campaign)
    checked_on = today - timedelta(days=min(10, today.timetuple().tm_yday - 1))
    checks = list(plan.checks.order_by("institution__name")[:CHECKED])
    if len(checks) < CHECKED:
        return
    for check, findings in zip(checks, FINDINGS, strict=True):
        spot_check_record(actor=None, check_id=check.pk, checked_on=checked_on, inspectors="赵强、钱文",
                          findings=[{"category": c, "description": t} for c, t in findings])
    first = checks[0]
    finding = first.findings.first()
    finding_open_ledger_entry(actor=None, finding_id=finding.pk, severity="major",
                              requirement="立即停止违规行为，30日内提交整改报告", due_on=today + timedelta(days=30))
    final = penalty_create(actor=None, check_id=first.pk, warning=True, fine=Decimal("2"),
                           decision_number=f"吉卫职罚〔{today.year}〕1号", decided_on=checked_on)
    penalty_finalise(actor=None, penalty_id=final.pk)
    penalty_create(actor=None, check_id=checks[3].pk, warning=True, fine=Decimal("0"),
                   decision_number=f"吉卫职罚〔{today.year}〕2号", decided_on=today)
    done = plan.checks.filter(status=SpotCheckStatus.DONE).count()
    _say(f"spot-check plan with {done} of {plan.checks.count()} checks done, one final penalty")


# ---- Last year ---------------------------------------------------------------------------------

def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def date_back_check(check: SpotCheck, *, actor=None) -> None:
    """The service stamps the moment a check is recorded; a check of last year was recorded the day
    it was done. Audited."""
    old = {"recorded_at": check.recorded_at}
    check.recorded_at = _at(check.checked_on, 17)
    SpotCheck.objects.filter(pk=check.pk).update(recorded_at=check.recorded_at)
    audit(actor=actor, obj=check, action="supervision.check.demo.dated_back", old=old,
          new={"recorded_at": check.recorded_at})


def date_back_penalty(penalty: Penalty, *, actor=None) -> None:
    """A penalty decided last year took effect the day it was decided, not the day the demo runs. Audited."""
    old = {"finalised_at": penalty.finalised_at}
    penalty.finalised_at = _at(penalty.decided_on, 16)
    Penalty.objects.filter(pk=penalty.pk).update(finalised_at=penalty.finalised_at)
    audit(actor=actor, obj=penalty, action="supervision.penalty.demo.dated_back", old=old,
          new={"finalised_at": penalty.finalised_at})


def _rectify(finding, checked_on: date, *, decider) -> None:
    """The finding put on the ledger after the check and rectified within its time (plan, fix, close)."""
    entry = finding_open_ledger_entry(actor=decider, finding_id=finding.pk, severity="major",
                                      requirement="立即停止违规行为，30日内提交整改报告",
                                      due_on=timezone.localdate() + timedelta(days=FINDING_DUE_DAYS))
    walk_entry(entry, ("plan", "accept", "fix", "close"), decider=decider, respondent=None)
    opened_on = checked_on + timedelta(days=2)
    date_back_entry(entry, opened_on=opened_on, due_on=opened_on + timedelta(days=FINDING_DUE_DAYS),
                    done_on=opened_on + timedelta(days=FINDING_DUE_DAYS - 4), actor=decider)


def seed_last_year(ctx, org) -> None:
    """Last year's spot checks of institutions on file since before that year: findings at three of
    four, the first put on the ledger and rectified, a fine and a warning decided and final."""
    year = timezone.localdate().year - 1
    plan_name = "职业健康检查机构监督抽查"
    if SpotCheckPlan.objects.filter(organisation=org, year=year, name=plan_name).exists():
        return
    ids = (Filing.objects.filter(province=ctx.province, kind=InstitutionKind.EXAMINATION,
                                 status=FilingStatus.ACCEPTED, filed_on__lt=date(year, 1, 1),
                                 institution__is_active=True)
           .order_by("-filed_on", "pk").values_list("institution_id", flat=True))
    own = ctx.orgs.get("institution")
    # The most recently filed: a new institution is where supervision looks first.
    chosen = [pk for pk in dict.fromkeys(ids) if pk != getattr(own, "pk", None)][:LAST_YEAR_CHECKED + 1]
    if len(chosen) < LAST_YEAR_CHECKED:
        return
    institutions = list(Organisation.objects.filter(pk__in=chosen).order_by("pk"))
    plan = spot_check_plan_create(actor=None, organisation=org, year=year, name=plan_name,
                                  institutions=institutions)
    decider = ctx.users.get("jd_jl")
    checks = list(plan.checks.order_by("institution_id")[:LAST_YEAR_CHECKED])
    first = date(year, *LAST_YEAR_FIRST_CHECK)
    for n, (check, findings) in enumerate(zip(checks, LAST_YEAR_FINDINGS, strict=True)):
        checked_on = first + timedelta(days=DAYS_BETWEEN_CHECKS * n)
        check = spot_check_record(actor=None, check_id=check.pk, checked_on=checked_on, inspectors="赵强、孙伟",
                                  note="按年度抽查计划开展现场检查。",
                                  findings=[{"category": c, "description": t} for c, t in findings])
        date_back_check(check)
        if n == 0 and decider is not None:
            _rectify(check.findings.order_by("order").first(), checked_on, decider=decider)
    for number, (check, warning, fine) in enumerate(((checks[0], True, Decimal("3")),
                                                     (checks[1], True, Decimal("0"))), start=1):
        check.refresh_from_db()
        penalty = penalty_create(actor=None, check_id=check.pk, warning=warning, fine=fine,
                                 decision_number=f"吉卫职罚〔{year}〕{number}号",
                                 decided_on=check.checked_on + timedelta(days=DECIDED_AFTER_DAYS))
        penalty = penalty_finalise(actor=None, penalty_id=penalty.pk)
        date_back_penalty(penalty)
    done = plan.checks.filter(status=SpotCheckStatus.DONE).count()
    final = Penalty.objects.filter(spot_check__plan=plan, status=PenaltyStatus.FINAL).count()
    _say(f"{year}: spot-check plan with {done} of {plan.checks.count()} checks done, {final} final penalties")
