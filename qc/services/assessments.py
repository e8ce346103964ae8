"""Writing assessments: creation with the sheets that apply, and scoring line by line.

Scores are saved in bulk and all or nothing: every line is checked first (range,
step, that the line belongs to the sheet version the assessment uses, that it
applies to the institution), and only when none fails is anything written. The
totals are then recomputed in one pass and cached on the assessment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filing.catalogue.choices import ExamCategoryCode
from portal.accounts.choices import OrgKind, Role
from portal.accounts.models import Organisation
from portal.accounts.scoping import institution_ids_for
from portal.audit.services import audit
from portal.core.uploads import DOCUMENT_KINDS, store_upload, validate_upload

from .. import selectors
from ..choices import (
    ASSESSMENT_SCORABLE,
    AssessmentKind,
    AssessmentStatus,
    SheetPart,
    SheetVersionStatus,
)
from ..importers import on_step, parse_points
from ..models import Assessment, AssessmentSheet, QCScheme, Score, SheetVersion
from ..scoring import AssessmentResult, Inputs, evaluate, load_inputs
from .sheets import TransitionError

NOTE_MAX = 2000
RESULT_FIELDS = ["institution_score", "work_sample_score", "total_score", "grade", "passed", "failed_key_items",
                 "computed_at", "updated_at"]


@dataclass(frozen=True)
class ScoreEntry:
    """One line as submitted. ``deducted`` and ``occurrences`` may be raw text from a form; blank
    means none. With a per-occurrence rule and no explicit deduction, the deduction is
    ``occurrences × per occurrence`` up to the line's maximum."""

    assessment_sheet_id: int
    indicator_id: int
    deducted: object = None
    occurrences: object = None
    note: str = ""
    evidence: object = None  # an uploaded file replacing the line's evidence
    clear_evidence: bool = False


def line_key(assessment_sheet_id: int, indicator_id: int) -> str:
    """The error key of one line, shared with the page's field names."""
    return f"line-{assessment_sheet_id}-{indicator_id}"


def sheet_label(part: str, category: str, sheet_name: str) -> str:
    if part == SheetPart.WORK_SAMPLE and category:
        return f"{sheet_name}（{ExamCategoryCode(category).label}）"
    return sheet_name


# ---------------------------------------------------------------- creation


