"""Demo ledger: entries from every source in every state, for the demo province's institutions.

Everything goes through the ledger services, so the demo leaves the same steps, files and
audit trail as real use. Safe to run twice: an entry is looked up by institution, source
and description before it is made, a spot check by its report number.

The services act on the day they run and refuse a due date in the past, so the other demos
that record last year's findings (QC, verification, supervision) take an entry through its
steps today with :func:`walk_entry` and then date it back with :func:`date_back_entry`, one
audited step per entry.
"""

from __future__ import annotations

import sys
from datetime import date, datetime, time, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation, OrganisationUserObjectPermission
from portal.audit.services import audit

from .choices import CaseReportKind, LedgerSource, LedgerStatus, Severity, StepKind, VerificationMethod
from .models import CaseReportCheck, LedgerEntry, LedgerStep
from .services import (
    case_report_check_record,
    case_report_problems_open,
    ledger_entry_accept_plan,
    ledger_entry_close,
    ledger_entry_mark_failed,
    ledger_entry_mark_refused,
    ledger_entry_open,
    ledger_entry_return,
    ledger_entry_submit_fix,
    ledger_entry_submit_plan,
)

DEMO_INSTITUTIONS = 6
DEMO_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

# The steps that lead from "open" to each state ("return_fix": a reported fix sent back).
PATHS = {
    LedgerStatus.OPEN: (),
    LedgerStatus.PLAN_SUBMITTED: ("plan",),
    LedgerStatus.ACCEPTED: ("plan", "accept"),
    LedgerStatus.RETURNED: ("plan", "return"),
    LedgerStatus.FIX_SUBMITTED: ("plan", "accept", "fix"),
    LedgerStatus.CLOSED: ("plan", "accept", "fix", "close"),
    LedgerStatus.REFUSED: ("refuse",),
    LedgerStatus.FAILED: ("plan", "accept", "fix", "fail"),
}
STATES = list(PATHS)

# One problem per (source, state), in the order of STATES.
PROBLEMS = {
    LedgerSource.QC_ASSESSMENT: [
        "主检医师未按规定参加职业健康检查培训考核",
        "纯音听阈测试结果异常者未按GBZ 49要求安排复查",
        "血铅检测室内质控记录不完整，未绘制质控图",
        "职业禁忌证告知书未在规定时间内送达用人单位",
        "部分职业健康检查报告缺少主检医师签字",
        "尘肺病胸片质量抽查有3张为废片",
        "质量管理体系文件未按年度评审更新",
        "疑似职业病界定不准确，2例未按规定告知劳动者",
    ],
    LedgerSource.ONSITE_VERIFICATION: [
        "备案的放射诊疗许可证已过期未换证",
        "数字化X射线摄影设备未按期检定",
        "候检区与检查区未分开，工作场所布局不符合要求",
        "肺功能仪未配备定标筒，无日常校准记录",
        "外出体检车辆未配备必要的急救设备",
        "备案人员与实际在岗人员不一致",
        "未建立信息报告管理制度",
        "检验科未开展室间质评",
    ],
    LedgerSource.SUPERVISION: [
        "超出备案类别开展放射因素类职业健康检查",
        "疑似职业病未按规定向所在地卫生健康主管部门报告",
        "外出职业健康检查未提前5个工作日书面告知",
        "职业健康检查档案保存不完整",
        "未按规定参加质量控制考核",
        "出具的职业健康检查报告结论与检查结果不符",
        "未按技术规范规定的项目和周期开展检查",
        "职业健康检查信息未按规定报告",
    ],
    LedgerSource.CASE_REPORT_CHECK: [
        "个案卡中接触的职业病危害因素与检查项目不一致",
        "疑似职业病个案未在规定时限内上报",
        "个案卡检查结论填写不规范",
        "个案卡用人单位信息缺失",
        "个案卡检查类型填写错误（应为在岗期间）",
        "职业禁忌证个案漏报",
        "个案卡接害工龄与档案记录不一致",
        "诊断报告卡诊断依据标准版本填写错误",
    ],
    LedgerSource.OTHER: [
        "投诉反映职业健康检查报告出具超过30日",
        "收费公示不规范",
        "对用人单位的复查通知未留存送达记录",
        "网站公示的备案信息未及时更新",
        "未按要求报送年度工作总结",
        "体检预约登记信息不完整",
        "投诉反映体检现场未核验劳动者身份",
        "未落实投诉处理整改意见",
    ],
}
REQUIREMENTS = {
    Severity.MINOR: "立即整改，完善相关记录，报送整改完成情况及证明材料。",
    Severity.MAJOR: "制定整改方案，明确责任人和完成时限，整改完成后报送证明材料，接受核查。",
    Severity.CRITICAL: "立即停止相关违规行为，制定整改方案并限期整改，整改期间接受专项督查。",
}
SEVERITIES = [Severity.MAJOR, Severity.MINOR, Severity.CRITICAL]
OPENERS = {
    LedgerSource.QC_ASSESSMENT: "zk_jl", LedgerSource.ONSITE_VERIFICATION: "zk_jl",
    LedgerSource.SUPERVISION: "jd_jl", LedgerSource.CASE_REPORT_CHECK: "wjw_jl", LedgerSource.OTHER: "wjw_jl",
}
# Entries shifted past their due date, so that escalation to supervision shows (state index -> days late).
OVERDUE = {0: 12, 2: 5, 3: 20, 6: 40, 7: 3}


