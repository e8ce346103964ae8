"""The ledger services: opening, every transition, wrong states, bad input, and the reads built on them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.accounts.choices import OrgKind, Role
from portal.audit.models import AuditEntry
from portal.core.models import StoredFile
from portal.regions.models import Region
from portal.testing.factories import OrganisationFactory
from qc.ledger.choices import LedgerSource, LedgerStatus, Severity, StepKind, VerificationMethod
from qc.ledger.models import CaseReportProblem, LedgerEntry, LedgerStep
from qc.ledger.selectors import (
    entries_for_source,
    ledger_entries,
    overdue_counts_by_institution,
    refused_or_failed_institutions,
)
from qc.ledger.services import (
    TransitionError,
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

from .builders import pdf

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def _actions(entry) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(entry.pk), action__startswith="ledger.entry")
                .order_by("pk").values_list("action", flat=True))


def _past(entry, days: int = 3) -> LedgerEntry:
    LedgerEntry.objects.filter(pk=entry.pk).update(due_on=TODAY() - timedelta(days=days))
    entry.refresh_from_db()
    return entry


# ---- Opening -------------------------------------------------------------------------------------

def test_open_takes_province_and_region_from_the_institution_and_audits(make_entry, institution, qc_user):
    entry = make_entry(source_object=institution)
    assert entry.status == LedgerStatus.OPEN
    assert entry.province_id == institution.province_id and entry.region_id == institution.region_id
    assert entry.opened_by == qc_user and entry.opened_by_organisation == qc_user.organisation
    assert entry.source_type.model == "organisation" and entry.source_id == str(institution.pk)
    assert entry.source_label == institution.name
    assert _actions(entry) == ["ledger.entry.opened"]
    assert list(entry.steps.values_list("kind", flat=True)) == [StepKind.OPENED]
    assert list(entries_for_source(qc_user, institution)) == [entry]


def test_open_refuses_bad_input_with_every_error_at_once(institution, qc_user):
    with pytest.raises(ValidationError) as caught:
        ledger_entry_open(actor=qc_user, institution=institution, source="rumour", description=" ", severity="huge",
                          requirement="", due_on=TODAY() - timedelta(days=1))
    assert set(caught.value.message_dict) == {"source", "description", "severity", "requirement", "due_on"}
    assert "整改期限不能早于今天" in caught.value.message_dict["due_on"][0]
    assert not LedgerEntry.objects.exists() and not AuditEntry.objects.filter(action__startswith="ledger").exists()


def test_open_refuses_an_authority_or_an_institution_out_of_reach(make_user, qc_user, reference_data):
    authority = OrganisationFactory(kind=OrgKind.HEALTH_COMMISSION)
    elsewhere = OrganisationFactory(kind=OrgKind.INSTITUTION, region=Region.objects.get(code="220202"))
    county = make_user(Role.COMMISSION_COUNTY)  # Nanguan district: Jilin city's institution is not theirs
    liaoning = OrganisationFactory(kind=OrgKind.INSTITUTION, province=Region.objects.get(code="210000"),
                                   region=Region.objects.get(code="210102"))
    for actor, org, message in [(qc_user, authority, "不是职业健康检查"), (county, elsewhere, "不在您的管辖范围"),
                                (qc_user, liaoning, "不在您的管辖范围")]:
        with pytest.raises(ValidationError) as caught:
            ledger_entry_open(actor=actor, institution=org, source=LedgerSource.OTHER, description="x",
                              severity=Severity.MINOR, requirement="y", due_on=TODAY())
        assert message in caught.value.message_dict["institution"][0]
    with pytest.raises(PermissionDenied):
        ledger_entry_open(actor=make_user(Role.DISEASE_CONTROL), institution=elsewhere, source=LedgerSource.OTHER,
                          description="x", severity=Severity.MINOR, requirement="y", due_on=TODAY())


# ---- The workflow ---------------------------------------------------------------------------------

def test_the_whole_path_plan_accept_fix_close(make_entry, institution_user, qc_user):
    entry = make_entry()
    ledger_entry_submit_plan(entry_id=entry.pk, actor=institution_user, plan="培训", evidence=[pdf("方案.pdf")])
    ledger_entry_accept_plan(entry_id=entry.pk, actor=qc_user, note="同意")
    ledger_entry_submit_fix(entry_id=entry.pk, actor=institution_user, report="完成", evidence=[pdf()])
    entry = ledger_entry_close(entry_id=entry.pk, actor=qc_user, verification_method=VerificationMethod.ONSITE,
                               verified_on=TODAY(), verification_note="现场核查有效")
    assert entry.status == LedgerStatus.CLOSED and entry.closed_on == TODAY()
    steps = list(entry.steps.order_by("at", "pk"))
    assert [s.kind for s in steps] == ["opened", "plan_submitted", "plan_accepted", "fix_submitted", "closed"]
    assert all(s.at for s in steps) and steps[-1].verification_method == "onsite"
    assert steps[1].evidence.count() == 1 and steps[1].actor_name == str(institution_user)
    assert steps[2].organisation_name == qc_user.organisation.name
    assert _actions(entry) == ["ledger.entry.opened", "ledger.entry.plan_submitted", "ledger.entry.plan_accepted",
                               "ledger.entry.fix_submitted", "ledger.entry.closed"]
    closed = AuditEntry.objects.get(action="ledger.entry.closed")
    assert closed.old["status"] == "fix_submitted" and closed.new["status"] == "closed"
    assert closed.new["verification_method"] == "onsite" and closed.new["verified_on"] == TODAY().isoformat()


def test_a_returned_plan_is_resubmitted_as_a_plan(make_entry, institution_user, qc_user):
    entry = make_entry("returned")
    with pytest.raises(TransitionError, match="尚未认可"):
        ledger_entry_submit_fix(entry_id=entry.pk, actor=institution_user, report="完成", evidence=[pdf()])
    entry = ledger_entry_submit_plan(entry_id=entry.pk, actor=institution_user, plan="补充了时限")
    assert entry.status == LedgerStatus.PLAN_SUBMITTED
    assert entry.steps.get(kind=StepKind.RETURNED).text == "措施不具体"


def test_a_returned_fix_is_reported_again_not_replanned(make_entry, institution_user, qc_user):
    entry = make_entry("returned_fix")
    with pytest.raises(TransitionError, match="整改方案已认可"):
        ledger_entry_submit_plan(entry_id=entry.pk, actor=institution_user, plan="新方案")
    entry = ledger_entry_submit_fix(entry_id=entry.pk, actor=institution_user, report="补充整改", evidence=[pdf()])
    assert entry.status == LedgerStatus.FIX_SUBMITTED


def test_refused_and_failed_are_final(make_entry, qc_user):
    refused = make_entry("refused")
    failed = make_entry("failed", description="报告未签字")
    assert refused.status == LedgerStatus.REFUSED and failed.status == LedgerStatus.FAILED
    assert failed.steps.get(kind=StepKind.FAILED).verification_method == "onsite"
    for entry in (refused, failed):
        with pytest.raises(TransitionError):
            ledger_entry_accept_plan(entry_id=entry.pk, actor=qc_user)


WRONG_STATE = [
    ("open", "accept"), ("open", "return"), ("open", "fix"), ("open", "close"), ("open", "fail"),
    ("plan_submitted", "plan"), ("plan_submitted", "fix"), ("plan_submitted", "close"),
    ("accepted", "accept"), ("accepted", "plan"), ("accepted", "return"), ("accepted", "close"),
    ("fix_submitted", "refuse"), ("fix_submitted", "plan"), ("fix_submitted", "accept"),
    ("closed", "return"), ("closed", "refuse"), ("closed", "fix"), ("closed", "close"),
]


@pytest.mark.parametrize(("state", "step"), WRONG_STATE)
def test_a_step_the_state_does_not_allow_is_refused(state, step, make_entry, institution_user, qc_user):
    entry = make_entry(state)
    before = (AuditEntry.objects.count(), LedgerStep.objects.count(), StoredFile.objects.count())
    calls = {
        "plan": lambda: ledger_entry_submit_plan(entry_id=entry.pk, actor=institution_user, plan="x", evidence=[pdf()]),
        "fix": lambda: ledger_entry_submit_fix(entry_id=entry.pk, actor=institution_user, report="x", evidence=[pdf()]),
        "accept": lambda: ledger_entry_accept_plan(entry_id=entry.pk, actor=qc_user),
        "return": lambda: ledger_entry_return(entry_id=entry.pk, actor=qc_user, reason="x"),
        "refuse": lambda: ledger_entry_mark_refused(entry_id=entry.pk, actor=qc_user, reason="x"),
        "close": lambda: ledger_entry_close(entry_id=entry.pk, actor=qc_user, verification_method="onsite",
                                            verified_on=TODAY(), verification_note="x", evidence=[pdf()]),
        "fail": lambda: ledger_entry_mark_failed(entry_id=entry.pk, actor=qc_user, verification_method="onsite",
                                                 verified_on=TODAY(), verification_note="x"),
    }
    with pytest.raises(TransitionError):
        calls[step]()
    assert (AuditEntry.objects.count(), LedgerStep.objects.count(), StoredFile.objects.count()) == before
    entry.refresh_from_db()
    assert entry.status == state


def test_only_the_institution_answers_and_only_deciders_decide(make_entry, role_users, make_user, qc_user):
    entry = make_entry("plan_submitted")
    other_institution = make_user(Role.INSTITUTION)
    with pytest.raises(PermissionDenied):
        ledger_entry_accept_plan(entry_id=entry.pk, actor=role_users[Role.DISEASE_CONTROL])
    with pytest.raises(PermissionDenied):
        ledger_entry_accept_plan(entry_id=entry.pk, actor=role_users["other_province"])
    with pytest.raises(PermissionDenied):
        ledger_entry_return(entry_id=entry.pk, actor=role_users[Role.INSTITUTION], reason="x")
    ledger_entry_return(entry_id=entry.pk, actor=qc_user, reason="补充")
    with pytest.raises(PermissionDenied):
        ledger_entry_submit_plan(entry_id=entry.pk, actor=other_institution, plan="不是我的")


# ---- Bad input: nothing half-saved ----------------------------------------------------------------

def test_closing_without_evidence_or_verification_gives_specific_errors_and_saves_nothing(make_entry, qc_user):
    entry = make_entry("fix_without_evidence")
    before = (AuditEntry.objects.count(), LedgerStep.objects.count(), StoredFile.objects.count())
    with pytest.raises(ValidationError) as caught:
        ledger_entry_close(entry_id=entry.pk, actor=qc_user, verification_method="", verified_on=None,
                           verification_note="  ")
    errors = caught.value.message_dict
    assert set(errors) == {"evidence", "verification_method", "verified_on", "verification_note"}
    assert "没有整改完成的证明材料" in errors["evidence"][0]
    assert "核查结论" in errors["verification_note"][0]
    # A good verification with a bad file: the file is refused and no other part is kept.
    with pytest.raises(ValidationError) as caught:
        ledger_entry_close(entry_id=entry.pk, actor=qc_user, verification_method="onsite", verified_on=TODAY(),
                           verification_note="有效", evidence=[SimpleUploadedFile("x.pdf", b"not a pdf")])
    assert set(caught.value.message_dict) == {"evidence"}
    assert (AuditEntry.objects.count(), LedgerStep.objects.count(), StoredFile.objects.count()) == before
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.FIX_SUBMITTED and entry.closed_on is None

    # The authority brings the proof from its own check: now it closes.
    entry = ledger_entry_close(entry_id=entry.pk, actor=qc_user, verification_method="onsite", verified_on=TODAY(),
                               verification_note="现场查看证书原件", evidence=[pdf("核查记录.pdf")])
    assert entry.status == LedgerStatus.CLOSED


def test_verification_dates_must_be_plausible(make_entry, qc_user):
    entry = make_entry("fix_submitted")
    for day, message in [(TODAY() + timedelta(days=1), "不能晚于今天"), (TODAY() - timedelta(days=1), "不能早于机构报告")]:
        with pytest.raises(ValidationError) as caught:
            ledger_entry_close(entry_id=entry.pk, actor=qc_user, verification_method="documents", verified_on=day,
                               verification_note="有效")
        assert message in caught.value.message_dict["verified_on"][0]


def test_answers_and_decisions_need_their_text(make_entry, institution_user, qc_user):
    entry = make_entry()
    with pytest.raises(ValidationError) as caught:
        ledger_entry_submit_plan(entry_id=entry.pk, actor=institution_user, plan="",
                                 evidence=[SimpleUploadedFile("a.exe", b"MZ")])
    assert set(caught.value.message_dict) == {"plan", "evidence"}
    with pytest.raises(ValidationError, match="拒不整改"):
        ledger_entry_mark_refused(entry_id=entry.pk, actor=qc_user, reason="")
    entry = make_entry("plan_submitted", description="另一问题")
    with pytest.raises(ValidationError) as caught:
        ledger_entry_return(entry_id=entry.pk, actor=qc_user, reason=" ")
    assert "退回理由" in caught.value.message_dict["reason"][0]
    entry.refresh_from_db()
    assert entry.status == LedgerStatus.PLAN_SUBMITTED


# ---- Reads -----------------------------------------------------------------------------------------

def test_overdue_counts_and_refused_or_failed_institutions(make_entry, institution, qc_user, reference_data):
    late = _past(make_entry(description="逾期一"))
    _past(make_entry("accepted", description="逾期二"))
    _past(make_entry("closed", description="已销号的不算逾期"))
    make_entry(description="未到期")
    make_entry("refused", description="拒绝整改：超范围开展检查", severity=Severity.CRITICAL)
    make_entry("failed", description="整改不到位：档案不全", severity=Severity.MINOR)
    province = Region.objects.get(code="220000")
    assert overdue_counts_by_institution(province) == {institution.pk: 2}
    assert overdue_counts_by_institution(province.pk) == {institution.pk: 2}
    assert overdue_counts_by_institution(Region.objects.get(code="210000")) == {}
    [listed] = refused_or_failed_institutions(province)
    assert (listed.institution_id, listed.refused, listed.failed) == (institution.pk, 1, 1)
    assert listed.main_problems == ["拒绝整改：超范围开展检查", "整改不到位：档案不全"]
    assert listed.region_name.endswith("南关区")
    assert late.is_overdue(TODAY()) and late.overdue_days(TODAY()) == 3


def test_filters_narrow_the_list(make_entry, qc_user, reference_data):
    a = make_entry(source=LedgerSource.SUPERVISION, severity=Severity.CRITICAL, description="甲")
    b = make_entry("plan_submitted", description="乙", due_on=TODAY() + timedelta(days=90))
    c = _past(make_entry(description="丙"))
    assert list(ledger_entries(qc_user, {"source": "supervision"})) == [a]
    assert list(ledger_entries(qc_user, {"status": "plan_submitted"})) == [b]
    assert list(ledger_entries(qc_user, {"overdue_only": True})) == [c]
    assert list(ledger_entries(qc_user, {"severity": "critical"})) == [a]
    assert list(ledger_entries(qc_user, {"due_from": TODAY() + timedelta(days=60)})) == [b]
    assert list(ledger_entries(qc_user, {"due_to": TODAY()})) == [c]
    assert list(ledger_entries(qc_user, {"region": Region.objects.get(code="220100")})) == [c, a, b]
    assert list(ledger_entries(qc_user, {"region": Region.objects.get(code="220200")})) == []
    assert list(ledger_entries(qc_user, {"institution_name": a.institution.name[-3:]})) == [c, a, b]


# ---- Case-report spot checks ---------------------------------------------------------------------

def test_a_spot_check_records_problems_and_opens_entries_from_them(institution, role_users):
    actor = role_users[Role.COMMISSION_CITY]
    check = case_report_check_record(actor=actor, institution=institution, report_kind="examination",
                                     report_number="JL2026-001", sample_date=TODAY(),
                                     problems=["接害因素与检查项目不一致", "", "疑似职业病未上报"])
    problems = list(check.problems.order_by("order"))
    assert [p.description for p in problems] == ["接害因素与检查项目不一致", "疑似职业病未上报"]
    entries = case_report_problems_open(actor=actor, check_id=check.pk, problem_ids=[p.pk for p in problems],
                                        severity=Severity.MAJOR, requirement="补报并说明原因",
                                        due_on=TODAY() + timedelta(days=15))
    assert [e.source for e in entries] == [LedgerSource.CASE_REPORT_CHECK] * 2
    assert entries[0].description == "职业健康检查个案卡 JL2026-001：接害因素与检查项目不一致"
    assert entries[0].source_label == str(check) and entries[0].source_url.endswith(f"/checks/{check.pk}/")
    assert set(CaseReportProblem.objects.values_list("ledger_entry_id", flat=True)) == {e.pk for e in entries}
    with pytest.raises(TransitionError):
        case_report_problems_open(actor=actor, check_id=check.pk, problem_ids=[problems[0].pk],
                                  severity=Severity.MAJOR, requirement="x", due_on=TODAY())
    with pytest.raises(ValidationError) as caught:
        case_report_check_record(actor=actor, institution=institution, report_kind="examination",
                                 report_number="JL2026-001", sample_date=TODAY(), problems=[])
    assert "已登记过" in caught.value.message_dict["report_number"][0]


def test_opening_from_a_spot_check_is_all_or_nothing(institution, qc_user):
    check = case_report_check_record(actor=qc_user, institution=institution, report_kind="diagnosis",
                                     report_number="ZD-9", sample_date=TODAY(), problems=["诊断依据错误", "漏报"])
    ids = list(check.problems.values_list("pk", flat=True))
    with pytest.raises(ValidationError):
        case_report_problems_open(actor=qc_user, check_id=check.pk, problem_ids=ids, severity=Severity.MINOR,
                                  requirement="x", due_on=TODAY() - timedelta(days=1))
    assert not LedgerEntry.objects.exists()
    assert not CaseReportProblem.objects.filter(ledger_entry__isnull=False).exists()
