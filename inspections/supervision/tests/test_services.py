from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from inspections.supervision import selectors
from inspections.supervision.models import (
    Campaign,
    Finding,
    Penalty,
    SelfInspection,
    SpotCheck,
    SpotCheckEvidence,
    SpotCheckPlan,
)
from inspections.supervision.services import (
    TransitionError,
    campaign_create,
    finding_open_ledger_entry,
    penalty_create,
    penalty_finalise,
    penalty_update,
    self_inspection_file,
    spot_check_plan_create,
    spot_check_record,
)
from portal.accounts.choices import Role
from portal.core.models import StoredFile

from .builders import campaign_for, checked_on, filed_institution, plan_for

pytestmark = pytest.mark.django_db


def _errors(exc) -> dict:
    return exc.value.message_dict


# ---- Campaigns ---------------------------------------------------------------------------------

def test_campaign_scope_defaults_to_accepted_filings_in_jurisdiction(supervisor, institution_user, catalogues):
    other = filed_institution("长春市第二医院", region_code="220104")
    filed_institution("辽宁某医院", region_code="210102")
    campaign = campaign_for(supervisor)
    members = set(campaign.members.values_list("institution_id", flat=True))
    assert members == {institution_user.organisation_id, other.pk}
    assert list(campaign.steps.values_list("name", flat=True)) == ["自查自改"]


def test_city_commission_scope_stays_in_its_city(make_user, institution_user, catalogues):
    filed_institution("吉林市医院", region_code="220202")
    campaign = campaign_for(make_user(Role.COMMISSION_CITY))
    assert list(campaign.members.values_list("institution_id", flat=True)) == [institution_user.organisation_id]


def test_campaign_dates_in_wrong_order_are_refused_and_nothing_is_saved(supervisor, institution_user):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        campaign_create(actor=supervisor, name="倒序", period_start=today, period_end=today - timedelta(days=1),
                        steps=[{"name": "自查自改", "starts_on": today + timedelta(days=5), "ends_on": today}])
    errors = _errors(exc)
    assert errors["period_end"] == ["结束日期不能早于开始日期。"]
    assert errors["steps"] == ["第1个阶段：结束日期不能早于开始日期。"]
    assert not Campaign.objects.exists()


def test_step_outside_the_period_is_refused(supervisor, institution_user):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        campaign_create(actor=supervisor, name="越界", period_start=today, period_end=today + timedelta(days=9),
                        steps=[{"name": "执法检查", "starts_on": today, "ends_on": today + timedelta(days=10)}])
    assert _errors(exc)["steps"] == ["第1个阶段：起止日期应在专项治理期间内。"]


def test_only_planning_roles_create_campaigns(make_user, institution_user):
    with pytest.raises(PermissionDenied):
        campaign_for(make_user(Role.QC_CENTER))


def test_institution_outside_jurisdiction_is_refused(make_user, catalogues, reference_data):
    county = make_user(Role.COMMISSION_COUNTY)
    far = filed_institution("吉林市医院", region_code="220202")
    with pytest.raises(ValidationError) as exc:
        campaign_for(county, institutions=[far])
    assert "吉林市医院" in _errors(exc)["institutions"][0]


# ---- Self-inspection -----------------------------------------------------------------------------

def _member(campaign, user):
    return campaign.members.get(institution=user.organisation)


def test_self_inspection_takes_categories_from_the_filing(supervisor, institution_user):
    campaign = campaign_for(supervisor)
    start = campaign.period_start
    si = self_inspection_file(actor=institution_user, member_id=_member(campaign, institution_user).pk,
                              off_site=True, employers_examined=12, workers_examined=340,
                              problems=[{"description": "档案不全", "fix_on": start + timedelta(days=3)}])
    assert si.categories == ["dust", "physical"]
    assert si.address == "人民大街100号"
    assert [p.description for p in si.problems.all()] == ["档案不全"]
    # Filing again replaces the answers.
    si = self_inspection_file(actor=institution_user, member_id=si.member_id, off_site=False,
                              employers_examined=13, workers_examined=341, problems=[])
    assert SelfInspection.objects.count() == 1 and si.problems.count() == 0 and si.employers_examined == 13


