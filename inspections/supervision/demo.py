"""Demo supervision: a campaign in the demo province with self-inspections filed by some
institutions and missing for others, and a spot-check plan with findings, a ledger entry
and a final penalty.

Everything goes through the services, so the demo passes the same validation and audit
as real use. Safe to run twice: the campaign and the plan are looked up by name first.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from filing.models import Filing

from .choices import FindingCategory, SpotCheckStatus
from .models import Campaign, SpotCheckPlan
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


def _say(message: str) -> None:
    sys.stdout.write(f"  supervision: {message}\n")


@transaction.atomic
def seed_supervision_demo(ctx) -> None:
    org = ctx.orgs.get("supervision")
    if org is None:
        return
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