def _pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf")


def _acting_user(org: Organisation):
    row = (OrganisationUserObjectPermission.objects
           .filter(content_object=org, permission__codename="act_for_institution", user__is_active=True)
           .select_related("user").order_by("user_id").first())
    return row.user if row else None


def walk_entry(entry: LedgerEntry, steps, *, decider, respondent) -> None:
    """Take ``entry`` through ``steps`` (names of PATHS), each through its service, today."""
    today = timezone.localdate()
    for step in steps:
        if step == "plan":
            ledger_entry_submit_plan(entry_id=entry.pk, actor=respondent, evidence=[_pdf("整改方案.pdf")],
                                     plan="1. 成立整改小组，由质量负责人牵头；2. 逐项对照要求整改；3. 30日内完成并报送证明材料。")
        elif step == "accept":
            ledger_entry_accept_plan(entry_id=entry.pk, actor=decider, note="方案可行，请按期完成。")
        elif step == "return":
            ledger_entry_return(entry_id=entry.pk, actor=decider, reason="整改措施不具体，未明确完成时限，请补充后重新提交。")
        elif step == "fix":
            ledger_entry_submit_fix(entry_id=entry.pk, actor=respondent, evidence=[_pdf("整改完成证明.pdf")],
                                    report="已按方案完成整改，相关制度、记录和照片见附件。")
        elif step == "close":
            ledger_entry_close(entry_id=entry.pk, actor=decider, verification_method=VerificationMethod.DOCUMENTS,
                               verified_on=today, verification_note="经资料审核，整改措施已落实，问题已消除，同意销号。")
        elif step == "fail":
            ledger_entry_mark_failed(entry_id=entry.pk, actor=decider, verification_method=VerificationMethod.ONSITE,
                                     verified_on=today, verification_note="现场核查发现问题仍然存在，整改不到位。")
        elif step == "refuse":
            ledger_entry_mark_refused(entry_id=entry.pk, actor=decider,
                                      reason="逾期未提交整改方案，经两次书面督促仍未整改。")


def _at(day: date, minutes: int) -> datetime:
    # Office hours, a few minutes apart, so that steps of one day keep their order.
    return timezone.make_aware(datetime.combine(day, time(9, 0)) + timedelta(minutes=minutes))


