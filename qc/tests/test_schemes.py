"""A scheme's weights and bands are checked as a whole before it is saved."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from qc.models import QCScheme
from qc.services import BandSpec, scheme_create

D = Decimal
BANDS = [BandSpec("优秀", D("90"), True), BandSpec("合格", D("70"), True), BandSpec("不合格", D("0"), False)]


def create(province, actor, **changes):
    values = {"year": 2027, "name": "2027年度方案", "institution_weight": D("40"), "work_sample_weight": D("60"),
              "bands": BANDS, "key_item_pass_ratio": D("1")}
    return scheme_create(province=province, actor=actor, **{**values, **changes})


def test_a_sound_scheme_is_saved_with_its_bands(province, qc_user):
    scheme = create(province, qc_user)
    assert [(b.label, b.min_score, b.passed) for b in scheme.bands.all()] == [
        ("优秀", D("90.0"), True), ("合格", D("70.0"), True), ("不合格", D("0.0"), False)]


@pytest.mark.parametrize(("changes", "field", "expected"), [
    ({"work_sample_weight": D("50")}, "work_sample_weight", "两部分权重合计应为 100%，现为 90%"),
    ({"bands": BANDS[:2]}, "bands", "须有一个最低分为 0 的等级"),
    ({"bands": [*BANDS, BandSpec("良好", D("90"), True)]}, "bands", "最低分 90 出现了两次"),
    ({"bands": [BandSpec("合格", D("60"), True), BandSpec("待改进", D("80"), False), BandSpec("差", D("0"), False)]},
     "bands", "等级「合格」分数低于不合格等级「待改进」，却被设为合格"),
    ({"bands": [BandSpec("合格", D("60"), True), BandSpec("一般", D("0"), True)]}, "bands",
     "需要一个不合格等级来标示结果"),
    ({"bands": [BandSpec("优秀", D("90.05"), True), *BANDS[1:]]}, "bands", "为 0.1 的整数倍"),
    ({"key_item_pass_ratio": D("1.5")}, "key_item_pass_ratio", "得分率应在 0–1 之间"),
])
def test_a_scheme_that_cannot_grade_is_refused(changes, field, expected, province, qc_user):
    with pytest.raises(ValidationError) as exc:
        create(province, qc_user, **changes)
    assert any(expected in m for m in exc.value.message_dict[field]), exc.value.message_dict
    assert not QCScheme.objects.exists()


def test_one_scheme_per_province_and_year(province, qc_user):
    create(province, qc_user)
    with pytest.raises(ValidationError) as exc:
        create(province, qc_user)
    assert "2027 年度已有考核方案" in exc.value.message_dict["year"][0]


def test_response_window_and_coverage_rule_are_saved_and_audited(province, qc_user):
    from portal.audit.models import AuditEntry
    from qc.choices import CoverageRule
    from qc.services import scheme_update

    scheme = create(province, qc_user, response_days=15, coverage_rule=CoverageRule.YEARLY_ALL)
    assert (scheme.response_days, scheme.coverage_rule) == (15, CoverageRule.YEARLY_ALL)
    created = AuditEntry.objects.get(action="qc.scheme.created")
    assert created.new["response_days"] == 15 and created.new["coverage_rule"] == "yearly_all"

    scheme_update(scheme_id=scheme.pk, name=scheme.name, institution_weight=D("40"), work_sample_weight=D("60"),
                  work_sample_averaging="mean", key_item_fails=True, key_item_pass_ratio=D("1"), bands=BANDS,
                  response_days=20, coverage_rule=CoverageRule.PROVINCIAL_SHARE_CITY_ALL, actor=qc_user)
    scheme.refresh_from_db()
    assert (scheme.response_days, scheme.coverage_rule) == (20, CoverageRule.PROVINCIAL_SHARE_CITY_ALL)
    updated = AuditEntry.objects.get(action="qc.scheme.updated")
    assert (updated.old["response_days"], updated.new["response_days"]) == (15, 20)
    assert (updated.old["coverage_rule"], updated.new["coverage_rule"]) == ("yearly_all", "provincial_share_city_all")

    # Left out, both keep their values.
    scheme_update(scheme_id=scheme.pk, name="改名", institution_weight=D("40"), work_sample_weight=D("60"),
                  work_sample_averaging="mean", key_item_fails=True, key_item_pass_ratio=D("1"), bands=BANDS,
                  actor=qc_user)
    scheme.refresh_from_db()
    assert (scheme.response_days, scheme.coverage_rule) == (20, CoverageRule.PROVINCIAL_SHARE_CITY_ALL)


@pytest.mark.parametrize(("changes", "field", "expected"), [
    ({"response_days": 0}, "response_days", "机构反馈期限应为 1–60 个工作日的整数"),
    ({"response_days": 61}, "response_days", "机构反馈期限应为 1–60 个工作日的整数"),
    ({"response_days": "10"}, "response_days", "机构反馈期限应为 1–60 个工作日的整数"),
    ({"response_days": True}, "response_days", "机构反馈期限应为 1–60 个工作日的整数"),
    ({"coverage_rule": "monthly"}, "coverage_rule", "未知的年度覆盖要求"),
])
def test_a_bad_response_window_or_coverage_rule_is_refused(changes, field, expected, province, qc_user):
    with pytest.raises(ValidationError) as exc:
        create(province, qc_user, **changes)
    assert exc.value.message_dict[field] == [expected + "。"]
    assert not QCScheme.objects.exists()


def test_an_update_with_a_bad_response_window_changes_nothing(province, qc_user):
    from portal.audit.models import AuditEntry
    from qc.services import scheme_update

    scheme = create(province, qc_user)
    with pytest.raises(ValidationError) as exc:
        scheme_update(scheme_id=scheme.pk, name=scheme.name, institution_weight=D("40"),
                      work_sample_weight=D("60"), work_sample_averaging="mean", key_item_fails=True,
                      key_item_pass_ratio=D("1"), bands=BANDS, response_days=90, coverage_rule="yearly_all",
                      actor=qc_user)
    assert set(exc.value.message_dict) == {"response_days"}
    scheme.refresh_from_db()
    assert scheme.response_days == 10 and scheme.coverage_rule == "biennial_all"
    assert not AuditEntry.objects.filter(action="qc.scheme.updated").exists()
