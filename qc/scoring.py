"""The scoring engine: from the lines of an assessment's sheets and their deductions to a result.

How a result is made (the province's :class:`~qc.models.QCScheme` supplies every number):

1. A leaf line earns ``max_points - deducted``. A line that does not apply to the
   institution (合理缺项: radiation lines when no radiation items are filed, lines of
   another category) counts neither in the points earned nor in the points possible.
2. A sheet's score is ``earned / applicable points × 100``.
3. The institution part is its sheet's score; the work-sample part combines the
   sheets of the categories assessed (their mean, or the lowest, as configured).
4. The total is the weighted mean of the part scores (weights in per cent); a part
   with no applicable line is left out and the other weights carry the total.
5. The grade is the band with the highest threshold the total reaches.
6. A key item (★) fails when it earns less than ``key_item_pass_ratio × max``;
   when the scheme says so, any failed key item fails the assessment whatever the
   total, and the grade becomes the highest non-passing band.

Every score is rounded half up to 0.1 before it is used one level up, so the figures
shown on the page are the ones that were added.

:func:`evaluate` is pure and runs in one pass; :func:`load_inputs` does the few
queries it needs, so the page and the save share them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from filing.catalogue.choices import ExamCategoryCode

from .choices import POINT_STEP, Applicability, SheetPart, WorkSampleAveraging

HUNDRED = Decimal("100")
ZERO = Decimal("0")


def round_points(value: Decimal) -> Decimal:
    return value.quantize(POINT_STEP, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    """A leaf indicator as used on one assessment sheet."""

    indicator_id: int
    code: str
    title: str
    max_points: Decimal
    is_key: bool
    applies: bool
    group_code: str  # the level-1 indicator it belongs to


@dataclass(frozen=True)
class SheetInput:
    assessment_sheet_id: int
    part: str
    category: str
    sheet_name: str
    version_number: int
    lines: tuple[Line, ...]
    groups: tuple[tuple[str, str, Decimal], ...]  # level-1 (code, title, max points)


@dataclass(frozen=True)
class Band:
    label: str
    min_score: Decimal
    passed: bool


@dataclass(frozen=True)
class Rules:
    """The parts of a scheme the engine needs, detached from the database."""

    weights: dict[str, Decimal]
    averaging: str
    key_item_fails: bool
    key_item_pass_ratio: Decimal
    bands: tuple[Band, ...]  # highest threshold first


@dataclass
class GroupResult:
    code: str
    title: str
    max_points: Decimal
    applicable_max: Decimal
    awarded: Decimal


@dataclass
class SheetResult:
    assessment_sheet_id: int
    part: str
    category: str
    sheet_name: str
    version_number: int
    applicable_max: Decimal
    awarded: Decimal
    score: Decimal | None
    groups: list[GroupResult]
    lines: int
    deducted_lines: int

    @property
    def category_label(self) -> str:
        return str(ExamCategoryCode(self.category).label) if self.category else ""


@dataclass
class KeyItemFailure:
    assessment_sheet_id: int
    sheet_name: str
    category: str
    code: str
    title: str
    awarded: Decimal
    max_points: Decimal

    @property
    def category_label(self) -> str:
        return str(ExamCategoryCode(self.category).label) if self.category else ""


@dataclass
class AssessmentResult:
    sheets: list[SheetResult]
    part_scores: dict[str, Decimal | None]
    weights: dict[str, Decimal]
    total: Decimal | None
    grade_by_score: str
    grade: str
    passed: bool | None
    failed_key_items: list[KeyItemFailure] = field(default_factory=list)

    @property
    def institution_score(self) -> Decimal | None:
        return self.part_scores.get(SheetPart.INSTITUTION)

    @property
    def work_sample_score(self) -> Decimal | None:
        return self.part_scores.get(SheetPart.WORK_SAMPLE)

    def failed_key_items_json(self) -> list[dict]:
        return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(f).items()}
                for f in self.failed_key_items]


def evaluate(sheets: list[SheetInput], deductions: dict[tuple[int, int], Decimal], rules: Rules) -> AssessmentResult:
    """One pass over every line; ``deductions`` maps (assessment sheet id, indicator id) to points deducted."""
    results: list[SheetResult] = []
    failures: list[KeyItemFailure] = []
    for sheet in sheets:
        groups = {code: GroupResult(code, title, points, ZERO, ZERO) for code, title, points in sheet.groups}
        applicable = awarded = ZERO
        deducted_lines = 0
        for line in sheet.lines:
            if not line.applies:
                continue
            deducted = deductions.get((sheet.assessment_sheet_id, line.indicator_id), ZERO)
            earned = line.max_points - min(deducted, line.max_points)
            deducted_lines += deducted > 0
            applicable += line.max_points
            awarded += earned
            group = groups.get(line.group_code)
            if group is not None:
                group.applicable_max += line.max_points
                group.awarded += earned
            if line.is_key and earned < line.max_points * rules.key_item_pass_ratio:
                failures.append(KeyItemFailure(sheet.assessment_sheet_id, sheet.sheet_name, sheet.category,
                                               line.code, line.title, earned, line.max_points))
        score = round_points(awarded / applicable * HUNDRED) if applicable else None
        results.append(SheetResult(sheet.assessment_sheet_id, sheet.part, sheet.category, sheet.sheet_name,
                                   sheet.version_number, applicable, awarded, score, list(groups.values()),
                                   len(sheet.lines), deducted_lines))

    part_scores: dict[str, Decimal | None] = {}
    for part in SheetPart.values:
        scores = [r.score for r in results if r.part == part and r.score is not None]
        if not scores:
            part_scores[part] = None
        elif part == SheetPart.WORK_SAMPLE and rules.averaging == WorkSampleAveraging.LOWEST:
            part_scores[part] = min(scores)
        else:
            part_scores[part] = round_points(sum(scores, ZERO) / len(scores))

    weighted = [(rules.weights.get(part, ZERO), score) for part, score in part_scores.items() if score is not None]
    weight_sum = sum((w for w, _s in weighted), ZERO)
    total = round_points(sum((w * s for w, s in weighted), ZERO) / weight_sum) if weight_sum else None

    grade_by_score, passed_by_score = "", None
    if total is not None:
        band = next((b for b in rules.bands if total >= b.min_score), None)
        if band is not None:
            grade_by_score, passed_by_score = band.label, band.passed
    grade, passed = grade_by_score, passed_by_score
    if failures and rules.key_item_fails and total is not None:
        passed = False
        failing = next((b for b in rules.bands if not b.passed), None)
        if passed_by_score and failing is not None:
            grade = failing.label
    return AssessmentResult(results, part_scores, dict(rules.weights), total, grade_by_score, grade, passed,
                            failures)


# ---------------------------------------------------------------- reading the inputs


def indicator_applies(chain, *, part: str, category: str, filed_categories: set[str]) -> bool:
    """Does a line apply, given its own condition and its ancestors'? ``chain`` yields
    (applicability, applicable_category) from the leaf up."""
    for applicability, applicable_category in chain:
        if applicability == Applicability.REQUIRES_RADIATION and ExamCategoryCode.RADIATION not in filed_categories:
            return False
        if applicability == Applicability.CATEGORY_ONLY:
            # On a work-sample sheet the category is the one being assessed; on the institution sheet,
            # any filed category.
            if part == SheetPart.WORK_SAMPLE and applicable_category != category:
                return False
            if part != SheetPart.WORK_SAMPLE and applicable_category not in filed_categories:
                return False
    return True


def version_tree(indicators) -> dict:
    """Leaves with their level-1 group and ancestry, and the level-1 groups, of one version's indicators."""
    by_id = {i.pk: i for i in indicators}
    leaves, groups = [], []
    for ind in sorted(indicators, key=lambda i: i.order):
        if ind.level == 1:
            groups.append((ind.code, ind.title, ind.max_points))
        if not ind.is_leaf:
            continue
        chain, node = [], ind
        while node is not None:
            chain.append((node.applicability, node.applicable_category))
            top = node
            node = by_id.get(node.parent_id)
        leaves.append((ind, tuple(chain), top.code))
    return {"leaves": leaves, "groups": tuple(groups)}