@transaction.atomic
def date_back_entry(entry: LedgerEntry, *, opened_on: date, due_on: date, done_on: date | None = None,
                    actor=None) -> LedgerEntry:
    """Move an entry the services opened and walked today back to when it happened: opened on
    ``opened_on``, due on ``due_on``, its later steps spread evenly up to ``done_on`` (the day of
    its last step: the close, or the check that found the fix inadequate), each verification dated
    the day of its step. The number (ZG + year of opening) follows. Audited like every demo write."""
    entry = LedgerEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    steps = list(entry.steps.order_by("at", "pk"))
    done_on = done_on or opened_on
    later = max(len(steps) - 1, 1)
    for n, step in enumerate(steps):
        day = opened_on + timedelta(days=round((done_on - opened_on).days * n / later))
        step.at = _at(day, n)
        if step.verified_on is not None:
            step.verified_on = day
    LedgerStep.objects.bulk_update(steps, ["at", "verified_on"])
    accepted = [s.at for s in steps if s.kind == StepKind.PLAN_ACCEPTED]
    closed = [s.verified_on for s in steps if s.kind == StepKind.CLOSED]
    old = {"opened_at": entry.opened_at, "due_on": entry.due_on, "closed_on": entry.closed_on}
    changes = {
        "opened_at": steps[0].at if steps else _at(opened_on, 0), "due_on": due_on,
        "status_changed_at": steps[-1].at if steps else _at(opened_on, 0),
        "plan_accepted_at": accepted[-1] if accepted and entry.plan_accepted_at else entry.plan_accepted_at,
        "closed_on": closed[-1] if closed and entry.closed_on else entry.closed_on,
    }
    LedgerEntry.objects.filter(pk=entry.pk).update(**changes)
    entry.refresh_from_db()
    audit(actor=actor, obj=entry, action="ledger.entry.demo.dated_back", old=old,
          new={"opened_at": entry.opened_at, "due_on": entry.due_on, "closed_on": entry.closed_on})
    return entry


def _entry_for(ctx, org, source, description, severity, opener, index):
    """The demo entry of one (source, state): opened through the service, or through a spot check."""
    existing = LedgerEntry.objects.filter(institution=org, source=source, description__endswith=description).first()
    if existing is not None:
        return None
    due_on = timezone.localdate() + timedelta(days=30)
    if source != LedgerSource.CASE_REPORT_CHECK:
        return ledger_entry_open(actor=opener, institution=org, source=source, description=description,
                                 severity=severity, requirement=REQUIREMENTS[severity], due_on=due_on,
                                 responsible_name="质量负责人")
    number = f"JL-DEMO-{index:04d}"
    check = CaseReportCheck.objects.filter(institution=org, report_number=number).first()
    if check is None:
        check = case_report_check_record(
            actor=opener, institution=org, report_kind=CaseReportKind.EXAMINATION, report_number=number,
            sample_date=timezone.localdate(), problems=[description], note="年度个案报告随机抽查。")
    problems = [p.pk for p in check.problems.all() if p.ledger_entry_id is None]
    if not problems:
        return None
    entries = case_report_problems_open(actor=opener, check_id=check.pk, problem_ids=problems, severity=severity,
                                        requirement=REQUIREMENTS[severity], due_on=due_on,
                                        responsible_name="信息报告负责人")
    return entries[0]


@transaction.atomic
def seed_ledger_demo(ctx, *, progress=None) -> int:
    say = progress or (lambda text: sys.stdout.write(text + "\n"))
    own = ctx.orgs.get("institution")
    others = list(Organisation.objects.filter(province=ctx.province, kind=OrgKind.INSTITUTION, is_active=True)
                  .exclude(pk=getattr(own, "pk", None)).order_by("pk")[:DEMO_INSTITUTIONS - 1])
    institutions = ([own] if own is not None and own.is_active else []) + others
    if not institutions:
        say("ledger demo: no institutions in the demo province yet; nothing created")
        return 0
    fallback = ctx.users.get("admin_jl")
    respondents = {org.pk: _acting_user(org) for org in institutions}
    created = 0
    index = 0
    today = timezone.localdate()
    for source, problems in PROBLEMS.items():
        opener = ctx.users.get(OPENERS[source]) or fallback
        for state_index, (state, description) in enumerate(zip(STATES, problems, strict=True)):
            org = institutions[index % len(institutions)]
            index += 1
            severity = SEVERITIES[index % len(SEVERITIES)]
            entry = _entry_for(ctx, org, source, description, severity, opener, index)
            if entry is None:
                continue
            steps = PATHS[state]
            if state == LedgerStatus.RETURNED and index % 2:
                steps = ("plan", "accept", "fix", "return")
            walk_entry(entry, steps, decider=opener, respondent=respondents[org.pk])
            late = OVERDUE.get(state_index)
            if late and index % 3 != 0:
                # A due date in the past cannot be opened; the demo moves it back afterwards to show escalation.
                LedgerEntry.objects.filter(pk=entry.pk).update(due_on=today - timedelta(days=late))
            created += 1
    say(f"ledger demo: {created} entries created for {len(institutions)} institutions")
    return created
