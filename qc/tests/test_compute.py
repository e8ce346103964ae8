"""compute_result: sheet scores in proportion to the lines that apply, part weights, averaging over the
categories assessed, grade bands as configured, and key items that fail a high total."""

from __future__ import annotations

from decimal import Decimal

import pytest

from qc.choices import SheetPart, WorkSampleAveraging
from qc.models import QCScheme
from qc.scoring import Band, Line, Rules, SheetInput, evaluate
from qc.services import BandSpec, ScoreEntry, assessment_save_scores, compute_result, scheme_update

from .helpers import leaves

D = Decimal


def deduct(assessment, actor, lines: dict):
    entries = [ScoreEntry(assessment_sheet_id=sheet.pk, indicator_id=indicator.pk, **values)
               for (sheet, indicator), values in lines.items()]
    return assessment_save_scores(assessment_id=assessment.pk, entries=entries, actor=actor)


@pytest.fixture
def scored(make_assessment, qc_user):
    """Dust, chemical and physical filed; no radiation, so radiation lines do not count."""
    assessment = make_assessment()
    inst, dust, physical = leaves(assessment), leaves(assessment, "dust"), leaves(assessment, "physical")
    deduct(assessment, qc_user, {
        inst["2.1.3"]: {"deducted": "1"},
        inst["5.3.1"]: {"occurrences": "3"},
        dust["1.1.2"]: {"deducted": "2"},
        physical["4.2.2"]: {"deducted": "3"},
    })
    return assessment


def test_parts_are_scored_in_proportion_weighted_and_averaged(scored):
    result = compute_result(scored)
    by_category = {r.category: r for r in result.sheets}

    # Institution: 1.1.3, 2.2.3, 3.2.3 and 4.2.1 need radiation items: 95 points apply, 92.5 earned.
    assert (by_category[""].applicable_max, by_category[""].awarded, by_category[""].score) == \
        (D("95.0"), D("92.5"), D("97.4"))
    # Work samples: 3.2.2 is for the radiation category only, so 98 points apply on each.
    assert [(by_category[c].awarded, by_category[c].score) for c in ("dust", "chemical", "physical")] == \
        [(D("96.0"), D("98.0")), (D("98.0"), D("100.0")), (D("95.0"), D("96.9"))]
    assert result.part_scores == {SheetPart.INSTITUTION: D("97.4"), SheetPart.WORK_SAMPLE: D("98.3")}
    # 40% × 97.4 + 60% × 98.3 = 97.94
    assert result.total == D("97.9")
    assert (result.grade, result.passed, result.failed_key_items) == ("优秀", True, [])
    groups = {g.code: g for g in by_category[""].groups}
    assert (groups["2"].awarded, groups["2"].applicable_max) == (D("17.0"), D("18.0"))
    scored.refresh_from_db()
    assert (scored.institution_score, scored.work_sample_score, scored.total_score, scored.grade, scored.passed) == \
        (D("97.4"), D("98.3"), D("97.9"), "优秀", True)


def test_the_lowest_category_can_stand_for_the_work_samples(scored, qc_user):
    scheme = scored.scheme
    scheme_update(scheme_id=scheme.pk, name=scheme.name, institution_weight=D("40"), work_sample_weight=D("60"),
                  work_sample_averaging=WorkSampleAveraging.LOWEST, key_item_fails=True,
                  key_item_pass_ratio=scheme.key_item_pass_ratio,
                  bands=[BandSpec(b.label, b.min_score, b.passed) for b in scheme.bands.all()], actor=qc_user)
    result = compute_result(scored)
    assert result.work_sample_score == D("96.9")
    assert result.total == D("97.1")  # 38.96 + 58.14
    scored.refresh_from_db()
    assert scored.total_score == D("97.1"), "a scheme change refreshes the cached result"


def test_radiation_lines_count_when_radiation_items_are_filed(make_assessment):
    assessment = make_assessment(("radiation",))
    result = compute_result(assessment)
    by_category = {r.category: r for r in result.sheets}
    assert by_category[""].applicable_max == D("96.0")  # everything but the dust DR and physical audiometry lines
    assert by_category["radiation"].applicable_max == D("100.0")


def test_a_failed_key_item_fails_a_high_total(make_assessment, qc_user):
    assessment = make_assessment()
    key_line = leaves(assessment)["5.2.2"]  # ★ 职业禁忌证判定与告知, 4 points, 2 per case
    result = deduct(assessment, qc_user, {key_line: {"occurrences": "1"}})

    assert result.total == D("99.2")
    assert result.grade_by_score == "优秀"
    assert (result.grade, result.passed) == ("不合格", False)
    assert [(f.code, f.awarded, f.max_points) for f in result.failed_key_items] == [("5.2.2", D("2.0"), D("4.0"))]
    assessment.refresh_from_db()
    assert assessment.passed is False and assessment.failed_key_items[0]["code"] == "5.2.2"


