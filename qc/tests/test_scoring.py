"""Saving scores: every line is checked before anything is written, and the totals follow."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.core.models import StoredFile
from qc.models import Assessment, Indicator, Score
from qc.services import ScoreEntry, assessment_save_scores, line_key

from .helpers import leaves

D = Decimal


def entry(line, **values):
    sheet, indicator = line
    return ScoreEntry(assessment_sheet_id=sheet.pk, indicator_id=indicator.pk, **values)


def save(assessment, actor, *entries):
    return assessment_save_scores(assessment_id=assessment.pk, entries=list(entries), actor=actor)


def snapshot(assessment):
    assessment.refresh_from_db()
    return (list(Score.objects.filter(assessment_sheet__assessment=assessment)
                 .values_list("indicator__code", "deducted", "note")),
            assessment.total_score, assessment.grade, AuditEntry.objects.count())


@pytest.fixture
def assessment(make_assessment):
    return make_assessment()


def test_a_valid_batch_saves_and_recomputes(assessment, qc_user):
    inst, dust = leaves(assessment), leaves(assessment, "dust")
    result = save(assessment, qc_user,
                  entry(inst["2.1.3"], deducted="1", note="1人未参加继续教育"),
                  entry(inst["5.3.1"], occurrences="3"),  # 3 × 0.5
                  entry(dust["1.1.2"], deducted="2.0"))

    scores = {s.indicator.code: s for s in Score.objects.filter(assessment_sheet__assessment=assessment)
              .select_related("indicator")}
    assert {c: s.deducted for c, s in scores.items()} == {"2.1.3": D("1"), "5.3.1": D("1.5"), "1.1.2": D("2")}
    assert scores["5.3.1"].occurrences == 3 and scores["2.1.3"].note == "1人未参加继续教育"
    assessment.refresh_from_db()
    assert assessment.total_score == result.total and assessment.grade == result.grade == "优秀"
    assert assessment.sheets.get(category="").awarded == D("92.5")
    entry_row = AuditEntry.objects.get(action="qc.assessment.scores_saved")
    assert set(entry_row.new) >= {f"{assessment.sheets.get(category='').version.sheet.name} 2.1.3", "总分/等级"}


def test_occurrences_never_deduct_more_than_the_line(assessment, qc_user):
    inst = leaves(assessment)
    save(assessment, qc_user, entry(inst["5.3.1"], occurrences="40"))
    assert Score.objects.get().deducted == D("3")


OUT_OF_RANGE = [
    ({"deducted": "4.5"}, "扣分 4.5 超过该项分值 4.0"),
    ({"deducted": "-0.5"}, "扣分 -0.5 不能为负数"),
    ({"deducted": "0.25"}, "扣分 0.25 不是 0.1 的整数倍"),
    ({"deducted": "两分"}, "扣分「两分」不是数字"),
    ({"occurrences": "-1"}, "问题处数「-1」应为不小于 0 的整数"),
]


@pytest.mark.parametrize(("values", "expected"), OUT_OF_RANGE)
def test_a_score_outside_range_or_step_saves_nothing(values, expected, assessment, qc_user):
    inst = leaves(assessment)
    save(assessment, qc_user, entry(inst["2.1.3"], deducted="0.5"))
    before = snapshot(assessment)

    with pytest.raises(ValidationError) as exc:
        # A valid line in the same batch is not saved either.
        save(assessment, qc_user, entry(inst["6.2.2"], deducted="1"), entry(inst["2.1.3"], deducted="1"),
             entry(inst["2.1.1"], **values))
    key = line_key(inst["2.1.1"][0].pk, inst["2.1.1"][1].pk)
    assert list(exc.value.message_dict) == [key]
    assert expected in exc.value.message_dict[key][0]
    assert exc.value.message_dict[key][0].startswith("吉林省职业健康检查机构质量控制评分表（机构综合） 2.1.1：")
    assert snapshot(assessment) == before


def test_an_answer_to_a_line_of_another_sheet_version_is_refused(assessment, qc_user, samples):
    inst, dust = leaves(assessment), leaves(assessment, "dust")
    before = snapshot(assessment)
    # A work-sample line posted against the institution-level sheet.
    wrong_sheet = ScoreEntry(assessment_sheet_id=inst["2.1.1"][0].pk, indicator_id=dust["1.1.1"][1].pk,
                             deducted="1")
    # The same code in another version of the same sheet.
    from qc.services import sheet_version_new_from

    copy = sheet_version_new_from(version_id=inst["2.1.1"][0].version_id, actor=qc_user)
    other_version = ScoreEntry(assessment_sheet_id=inst["2.1.1"][0].pk,
                               indicator_id=Indicator.objects.get(version=copy, code="2.1.1").pk, deducted="1")
    # A parent line, which is never scored itself.
    parent = ScoreEntry(assessment_sheet_id=inst["2.1.1"][0].pk,
                        indicator_id=Indicator.objects.get(version=inst["2.1.1"][0].version, code="2.1").pk,
                        deducted="1")
    with pytest.raises(ValidationError) as exc:
        save(assessment, qc_user, entry(inst["2.1.3"], deducted="1"), wrong_sheet, other_version, parent)

    messages = exc.value.message_dict
    assert "不属于本次考核所用的「吉林省职业健康检查机构质量控制评分表（机构综合）」第 1 版" in \
        messages[line_key(wrong_sheet.assessment_sheet_id, wrong_sheet.indicator_id)][0]
    assert "不属于本次考核所用的" in messages[line_key(other_version.assessment_sheet_id, other_version.indicator_id)][0]
    assert "「2.1」不是末级指标" in messages[line_key(parent.assessment_sheet_id, parent.indicator_id)][0]
    assert snapshot(assessment)[:3] == before[:3]


def test_a_sheet_of_another_assessment_is_refused(make_assessment, qc_user):
    first, second = make_assessment(), make_assessment(("dust",))
    line = leaves(second)["2.1.3"]
    with pytest.raises(ValidationError) as exc:
        save(first, qc_user, entry(line, deducted="1"))
    assert "评分表不属于本次考核" in exc.value.messages[0]
    assert not Score.objects.exists()


def test_a_line_that_does_not_apply_cannot_be_deducted(assessment, qc_user):
    radiation_line = leaves(assessment)["1.1.3"]  # needs filed radiation items; none are filed
    with pytest.raises(ValidationError) as exc:
        save(assessment, qc_user, entry(radiation_line, deducted="1"))
    assert "不适用于本机构（合理缺项）" in exc.value.messages[0]
    # Submitting it blank (as the page may) is harmless.
    save(assessment, qc_user, entry(radiation_line, deducted="", note=""))
    assert not Score.objects.exists()


def test_clearing_a_line_removes_its_deduction(assessment, qc_user):
    line = leaves(assessment)["2.1.3"]
    save(assessment, qc_user, entry(line, deducted="1", note="x"))
    result = save(assessment, qc_user, entry(line, deducted="", note=""))
    assert not Score.objects.exists()
    assert result.institution_score == D("100.0")


def test_only_the_team_scores(assessment, make_user):
    line = leaves(assessment)["2.1.3"]
    outsider = make_user(Role.QC_CENTER)
    with pytest.raises(PermissionDenied):
        save(assessment, outsider, entry(line, deducted="1"))
    save(assessment, make_user(Role.PROVINCE_ADMIN), entry(line, deducted="1"))
    assert Score.objects.count() == 1


def test_evidence_is_stored_with_the_line_and_a_wrong_type_is_refused(assessment, qc_user):
    line = leaves(assessment)["2.1.3"]
    with pytest.raises(ValidationError) as exc:
        save(assessment, qc_user, entry(line, deducted="1", evidence=SimpleUploadedFile("x.pdf", b"MZ\x90\x00")))
    assert "类型不受支持" in exc.value.messages[0]
    assert not StoredFile.objects.exists() and not Score.objects.exists()

    save(assessment, qc_user, entry(line, deducted="1", evidence=SimpleUploadedFile("培训记录.pdf", b"%PDF-1.4 x")))
    score = Score.objects.get()
    assert score.evidence.original_name == "培训记录.pdf"
    assert score.evidence.province_id == assessment.province_id
    save(assessment, qc_user, entry(line, deducted="1", clear_evidence=True))
    assert Score.objects.get().evidence_id is None


def test_saving_the_same_values_again_writes_nothing(assessment, qc_user):
    line = leaves(assessment)["2.1.3"]
    save(assessment, qc_user, entry(line, deducted="1"))
    audits = AuditEntry.objects.count()
    save(assessment, qc_user, entry(line, deducted="1.0"))
    assert AuditEntry.objects.count() == audits
    assert Assessment.objects.get().total_score is not None


def test_saving_many_lines_takes_a_fixed_number_of_queries(assessment, qc_user, django_assert_max_num_queries):
    lines = [line for category in ("", "dust", "chemical", "physical")
             for line in leaves(assessment, category).values()]
    applicable = [line for line in lines if line[1].applicability == "always" and line[1].code != "3.1.3"
                  and line[1].code != "3.1.2"]
    assert len(applicable) > 100
    with django_assert_max_num_queries(20):
        save(assessment, qc_user, *[entry(line, deducted="0.1") for line in applicable])
    assert Score.objects.count() == len(applicable)
