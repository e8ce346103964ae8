"""Walking an entry to a state through the services (used by the tests and the permission matrix)."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from qc.ledger.choices import LedgerStatus, VerificationMethod
from qc.ledger.models import LedgerEntry
from qc.ledger.services import (
    ledger_entry_accept_plan,
    ledger_entry_close,
    ledger_entry_mark_failed,
    ledger_entry_mark_refused,
    ledger_entry_return,
    ledger_entry_submit_fix,
    ledger_entry_submit_plan,
)

PDF = b"%PDF-1.4 ledger evidence\n%%EOF\n"
PATHS = {
    LedgerStatus.OPEN: (),
    LedgerStatus.PLAN_SUBMITTED: ("plan",),
    LedgerStatus.ACCEPTED: ("plan", "accept"),
    LedgerStatus.RETURNED: ("plan", "return"),
    "returned_fix": ("plan", "accept", "fix", "return"),
    LedgerStatus.FIX_SUBMITTED: ("plan", "accept", "fix"),
    "fix_without_evidence": ("plan", "accept", "bare_fix"),
    LedgerStatus.CLOSED: ("plan", "accept", "fix", "close"),
    LedgerStatus.REFUSED: ("refuse",),
    LedgerStatus.FAILED: ("plan", "accept", "fix", "fail"),
}


def pdf(name: str = "证明材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def advance(entry: LedgerEntry, state: str, *, decider, respondent) -> LedgerEntry:
    today = timezone.localdate()
    for step in PATHS[state]:
        if step == "plan":
            ledger_entry_submit_plan(entry_id=entry.pk, actor=respondent, plan="三十日内完成培训", evidence=[pdf("方案.pdf")])
        elif step == "accept":
            ledger_entry_accept_plan(entry_id=entry.pk, actor=decider)
        elif step == "return":
            ledger_entry_return(entry_id=entry.pk, actor=decider, reason="措施不具体")
        elif step == "fix":
            ledger_entry_submit_fix(entry_id=entry.pk, actor=respondent, report="已完成", evidence=[pdf("证书.pdf")])
        elif step == "bare_fix":
            ledger_entry_submit_fix(entry_id=entry.pk, actor=respondent, report="已完成，证书纸质报送")
        elif step == "close":
            ledger_entry_close(entry_id=entry.pk, actor=decider, verification_method=VerificationMethod.DOCUMENTS,
                               verified_on=today, verification_note="资料审核，整改有效")
        elif step == "fail":
            ledger_entry_mark_failed(entry_id=entry.pk, actor=decider, verification_method=VerificationMethod.ONSITE,
                                     verified_on=today, verification_note="现场核查，问题仍在")
        elif step == "refuse":
            ledger_entry_mark_refused(entry_id=entry.pk, actor=decider, reason="拒绝提交整改方案")
    entry.refresh_from_db()
    return entry