@transaction.atomic
def assessment_create(*, province, institution: Organisation, year: int, assessed_on: date, actor,
                      kind: str = AssessmentKind.OFFICIAL, team_ids: Iterable[int] = (),
                      categories: Iterable[str] | None = None) -> Assessment:
    """Open an assessment with one institution-level sheet and one work-sample sheet per category assessed.

    ``categories`` defaults to every category the institution filed. The sheet
    versions used are frozen here, so they can never change under a score.
    """
    errors: dict[str, list[str]] = {}

    def add(key, message):
        errors.setdefault(key, []).append(message)

    if institution.province_id != province.pk:
        raise ValidationError({"institution": _("机构不属于本省。")})
    acting_institution = getattr(actor, "role", None) == Role.INSTITUTION
    if acting_institution and (kind != AssessmentKind.SELF or institution.pk not in institution_ids_for(actor)):
        raise PermissionDenied(_("机构只能对本机构开展自查。"))
    if kind not in AssessmentKind.values:
        add("kind", _("未知的考核类型。"))
    if assessed_on.year < year:
        add("assessed_on", _("考核日期不能早于考核年度。"))
    filing = selectors.examination_filing(institution)
    if filing is None:
        raise ValidationError({"institution": _("「%(name)s」没有已备案的职业健康检查备案，不能考核。")
                               % {"name": institution.name}})
    filed = selectors.filed_categories(filing)
    if not filed:
        raise ValidationError({"institution": _("「%(name)s」的备案中没有可考核的检查类别。") % {"name": institution.name}})
    chosen = list(dict.fromkeys(categories)) if categories else list(filed)
    for category in chosen:
        if category not in filed:
            label = ExamCategoryCode(category).label if category in ExamCategoryCode.values else category
            add("categories", _("机构未备案「%(category)s」，不能考核该类别。") % {"category": label})
    chosen = [c for c in ExamCategoryCode.values if c in chosen]
    scheme = QCScheme.objects.filter(province=province, year=year).first()
    if scheme is None:
        add("year", _("%(year)s 年度尚未配置考核方案，请先在“考核方案”中配置权重和等级。") % {"year": year})
    team_ids = sorted({int(pk) for pk in team_ids})
    team = list(selectors.qc_team_candidates(province.pk).filter(pk__in=team_ids))
    if len(team) != len(team_ids):
        add("team", _("考核组成员须为本省质控中心的在用账号。"))
    elif kind == AssessmentKind.OFFICIAL and not team:
        add("team", _("质控考核至少需要一名考核组成员。"))
    institution_version, by_category, missing = selectors.versions_for_assessment(province.pk, year, chosen)
    if missing:
        add("__all__", _("没有适用于 %(year)s 年度的已发布评分表：%(missing)s。") % {
            "year": year, "missing": "、".join(missing)})
    if errors:
        raise ValidationError(errors)

    assessment = Assessment.objects.create(
        province=province, institution=institution, filing=filing, scheme=scheme, year=year,
        assessed_on=assessed_on, kind=kind, status=AssessmentStatus.DRAFT, filed_categories=filed,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
        assessing_body=_assessing_body(actor, team, kind, institution),
    )
    assessment.team.set(team)
    rows = [AssessmentSheet(assessment=assessment, version=institution_version, part=SheetPart.INSTITUTION,
                            category="", order=0)]
    rows += [AssessmentSheet(assessment=assessment, version=version, part=SheetPart.WORK_SAMPLE,
                             category=category, order=n)
             for n, (category, version) in enumerate(by_category.items(), start=1)]
    AssessmentSheet.objects.bulk_create(rows)
    _freeze_versions({institution_version.pk, *(v.pk for v in by_category.values())}, actor=actor)
    audit(actor=actor, obj=assessment, action="qc.assessment.created", new={
        "institution": institution.name, "year": year, "assessed_on": assessed_on, "kind": kind,
        "team": [str(u) for u in team], "categories": chosen,
        "sheets": [f"{r.version.sheet.code} v{r.version.number} {r.category}".strip() for r in rows],
    })
    _store_result(assessment, load_inputs(assessment))
    return assessment


def _assessing_body(actor, team, kind, institution) -> Organisation | None:
    """The QC center running an official assessment (the creator's, else the first team member's);
    the institution itself for a self-assessment."""
    if kind == AssessmentKind.SELF:
        return institution
    for user in [actor, *team]:
        org = getattr(user, "organisation", None)
        if org is not None and org.kind == OrgKind.QC_CENTER:
            return org
    return None


def _freeze_versions(version_ids: set[int], *, actor) -> None:
    """A version used by an assessment is frozen; later uses find it frozen already."""
    now = timezone.now()
    to_freeze = list(SheetVersion.objects.select_for_update().filter(pk__in=version_ids,
                                                                     status=SheetVersionStatus.PUBLISHED))
    for version in to_freeze:
        version.status, version.frozen_at = SheetVersionStatus.FROZEN, now
        version.save(update_fields=["status", "frozen_at"])
        audit(actor=actor, obj=version, action="qc.sheet_version.frozen",
              old={"status": SheetVersionStatus.PUBLISHED}, new={"status": SheetVersionStatus.FROZEN})


# ---------------------------------------------------------------- results


def compute_result(assessment: Assessment) -> AssessmentResult:
    """Per-part scores, the weighted total, the grade and failed key items, from the stored scores."""
    inputs = load_inputs(assessment)
    return evaluate(inputs.sheets, inputs.deductions(), inputs.rules)


def _store_result(assessment: Assessment, inputs: Inputs, deductions=None) -> AssessmentResult:
    result = evaluate(inputs.sheets, inputs.deductions() if deductions is None else deductions, inputs.rules)
    by_id = {r.assessment_sheet_id: r for r in result.sheets}
    for sheet in inputs.assessment_sheets:
        r = by_id[sheet.pk]
        sheet.awarded, sheet.applicable_max, sheet.score = r.awarded, r.applicable_max, r.score
    AssessmentSheet.objects.bulk_update(inputs.assessment_sheets, ["awarded", "applicable_max", "score"])
    assessment.institution_score = result.institution_score
    assessment.work_sample_score = result.work_sample_score
    assessment.total_score = result.total
    assessment.grade = result.grade
    assessment.passed = result.passed
    assessment.failed_key_items = result.failed_key_items_json()
    assessment.computed_at = timezone.now()
    assessment.save(update_fields=RESULT_FIELDS)
    return result