def test_self_inspection_bad_input_reports_every_error_and_saves_nothing(supervisor, institution_user):
    campaign = campaign_for(supervisor)
    exe = SimpleUploadedFile("自查报告.pdf", b"MZ\x90\x00\x03\x00\x00\x00", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        self_inspection_file(
            actor=institution_user, member_id=_member(campaign, institution_user).pk, off_site=False,
            employers_examined=-1, workers_examined=-5, report=exe,
            problems=[{"description": "未培训", "fix_on": campaign.period_start - timedelta(days=1)}])
    errors = _errors(exc)
    assert errors["employers_examined"] == ["职业健康检查家数不能为负数。"]
    assert errors["workers_examined"] == ["职业健康检查人数不能为负数。"]
    assert errors["problems"] == [
        f"第1个问题：整改日期不能早于专项治理开始日期（{campaign.period_start.isoformat()}）。"]
    assert "类型不受支持" in errors["report"][0]
    assert not SelfInspection.objects.exists()
    assert not StoredFile.objects.exists()


def test_institution_cannot_file_for_another_institution(supervisor, institution_user, other_institution):
    campaign = campaign_for(supervisor)
    other_member = campaign.members.get(institution=other_institution)
    with pytest.raises(PermissionDenied):
        self_inspection_file(actor=institution_user, member_id=other_member.pk, off_site=False,
                             employers_examined=1, workers_examined=1, problems=[])


def test_not_filed_lists_the_institutions_that_owe_a_self_inspection(supervisor, institution_user,
                                                                     other_institution):
    campaign = campaign_for(supervisor)
    self_inspection_file(actor=institution_user, member_id=_member(campaign, institution_user).pk,
                         off_site=False, employers_examined=1, workers_examined=2, problems=[])
    assert [m.institution for m in selectors.not_filed(campaign)] == [other_institution]


# ---- Spot-checks, findings, penalties ------------------------------------------------------------------

def _done_check(supervisor, institution, findings=(("no_archives", "档案缺失"),)):
    plan = plan_for(supervisor, [institution])
    check = plan.checks.get()
    return spot_check_record(actor=supervisor, check_id=check.pk, checked_on=checked_on(), inspectors="赵强",
                             findings=[{"category": c, "description": d} for c, d in findings])


def test_plan_and_record_findings(supervisor, institution_user):
    check = _done_check(supervisor, institution_user.organisation,
                        findings=[("chief_examiner", "主检医师资格不符"), ("other", "其他")])
    assert check.status == "done"
    assert list(check.findings.values_list("category", flat=True)) == ["chief_examiner", "other"]
    with pytest.raises(TransitionError):
        spot_check_record(actor=supervisor, check_id=check.pk, checked_on=checked_on(), inspectors="赵强")


def test_record_refuses_future_date_unknown_category_and_wrong_file(supervisor, institution_user):
    check = plan_for(supervisor, [institution_user.organisation]).checks.get()
    txt = SimpleUploadedFile("记录.pdf", b"plain text", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        spot_check_record(actor=supervisor, check_id=check.pk,
                          checked_on=timezone.localdate() + timedelta(days=1), inspectors="",
                          findings=[{"category": "nonsense", "description": "x"}], evidence=[txt])
    errors = _errors(exc)
    assert set(errors) == {"checked_on", "inspectors", "findings", "evidence"}
    check.refresh_from_db()
    assert check.status == "planned"
    assert not Finding.objects.exists() and not SpotCheckEvidence.objects.exists()


def test_only_the_organiser_records_on_its_plan(supervisor, make_user, institution_user):
    check = plan_for(supervisor, [institution_user.organisation]).checks.get()
    with pytest.raises(PermissionDenied):
        spot_check_record(actor=make_user(Role.COMMISSION_PROVINCE), check_id=check.pk,
                          checked_on=checked_on(), inspectors="某人")


def test_plan_refuses_institutions_outside_jurisdiction(make_user, institution_user, catalogues):
    far = filed_institution("吉林市医院", region_code="220202")
    with pytest.raises(ValidationError) as exc:
        spot_check_plan_create(actor=make_user(Role.COMMISSION_CITY), year=timezone.localdate().year,
                               name="计划", institutions=[far])
    assert "institutions" in _errors(exc)
    assert not SpotCheckPlan.objects.exists() and not SpotCheck.objects.exists()


def test_penalty_dates_and_amounts(supervisor, institution_user):
    check = _done_check(supervisor, institution_user.organisation)
    with pytest.raises(ValidationError) as exc:
        penalty_create(actor=supervisor, check_id=check.pk, warning=False, fine=Decimal("-1"),
                       decision_number="", decided_on=check.checked_on - timedelta(days=1))
    errors = _errors(exc)
    assert errors["fine"] == ["罚款金额不能为负数。"]
    assert errors["decision_number"] == ["请填写处罚决定书文号。"]
    assert errors["decided_on"] == [f"处罚决定日期不能早于检查日期（{check.checked_on.isoformat()}）。"]
    with pytest.raises(ValidationError) as exc:
        penalty_create(actor=supervisor, check_id=check.pk, warning=False, fine=0, decision_number="罚1号",
                       decided_on=check.checked_on)
    assert _errors(exc)["fine"] == ["请选择警告或填写罚款金额。"]
    assert not Penalty.objects.exists()


def test_final_penalty_is_immutable_and_published(supervisor, institution_user):
    check = _done_check(supervisor, institution_user.organisation)
    penalty = penalty_create(actor=supervisor, check_id=check.pk, warning=True, fine=Decimal("1.5"),
                             decision_number="罚1号", decided_on=check.checked_on)
    penalty = penalty_update(actor=supervisor, penalty_id=penalty.pk, warning=True, fine=Decimal("2"),
                             decision_number="罚1号", decided_on=check.checked_on)
    province = institution_user.organisation.province
    assert list(selectors.final_penalties(province, timezone.localdate())) == []
    penalty_finalise(actor=supervisor, penalty_id=penalty.pk)
    with pytest.raises(TransitionError):
        penalty_update(actor=supervisor, penalty_id=penalty.pk, warning=False, fine=Decimal("9"),
                       decision_number="罚9号", decided_on=check.checked_on)
    with pytest.raises(TransitionError):
        penalty_finalise(actor=supervisor, penalty_id=penalty.pk)
    penalty.refresh_from_db()
    assert (penalty.fine, penalty.decision_number, penalty.status) == (Decimal("2"), "罚1号", "final")
    assert list(selectors.final_penalties(province, timezone.localdate())) == [penalty]
    assert list(selectors.final_penalties(province, check.checked_on - timedelta(days=1))) == []
    assert list(selectors.final_penalties(province.pk + 1, timezone.localdate())) == []


def test_finding_goes_on_the_ledger_once(supervisor, institution_user):
    check = _done_check(supervisor, institution_user.organisation)
    finding = check.findings.get()
    entry = finding_open_ledger_entry(actor=supervisor, finding_id=finding.pk, severity="major",
                                      requirement="整改", due_on=timezone.localdate() + timedelta(days=30))
    assert entry.source == "supervision" and entry.institution == institution_user.organisation
    assert "未按要求建立档案" in entry.description
    finding.refresh_from_db()
    assert finding.ledger_entry == entry
    with pytest.raises(TransitionError):
        finding_open_ledger_entry(actor=supervisor, finding_id=finding.pk, severity="major",
                                  requirement="整改", due_on=timezone.localdate() + timedelta(days=30))
