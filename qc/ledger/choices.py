"""Statuses and vocabularies of the problem list and rectification ledger (问题清单、整改台账) [241-4] [241-5]."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class LedgerSource(models.TextChoices):
    """Where a finding came from; every source writes into the one ledger."""

    QC_ASSESSMENT = "qc_assessment", _("质量考核")
    ONSITE_VERIFICATION = "onsite_verification", _("现场核查")
    SUPERVISION = "supervision", _("监督检查")
    CASE_REPORT_CHECK = "case_report_check", _("个案报告抽查")
    OTHER = "other", _("其他")


class Severity(models.TextChoices):
    MINOR = "minor", _("一般")
    MAJOR = "major", _("较重")
    CRITICAL = "critical", _("严重")


# Most serious first: "main problems" of an institution are listed in this order.
SEVERITY_RANK = {Severity.CRITICAL: 0, Severity.MAJOR: 1, Severity.MINOR: 2}


class LedgerStatus(models.TextChoices):
    OPEN = "open", _("待提交整改方案")
    PLAN_SUBMITTED = "plan_submitted", _("整改方案待审核")
    ACCEPTED = "accepted", _("方案已认可，整改中")
    RETURNED = "returned", _("已退回")
    FIX_SUBMITTED = "fix_submitted", _("整改结果待核查")
    CLOSED = "closed", _("已销号")
    REFUSED = "refused", _("拒不整改")
    FAILED = "failed", _("整改不到位")


# The one table of the rectification workflow. A return sends back either the plan or the
# reported fix; services.py decides which of the two resubmissions a returned entry expects.
LEDGER_TRANSITIONS = {
    LedgerStatus.OPEN: {LedgerStatus.PLAN_SUBMITTED, LedgerStatus.REFUSED},
    LedgerStatus.PLAN_SUBMITTED: {LedgerStatus.ACCEPTED, LedgerStatus.RETURNED, LedgerStatus.REFUSED},
    LedgerStatus.ACCEPTED: {LedgerStatus.FIX_SUBMITTED, LedgerStatus.REFUSED},
    LedgerStatus.RETURNED: {LedgerStatus.PLAN_SUBMITTED, LedgerStatus.FIX_SUBMITTED, LedgerStatus.REFUSED},
    LedgerStatus.FIX_SUBMITTED: {LedgerStatus.CLOSED, LedgerStatus.RETURNED, LedgerStatus.FAILED},
    LedgerStatus.CLOSED: set(),
    LedgerStatus.REFUSED: set(),
    LedgerStatus.FAILED: set(),
}

FINAL_STATUSES = frozenset({LedgerStatus.CLOSED, LedgerStatus.REFUSED, LedgerStatus.FAILED})
# Refused or failed rectifications put the institution on the candidate list for publication [241-5].
UNRECTIFIED_STATUSES = frozenset({LedgerStatus.REFUSED, LedgerStatus.FAILED})
# The badge class a status shows with (static/css/portal.css).
STATUS_BADGE = {
    LedgerStatus.CLOSED: "ok", LedgerStatus.REFUSED: "bad", LedgerStatus.FAILED: "bad",
    LedgerStatus.RETURNED: "warn", LedgerStatus.PLAN_SUBMITTED: "warn", LedgerStatus.FIX_SUBMITTED: "warn",
}
# The institution has to act.
AWAITING_INSTITUTION = frozenset({LedgerStatus.OPEN, LedgerStatus.ACCEPTED, LedgerStatus.RETURNED})
# The authority has to act.
AWAITING_AUTHORITY = frozenset({LedgerStatus.PLAN_SUBMITTED, LedgerStatus.FIX_SUBMITTED})


class StepKind(models.TextChoices):
    """One dated line of an entry's timeline; each matches one service."""

    OPENED = "opened", _("列入问题清单")
    PLAN_SUBMITTED = "plan_submitted", _("提交整改方案")
    PLAN_ACCEPTED = "plan_accepted", _("认可整改方案")
    RETURNED = "returned", _("退回")
    FIX_SUBMITTED = "fix_submitted", _("报告整改完成")
    CLOSED = "closed", _("核查有效，销号")
    REFUSED = "refused", _("认定拒不整改")
    FAILED = "failed", _("核查认定整改不到位")


class VerificationMethod(models.TextChoices):
    """How the authority checked that a fix worked."""

    ONSITE = "onsite", _("现场核查")
    DOCUMENTS = "documents", _("资料审核")
    RESAMPLE = "resample", _("抽样复核")
    REMOTE = "remote", _("远程核查")


class CaseReportKind(models.TextChoices):
    """The case information institutions upload and authorities spot-check [241-4]."""

    EXAMINATION = "examination", _("职业健康检查个案卡")
    DIAGNOSIS = "diagnosis", _("职业病诊断报告卡")