def sheet_inputs(assessment_sheets, indicators_by_version: dict[int, list], filed_categories) -> list[SheetInput]:
    filed = set(filed_categories)
    trees = {version_id: version_tree(inds) for version_id, inds in indicators_by_version.items()}
    inputs = []
    for sheet in assessment_sheets:
        tree = trees[sheet.version_id]
        lines = tuple(
            Line(ind.pk, ind.code, ind.title, ind.max_points, ind.is_key,
                 indicator_applies(chain, part=sheet.part, category=sheet.category, filed_categories=filed),
                 group_code)
            for ind, chain, group_code in tree["leaves"]
        )
        inputs.append(SheetInput(sheet.pk, sheet.part, sheet.category, sheet.version.sheet.name,
                                 sheet.version.number, lines, tree["groups"]))
    return inputs


def rules_for(scheme) -> Rules:
    return Rules(
        weights={SheetPart.INSTITUTION: scheme.institution_weight, SheetPart.WORK_SAMPLE: scheme.work_sample_weight},
        averaging=scheme.work_sample_averaging,
        key_item_fails=scheme.key_item_fails,
        key_item_pass_ratio=scheme.key_item_pass_ratio,
        bands=tuple(Band(b.label, b.min_score, b.passed)
                    for b in sorted(scheme.bands.all(), key=lambda b: b.min_score, reverse=True)),
    )


@dataclass
class Inputs:
    """Everything one assessment's page or save needs, read in a fixed number of queries."""

    assessment_sheets: list
    indicators_by_version: dict[int, list]
    scores: dict[tuple[int, int], object]  # (assessment sheet id, indicator id) -> Score
    sheets: list[SheetInput]
    rules: Rules

    def deductions(self) -> dict[tuple[int, int], Decimal]:
        return {key: score.deducted for key, score in self.scores.items()}


def load_inputs(assessment, *, with_evidence: bool = False) -> Inputs:
    from .models import AssessmentSheet, Indicator, Score

    # select_related: every sheet shows its version number and sheet name.
    assessment_sheets = list(AssessmentSheet.objects.filter(assessment=assessment)
                             .select_related("version__sheet").order_by("order"))
    version_ids = {s.version_id for s in assessment_sheets}
    indicators_by_version: dict[int, list] = {v: [] for v in version_ids}
    for ind in Indicator.objects.filter(version_id__in=version_ids).order_by("order"):
        indicators_by_version[ind.version_id].append(ind)
    scores_qs = Score.objects.filter(assessment_sheet__assessment=assessment)
    if with_evidence:
        # select_related: the page names each line's evidence file.
        scores_qs = scores_qs.select_related("evidence")
    scores = {(s.assessment_sheet_id, s.indicator_id): s for s in scores_qs}
    # prefetch: the bands decide the grade; one query for all of them.
    scheme = type(assessment.scheme).objects.prefetch_related("bands").get(pk=assessment.scheme_id)
    sheets = sheet_inputs(assessment_sheets, indicators_by_version, assessment.filed_categories)
    return Inputs(assessment_sheets, indicators_by_version, scores, sheets, rules_for(scheme))
