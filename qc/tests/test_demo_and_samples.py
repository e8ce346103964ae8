"""The shipped sample sheets and the demo seeding."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.apps import apps
from django.utils import timezone

from portal.core.demo import DemoContext
from qc.choices import SheetPart, SheetVersionStatus
from qc.models import Assessment, Indicator, QCScheme, ScoringSheet, SheetVersion
from qc.services import qc_samples_load

D = Decimal


def test_the_sample_sheets_follow_the_published_structure(province, samples):
    institution = SheetVersion.objects.get(sheet__code="JL-ZJ-JG")
    work = SheetVersion.objects.get(sheet__code="JL-ZJ-YB")
    assert institution.status == work.status == SheetVersionStatus.PUBLISHED
    assert list(Indicator.objects.filter(version=institution, level=1).values_list("title", "max_points")) == [
        ("组织机构", D("10")), ("人员配置", D("19")), ("仪器设备", D("20")), ("工作场所", D("10")),
        ("质量管理", D("31")), ("信息报告", D("10"))]
    assert list(Indicator.objects.filter(version=work, level=1).values_list("title", "max_points")) == [
        ("报告质量", D("30")), ("实践技能", D("35")), ("实验室质量控制", D("10")), ("档案管理", D("25"))]
    keys = list(Indicator.objects.filter(version=institution, is_key=True).values_list("title", flat=True))
    assert [k[:6] for k in keys] == ["主检医师资质", "职业禁忌证判", "疑似职业病界"]
    assert work.sheet.part == SheetPart.WORK_SAMPLE and work.sheet.category == ""
    scheme = QCScheme.objects.get(province=province, year=2026)
    assert (scheme.institution_weight, scheme.work_sample_weight) == (D("40"), D("60"))
    assert [b.label for b in scheme.bands.all()] == ["优秀", "合格", "不合格"]


def test_loading_the_samples_twice_adds_nothing(province, samples):
    assert qc_samples_load(province=province) == {"sheets": 0, "schemes": 0}
    assert ScoringSheet.objects.count() == 2 and SheetVersion.objects.count() == 2


def test_seed_demo_scores_a_few_institutions_and_is_safe_to_run_twice(province, qc_user, filed_institution):
    orgs = [filed_institution(("dust", "physical"), name=f"演示机构{n}") for n in range(3)]
    ctx = DemoContext(province=province, orgs={"institution": orgs[1]}, users={"zk_jl": qc_user})
    config = apps.get_app_config("qc")
    config.seed_demo(ctx)
    config.seed_demo(ctx)

    assessments = list(Assessment.objects.filter(year=timezone.localdate().year).order_by("pk"))
    assert len(assessments) == 3
    assert assessments[0].institution == orgs[1]
    assert all(a.total_score is not None and a.grade for a in assessments)
    assert [a.passed for a in assessments][2] is False and assessments[2].failed_key_items
    from qc.models import QCPlan, Suspension

    assert [a.status for a in assessments] == ["final", "sent", "final"]
    assert assessments[1].response_due_on >= date.today()
    assert Suspension.objects.get().assessment == assessments[2]
    assert QCPlan.objects.get().items.count() == 3


def test_seed_demo_leaves_one_assessment_in_draft_and_a_self_assessment_with_evidence(province, qc_user,
                                                                                      filed_institution, make_user):
    from portal.accounts.choices import Role
    from qc import selectors
    from qc.choices import AssessmentKind

    orgs = [filed_institution(("dust",), name=f"演示机构{n}") for n in range(4)]
    institution_user = make_user(Role.INSTITUTION, organisation=orgs[0])
    ctx = DemoContext(province=province, orgs={"institution": orgs[0]},
                      users={"zk_jl": qc_user, "jg_ccz": institution_user})
    config = apps.get_app_config("qc")
    config.seed_demo(ctx)
    config.seed_demo(ctx)

    official = list(Assessment.objects.filter(kind=AssessmentKind.OFFICIAL, year=timezone.localdate().year)
                    .order_by("pk"))
    assert [a.status for a in official] == ["final", "sent", "final", "draft"]
    own = Assessment.objects.get(kind=AssessmentKind.SELF)
    assert (own.institution, own.status) == (orgs[0], "final")
    assert selectors.self_assessment_beside(official[0]) == own
    lines = selectors.self_assessment_lines(own)
    assert sorted(code for _part, _category, code in lines) == ["2.1.3", "3.2.1"]
    assert all(score.evidence.original_name.endswith(".pdf") and score.note for score in lines.values())


def test_seed_demo_holds_last_year_s_round_final_and_rectified_then(province, qc_user, filed_institution):
    """Institutions on file before last year began were assessed last year: results final then, a few
    failing (one on a key item), their findings on the ledger and mostly closed within the year."""
    from filing.models import Filing
    from portal.audit.models import AuditEntry
    from qc.choices import AssessmentKind
    from qc.ledger.models import LedgerEntry
    from qc.models import QCScheme

    today = timezone.localdate()
    last_year = today.year - 1
    orgs = [filed_institution(("dust", "physical"), name=f"往年考核机构{n}") for n in range(9)]
    Filing.objects.filter(institution__in=orgs).update(filed_on=date(last_year - 1, 6, 1))
    ctx = DemoContext(province=province, orgs={}, users={"zk_jl": qc_user})
    config = apps.get_app_config("qc")
    config.seed_demo(ctx)
    counts = (Assessment.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count())
    config.seed_demo(ctx)
    assert (Assessment.objects.count(), LedgerEntry.objects.count(), AuditEntry.objects.count()) == counts

    assert QCScheme.objects.filter(province=province, year=last_year).exists()
    finals = list(Assessment.objects.filter(year=last_year, kind=AssessmentKind.OFFICIAL).order_by("pk"))
    assert len(finals) == 8  # one institution in nine was not reached
    for result in finals:
        assert result.status == "final" and result.assessed_on.year == last_year
        assert result.assessed_on < timezone.localdate(result.sent_at) < result.response_due_on
        assert result.response_due_on < timezone.localdate(result.finalised_at) <= date(last_year, 12, 31)
        assert result.contraindications_found is not None and result.case_report_timeliness is not None
    assert sum(1 for a in finals if not a.passed) >= 2
    assert [a.failed_key_items[0]["code"] for a in finals if a.failed_key_items] == ["5.2.3"]
    entries = list(LedgerEntry.objects.filter(source="qc_assessment", source_id__in=[str(a.pk) for a in finals])
                   .order_by("pk"))
    assert len(entries) >= 3 and all(e.opened_at.year == last_year for e in entries)
    statuses = [e.status for e in entries]
    assert statuses.count("closed") >= len(entries) - 2 and "accepted" in statuses  # one left open, overdue
    assert all(e.closed_on.year == last_year for e in entries if e.closed_on)
    assert all(e.due_on < today for e in entries)
    # This year's demo assessments are made as before.
    assert Assessment.objects.filter(year=today.year, kind=AssessmentKind.OFFICIAL).count() == 4