def test_a_key_item_at_the_pass_ratio_passes(make_assessment, qc_user):
    assessment = make_assessment()
    # 2.2.2 (★, 9 points): 60% is 5.4; earning exactly 5.4 passes, 5.3 fails.
    line = leaves(assessment, "dust")["2.2.2"]
    assert deduct(assessment, qc_user, {line: {"deducted": "3.6"}}).passed is True
    result = deduct(assessment, qc_user, {line: {"deducted": "3.7"}})
    assert result.passed is False and result.failed_key_items[0].category == "dust"


def test_without_the_veto_a_key_item_only_costs_its_points(make_assessment, qc_user):
    assessment = make_assessment()
    scheme = QCScheme.objects.get(pk=assessment.scheme_id)
    scheme_update(scheme_id=scheme.pk, name=scheme.name, institution_weight=D("40"), work_sample_weight=D("60"),
                  work_sample_averaging=scheme.work_sample_averaging, key_item_fails=False,
                  key_item_pass_ratio=scheme.key_item_pass_ratio,
                  bands=[BandSpec(b.label, b.min_score, b.passed) for b in scheme.bands.all()], actor=qc_user)
    result = deduct(assessment, qc_user, {leaves(assessment)["2.1.1"]: {"deducted": "4"}})
    assert result.failed_key_items and (result.grade, result.passed) == ("优秀", True)


# ---------------------------------------------------------------- grade bands, without the database


def _single_line(total: str, bands, *, key_fails=True, key_failed=False) -> tuple[str, bool | None]:
    """An institution sheet of one 100-point line deducted to ``total``, and a work-sample sheet of one
    key line that carries no weight, so it can fail without moving the total."""
    institution = SheetInput(1, SheetPart.INSTITUTION, "", "机构", 1, (Line(1, "1.1", "甲", D("100"), False, True, "1"),),
                             (("1", "一级", D("100")),))
    work = SheetInput(2, SheetPart.WORK_SAMPLE, "dust", "样本", 1, (Line(2, "1.1", "关键", D("1"), True, True, "1"),),
                      (("1", "一级", D("1")),))
    deductions = {(1, 1): D("100") - D(total)}
    if key_failed:
        deductions[(2, 2)] = D("1")
    rules = Rules({SheetPart.INSTITUTION: D("100"), SheetPart.WORK_SAMPLE: D("0")}, WorkSampleAveraging.MEAN,
                  key_fails, D("1"), tuple(Band(label, D(score), passed) for label, score, passed in bands))
    result = evaluate([institution, work], deductions, rules)
    assert result.total == D(total)
    return result.grade, result.passed


THREE_BANDS = [("优秀", "90", True), ("合格", "60", True), ("不合格", "0", False)]
FOUR_BANDS = [("优秀", "90", True), ("合格", "80", True), ("基本合格", "60", True), ("不合格", "0", False)]
TWO_BANDS = [("合格", "85", True), ("不合格", "0", False)]


@pytest.mark.parametrize(("bands", "total", "expected"), [
    (THREE_BANDS, "95.0", ("优秀", True)), (THREE_BANDS, "90.0", ("优秀", True)),
    (THREE_BANDS, "89.9", ("合格", True)), (THREE_BANDS, "60.0", ("合格", True)),
    (THREE_BANDS, "59.9", ("不合格", False)), (THREE_BANDS, "0.0", ("不合格", False)),
    (FOUR_BANDS, "90.0", ("优秀", True)), (FOUR_BANDS, "85.0", ("合格", True)),
    (FOUR_BANDS, "79.9", ("基本合格", True)), (FOUR_BANDS, "60.0", ("基本合格", True)),
    (FOUR_BANDS, "59.9", ("不合格", False)),
    (TWO_BANDS, "99.0", ("合格", True)), (TWO_BANDS, "85.0", ("合格", True)), (TWO_BANDS, "84.9", ("不合格", False)),
])
def test_grade_bands_are_configuration(bands, total, expected):
    assert _single_line(total, bands) == expected


@pytest.mark.parametrize("bands", [THREE_BANDS, FOUR_BANDS, TWO_BANDS])
def test_a_failed_key_item_takes_the_highest_failing_band(bands):
    failing = next(label for label, _score, passed in bands if not passed)
    assert _single_line("99.0", bands, key_failed=True) == (failing, False)
    assert _single_line("99.0", bands, key_failed=True, key_fails=False)[1] is True


def test_a_part_with_no_line_that_applies_leaves_the_weights_to_the_others():
    lines = (Line(1, "1.1", "放射", D("100"), False, False, "1"),)
    inst = SheetInput(1, SheetPart.INSTITUTION, "", "机构", 1, (Line(2, "1.1", "甲", D("100"), False, True, "1"),),
                      (("1", "一", D("100")),))
    work = SheetInput(2, SheetPart.WORK_SAMPLE, "radiation", "样本", 1, lines, (("1", "一", D("100")),))
    rules = Rules({SheetPart.INSTITUTION: D("40"), SheetPart.WORK_SAMPLE: D("60")}, WorkSampleAveraging.MEAN, True,
                  D("1"), (Band("合格", D("60"), True), Band("不合格", D("0"), False)))
    result = evaluate([inst, work], {(1, 2): D("20")}, rules)
    assert result.part_scores[SheetPart.WORK_SAMPLE] is None
    assert result.total == D("80.0")