def assessments_recompute_for_scheme(*, scheme_id: int) -> int:
    """After a scheme changes, refresh the cached results of the assessments still being scored."""
    count = 0
    for assessment in Assessment.objects.filter(scheme_id=scheme_id, status__in=ASSESSMENT_SCORABLE):
        _store_result(assessment, load_inputs(assessment))
        count += 1
    return count


# ---------------------------------------------------------------- scoring


def _assert_may_score(assessment: Assessment, actor) -> None:
    if actor is None:
        return
    if assessment.kind == AssessmentKind.SELF:
        # A self-assessment is the institution's own: its staff score it, nobody else.
        if actor.role == Role.INSTITUTION and assessment.institution_id in institution_ids_for(actor):
            return
        if not actor.is_superuser:
            raise PermissionDenied(_("机构自查只能由机构自己评分。"))
        return
    if actor.is_superuser or actor.role == Role.PROVINCE_ADMIN:
        return
    if not assessment.team.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("只有考核组成员可以评分。"))


def _parse_occurrences(raw) -> int | None | str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        value = int(str(raw).strip())
    except ValueError:
        return "invalid"
    return value if value >= 0 else "invalid"


def _blank(raw) -> bool:
    return raw is None or (isinstance(raw, str) and not raw.strip())


@transaction.atomic
def assessment_save_scores(*, assessment_id: int, entries: Iterable[ScoreEntry], actor) -> AssessmentResult:
    """Save many lines at once, all or nothing, then recompute every total.

    Errors are keyed by :func:`line_key` and name the sheet and line, e.g.
    "…（接触粉尘类） 2.2.2：扣分 10 超过该项分值 9。".
    """
    assessment = Assessment.objects.select_for_update(of=("self",)).get(pk=assessment_id)
    if assessment.status not in ASSESSMENT_SCORABLE:
        raise TransitionError(_("考核当前状态为“%(status)s”，不能再修改评分。")
                              % {"status": assessment.get_status_display()}, code="not_scorable")
    _assert_may_score(assessment, actor)
    inputs = load_inputs(assessment)
    sheets = {s.assessment_sheet_id: s for s in inputs.sheets}
    lines = {(s.assessment_sheet_id, line.indicator_id): line for s in inputs.sheets for line in s.lines}
    indicators = {ind.pk: ind for inds in inputs.indicators_by_version.values() for ind in inds}
    version_of = {s.pk: s.version for s in inputs.assessment_sheets}

    errors: dict[str, list[str]] = {}
    planned: list[tuple[tuple[int, int], dict, object]] = []  # (line, new values, upload)
    seen: set[tuple[int, int]] = set()
    for entry in entries:
        key = (int(entry.assessment_sheet_id), int(entry.indicator_id))
        field = line_key(*key)
        sheet = sheets.get(key[0])

        def fail(message, field=field, sheet=sheet, key=key):
            line = lines.get(key)
            where = sheet_label(sheet.part, sheet.category, sheet.sheet_name) if sheet else ""
            prefix = f"{where} {line.code}：" if line else (f"{where}：" if where else "")
            errors.setdefault(field, []).append(prefix + message)

        if sheet is None:
            fail(_("评分表不属于本次考核。"))
            continue
        if key in seen:
            fail(_("同一条指标提交了两次。"))
            continue
        seen.add(key)
        line = lines.get(key)
        if line is None:
            version = version_of[key[0]]
            indicator = indicators.get(key[1])
            if indicator is not None and indicator.version_id == version.pk:
                fail(_("「%(code)s」不是末级指标，只能对末级指标评分。") % {"code": indicator.code})
            else:
                fail(_("该指标不属于本次考核所用的「%(sheet)s」第 %(n)s 版。")
                     % {"sheet": version.sheet.name, "n": version.number})
            continue
        note = (entry.note or "").strip()
        occurrences = _parse_occurrences(entry.occurrences)
        upload = entry.evidence or None
        if not line.applies:
            if not (_blank(entry.deducted) or parse_points(entry.deducted) == 0) or occurrences or note or upload:
                fail(_("该指标不适用于本机构（合理缺项），不能扣分或填写说明。"))
            continue
        if occurrences == "invalid":
            fail(_("问题处数「%(value)s」应为不小于 0 的整数。") % {"value": entry.occurrences})
            occurrences = None
        indicator = indicators[key[1]]
        if _blank(entry.deducted):
            deducted = Decimal(0)
            if occurrences and indicator.deduction_per_occurrence:
                deducted = min(indicator.deduction_per_occurrence * occurrences, line.max_points)
        else:
            deducted = parse_points(entry.deducted)
            if deducted is None:
                fail(_("扣分「%(value)s」不是数字。") % {"value": entry.deducted})
                continue
            if deducted < 0:
                fail(_("扣分 %(value)s 不能为负数。") % {"value": deducted})
                continue
            if deducted > line.max_points:
                fail(_("扣分 %(value)s 超过该项分值 %(max)s。") % {"value": deducted, "max": line.max_points})
                continue
            if not on_step(deducted):
                fail(_("扣分 %(value)s 不是 0.1 的整数倍。") % {"value": deducted})
                continue
        if len(note) > NOTE_MAX:
            fail(_("扣分说明不能超过 %(max)s 个字。") % {"max": NOTE_MAX})
        if upload is not None:
            try:
                validate_upload(upload, kinds=DOCUMENT_KINDS, field=field)
            except ValidationError as exc:
                fail(" ".join(exc.messages))
        planned.append((key, {"deducted": deducted, "occurrences": occurrences, "note": note},
                        (upload, entry.clear_evidence)))
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    scorer = actor if getattr(actor, "is_authenticated", False) else None
    to_write, to_delete = [], []
    old_values, new_values = {}, {}
    for key, values, (upload, clear) in planned:
        score = inputs.scores.get(key)
        evidence_id = score.evidence_id if score else None
        if upload is not None:
            evidence_id = store_upload(upload, actor=actor, province_id=assessment.province_id,
                                       kinds=DOCUMENT_KINDS).pk
        elif clear:
            evidence_id = None
        target = (values["deducted"], values["occurrences"], values["note"], evidence_id)
        current = (score.deducted, score.occurrences, score.note, score.evidence_id) if score else \
            (Decimal(0), None, "", None)
        if target == current:
            continue
        label = f"{sheet_label(sheets[key[0]].part, sheets[key[0]].category, sheets[key[0]].sheet_name)} " \
                f"{lines[key].code}"
        old_values[label] = _line_json(current)
        new_values[label] = _line_json(target)
        if target == (Decimal(0), None, "", None):
            if score is not None:
                to_delete.append(score.pk)
                del inputs.scores[key]
            continue
        row = Score(assessment_sheet_id=key[0], indicator_id=key[1], deducted=target[0], occurrences=target[1],
                    note=target[2], evidence_id=target[3], scored_by=scorer, updated_at=now)
        inputs.scores[key] = row
        to_write.append(row)
    if to_delete:
        Score.objects.filter(pk__in=to_delete).delete()
    if to_write:
        # One upsert for new and changed lines alike: an UPDATE … CASE over a hundred rows (bulk_update)
        # costs PostgreSQL several times more, and existing rows keep their ids.
        Score.objects.bulk_create(to_write, update_conflicts=True, unique_fields=["assessment_sheet", "indicator"],
                                  update_fields=["deducted", "occurrences", "note", "evidence", "scored_by",
                                                 "updated_at"])
    before = (assessment.total_score, assessment.grade, assessment.passed)
    result = _store_result(assessment, inputs)
    if old_values:
        old_values["总分/等级"] = [str(before[0]) if before[0] is not None else None, before[1], before[2]]
        new_values["总分/等级"] = [str(result.total) if result.total is not None else None, result.grade,
                                result.passed]
        audit(actor=actor, obj=assessment, action="qc.assessment.scores_saved", old=old_values, new=new_values)
    return result


def _line_json(values) -> dict:
    deducted, occurrences, note, evidence_id = values
    return {"deducted": str(deducted), "occurrences": occurrences, "note": note, "evidence": evidence_id}
