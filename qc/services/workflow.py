"""The fair process of an official assessment, from the draft result to the final one.

draft → sent: the result goes to the institution, whose response window (working days,
set on the scheme) starts on the day it is sent. sent → responded: the institution points
out factual errors with evidence, only while the window is open. responded → answered: the
QC center accepts or rejects each point with a note; scores may still change. answered →
final, or sent → final once the window has closed without a response. Only final results
count anywhere else (coverage, the off-site gate, publication).

Finalising a failed official assessment puts its failed key items on the rectification
ledger at once (they fail the assessment, so nobody has to decide that they are problems);
other failed lines go on the ledger when the QC center ticks them. Finalising a passed one
lifts the suspensions that earlier assessments of the institution made.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from filing.choices import ItemStatus
from filing.models import FiledItem
from filing.services import filed_item_set_status
from portal.accounts.choices import Role
from portal.accounts.scoping import institution_ids_for
from portal.audit.services import audit
from portal.core.uploads import DOCUMENT_KINDS, store_upload, validate_upload
from portal.workdays.services import add_working_days

from ..choices import (
    ASSESSMENT_TRANSITIONS,
    DEFAULT_RESPONSE_DAYS,
    KEY_ITEM_RECTIFICATION_DAYS,
    SELF_ASSESSMENT_TRANSITIONS,
    AssessmentKind,
    AssessmentStatus,
    PointAnswer,
)
from ..models import Assessment, Finding, Indicator, ResponsePoint, Score, Suspension
from .sheets import TransitionError

POINT_MAX = 2000
MAX_POINTS_PER_RESPONSE = 50


class ResponseWindowClosed(ValidationError):
    """The institution's response window has closed; nothing of the response is kept."""


def _today() -> date:
    return timezone.localdate()


def _lock(assessment_id: int) -> Assessment:
    return Assessment.objects.select_for_update(of=("self",)).get(pk=assessment_id)


def assert_transition(assessment: Assessment, *, to: str) -> None:
    table = SELF_ASSESSMENT_TRANSITIONS if assessment.kind == AssessmentKind.SELF else ASSESSMENT_TRANSITIONS
    if to not in table.get(assessment.status, set()):
        raise TransitionError(_("考核当前状态为“%(status)s”，不能转为“%(to)s”。")
                              % {"status": assessment.get_status_display(), "to": AssessmentStatus(to).label},
                              code="invalid_transition")


def assert_qc_actor(assessment: Assessment, actor) -> None:
    """The QC side of an official assessment: its team, or a provincial administrator of its province."""
    if actor is None or actor.is_superuser:
        return
    org = actor.organisation
    if org is None or org.province_id != assessment.province_id:
        raise PermissionDenied
    if actor.role == Role.PROVINCE_ADMIN:
        return
    if actor.role != Role.QC_CENTER or not assessment.team.filter(pk=actor.pk).exists():
        raise PermissionDenied(_("只有考核组成员可以办理此步骤。"))


def assert_institution_actor(assessment: Assessment, actor) -> None:
    if actor is None:
        return
    if actor.role != Role.INSTITUTION or assessment.institution_id not in institution_ids_for(actor):
        raise PermissionDenied(_("只有被考核机构可以办理此步骤。"))


def window_open(assessment: Assessment, today: date | None = None) -> bool:
    return assessment.response_due_on is not None and (today or _today()) <= assessment.response_due_on


# ---------------------------------------------------------------- draft → sent


@transaction.atomic
def assessment_send(*, assessment_id: int, actor, today: date | None = None) -> Assessment:
    """Send the draft result to the institution and open its response window."""
    assessment = _lock(assessment_id)
    if assessment.kind != AssessmentKind.OFFICIAL:
        raise TransitionError(_("机构自查无需送达。"), code="invalid_transition")
    assert_transition(assessment, to=AssessmentStatus.SENT)
    assert_qc_actor(assessment, actor)
    sent_on = today or _today()
    days = assessment.scheme.response_days if assessment.scheme_id else DEFAULT_RESPONSE_DAYS
    old = assessment.status
    assessment.status = AssessmentStatus.SENT
    assessment.sent_at = timezone.now()
    assessment.response_due_on = add_working_days(sent_on, days)
    assessment.save(update_fields=["status", "sent_at", "response_due_on", "updated_at"])
    audit(actor=actor, obj=assessment, action="qc.assessment.sent", old={"status": old},
          new={"status": assessment.status, "response_due_on": assessment.response_due_on,
               "total_score": str(assessment.total_score), "grade": assessment.grade})
    _notify_institution(assessment, title=_("质量考核结果已送达，请在 %(due)s 前核对")
                        % {"due": assessment.response_due_on.isoformat()})
    return assessment


def _notify_institution(assessment: Assessment, *, title: str) -> None:
    from portal.accounts.models import User
    from portal.notifications.services import notify

    users = User.objects.filter(organisation_id=assessment.institution_id, is_active=True)
    notify(users=users, kind="qc.assessment", title=title, url=reverse("qc:response", args=[assessment.pk]),
           province_id=assessment.province_id, subject=assessment)


# ---------------------------------------------------------------- sent → responded


@dataclass
class PointInput:
    """One factual error as the institution wrote it, with its evidence uploads."""

    text: str
    files: Sequence = field(default_factory=tuple)


@transaction.atomic
def assessment_respond(*, assessment_id: int, points: Iterable[PointInput], actor,
                       today: date | None = None) -> Assessment:
    """The institution's factual-error points. Refused as a whole after the window or on any bad point;
    files are stored only once everything has been checked."""
    assessment = _lock(assessment_id)
    assert_institution_actor(assessment, actor)
    assert_transition(assessment, to=AssessmentStatus.RESPONDED)
    if not window_open(assessment, today):
        raise ResponseWindowClosed(
            {"__all__": [_("反馈期限已于 %(due)s 截止，不能再提出异议；如有异议请联系质控中心。")
                         % {"due": assessment.response_due_on.isoformat()}]}, code="window_closed")
    points = [p for p in points if (p.text or "").strip() or p.files]
    errors: dict[str, list[str]] = {}
    if not points:
        errors["points"] = [_("请至少填写一条异议，并说明事实错误所在。")]
    if len(points) > MAX_POINTS_PER_RESPONSE:
        errors["points"] = [_("一次最多提交 %(n)s 条异议。") % {"n": MAX_POINTS_PER_RESPONSE}]
    for n, point in enumerate(points, start=1):
        key = f"point-{n}"
        text = (point.text or "").strip()
        if not text:
            errors.setdefault(key, []).append(_("第 %(n)s 条：请说明事实错误。") % {"n": n})
        elif len(text) > POINT_MAX:
            errors.setdefault(key, []).append(_("第 %(n)s 条：不能超过 %(max)s 个字。") % {"n": n, "max": POINT_MAX})
        if not point.files:
            errors.setdefault(key, []).append(_("第 %(n)s 条：请上传证明材料。") % {"n": n})
        for upload in point.files:
            try:
                validate_upload(upload, kinds=DOCUMENT_KINDS, field=key)
            except ValidationError as exc:
                errors.setdefault(key, []).append(_("第 %(n)s 条：") % {"n": n} + " ".join(exc.messages))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    submitter = actor if getattr(actor, "is_authenticated", False) else None
    for point in points:
        row = ResponsePoint.objects.create(assessment=assessment, text=point.text.strip(), submitted_by=submitter,
                                           submitted_at=now)
        row.evidence.set([store_upload(f, actor=actor, province_id=assessment.province_id).pk for f in point.files])
    old = assessment.status
    assessment.status = AssessmentStatus.RESPONDED
    assessment.responded_at = now
    assessment.save(update_fields=["status", "responded_at", "updated_at"])
    audit(actor=actor, obj=assessment, action="qc.assessment.responded", old={"status": old},
          new={"status": assessment.status, "points": [p.text.strip()[:200] for p in points]})
    return assessment


# ---------------------------------------------------------------- responded → answered


@transaction.atomic
def assessment_answer(*, assessment_id: int, answers: dict[int, tuple[str, str]], actor) -> Assessment:
    """The QC center's answer to every point: accepted or rejected, each with a note."""
    assessment = _lock(assessment_id)
    assert_transition(assessment, to=AssessmentStatus.ANSWERED)
    assert_qc_actor(assessment, actor)
    points = list(assessment.points.select_for_update().order_by("pk"))
    errors: dict[str, list[str]] = {}
    for n, point in enumerate(points, start=1):
        answer, note = answers.get(point.pk, ("", ""))
        key = f"answer-{point.pk}"
        if answer not in (PointAnswer.ACCEPTED, PointAnswer.REJECTED):
            errors.setdefault(key, []).append(_("第 %(n)s 条异议：请选择采纳或不采纳。") % {"n": n})
        if not (note or "").strip():
            errors.setdefault(key, []).append(_("第 %(n)s 条异议：请填写答复说明。") % {"n": n})
    unknown = set(answers) - {p.pk for p in points}
    if unknown:
        errors.setdefault("__all__", []).append(_("提交的数据已过期，请刷新页面后重试。"))
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    answerer = actor if getattr(actor, "is_authenticated", False) else None
    for point in points:
        point.answer, point.answer_note = answers[point.pk][0], answers[point.pk][1].strip()
        point.answered_by, point.answered_at = answerer, now
        point.save(update_fields=["answer", "answer_note", "answered_by", "answered_at"])
    old = assessment.status
    assessment.status = AssessmentStatus.ANSWERED
    assessment.answered_at = now
    assessment.save(update_fields=["status", "answered_at", "updated_at"])
    audit(actor=actor, obj=assessment, action="qc.assessment.answered", old={"status": old},
          new={"status": assessment.status,
               "answers": {str(p.pk): [p.answer, p.answer_note[:200]] for p in points}})
    _notify_institution(assessment, title=_("质控中心已答复您对考核结果的异议"))
    return assessment


# ---------------------------------------------------------------- → final


@transaction.atomic
def assessment_finalise(*, assessment_id: int, actor, today: date | None = None) -> Assessment:
    """Make the result final. An official one from ``sent`` only once the window has closed."""
    assessment = _lock(assessment_id)
    assert_transition(assessment, to=AssessmentStatus.FINAL)
    if assessment.kind == AssessmentKind.SELF:
        assert_institution_actor(assessment, actor)
    else:
        assert_qc_actor(assessment, actor)
        if assessment.status == AssessmentStatus.SENT and window_open(assessment, today):
            raise TransitionError(_("机构反馈期限至 %(due)s，期满且无异议后方可定稿。")
                                  % {"due": assessment.response_due_on.isoformat()}, code="window_open")
    old = assessment.status
    assessment.status = AssessmentStatus.FINAL
    assessment.finalised_at = timezone.now()
    assessment.finalised_by = actor if getattr(actor, "is_authenticated", False) else None
    assessment.save(update_fields=["status", "finalised_at", "finalised_by", "updated_at"])
    audit(actor=actor, obj=assessment, action="qc.assessment.finalised", old={"status": old},
          new={"status": assessment.status, "total_score": str(assessment.total_score), "grade": assessment.grade,
               "passed": assessment.passed, "failed_key_items": [f["code"] for f in assessment.failed_key_items]})
    if assessment.kind == AssessmentKind.OFFICIAL:
        if assessment.passed and not assessment.failed_key_items:
            _lift_suspensions(assessment, actor=actor)
        elif assessment.failed_key_items:
            key_lines = {(f["assessment_sheet_id"], f["code"]) for f in assessment.failed_key_items}
            indicators = Indicator.objects.filter(version__assessment_sheets__assessment=assessment,
                                                  code__in={code for _sheet, code in key_lines}, is_key=True)
            lines = []
            for sheet in assessment.sheets.all():
                lines += [(sheet.pk, ind.pk) for ind in indicators
                          if ind.version_id == sheet.version_id and (sheet.pk, ind.code) in key_lines]
            _open_findings(assessment, lines, actor=actor, severity="critical",
                           due_on=add_working_days(today or _today(), KEY_ITEM_RECTIFICATION_DAYS),
                           requirement=_("关键项不合格，须限期整改并申请复核。"))
        _notify_institution(assessment, title=_("质量考核结果已定稿：%(grade)s") % {"grade": assessment.grade or "—"})
    return assessment


# ---------------------------------------------------------------- suspension


def _category_item_codes(filing_id: int, version_id: int, category: str) -> list[str]:
    return sorted(FiledItem.objects.filter(version_id=version_id, exam_item__category__code=category)
                  .exclude(status=ItemStatus.NOT_CAPABLE).values_list("exam_item__code", flat=True))


@transaction.atomic
def assessment_suspend_categories(*, assessment_id: int, categories: Iterable[str], reason: str,
                                  actor, items: Iterable[str] = ()) -> list[Suspension]:
    """Suspend filed items because of this final assessment's failed key items: every item of a chosen
    category, or only the chosen ``items`` (item codes) of their categories. The items show as
    suspended in the directory until a passing re-assessment is final."""
    assessment = _lock(assessment_id)
    assert_qc_actor(assessment, actor)
    if assessment.kind != AssessmentKind.OFFICIAL or assessment.status != AssessmentStatus.FINAL:
        raise TransitionError(_("只有已定稿的质控考核可以据以暂停项目。"), code="not_final")
    if not assessment.failed_key_items:
        raise TransitionError(_("本次考核没有不合格的关键项，不能暂停项目。"), code="no_failed_key_items")
    categories = list(dict.fromkeys(categories))
    errors: dict[str, list[str]] = {}
    items = list(dict.fromkeys(items or ()))
    chosen_by_category: dict[str, list[str]] = {}
    if items:
        filed = dict(FiledItem.objects.filter(version_id=assessment.filing.current_version_id)
                     .exclude(status=ItemStatus.NOT_CAPABLE)
                     .values_list("exam_item__code", "exam_item__category__code"))
        unknown = [code for code in items if code not in filed]
        if unknown:
            errors["items"] = [_("只能暂停本机构已备案且具备能力的项目：%(codes)s") % {"codes": "、".join(unknown)}]
        for code in items:
            if code in filed:
                chosen_by_category.setdefault(filed[code], []).append(code)
        categories = list(dict.fromkeys([*categories, *chosen_by_category]))
    if not categories:
        errors.setdefault("categories", [_("请选择要暂停的检查类别或项目。")])
    for category in categories:
        if category not in assessment.filed_categories:
            errors["categories"] = [_("只能暂停本次考核所涉及的备案类别。")]
    if assessment.suspensions.filter(category__in=categories).exists():
        errors["categories"] = [_("所选类别已因本次考核暂停。")]
    if not (reason or "").strip():
        errors["reason"] = [_("请填写暂停原因。")]
    if errors:
        raise ValidationError(errors)
    filing = assessment.filing
    now = timezone.now()
    made = []
    for category in categories:
        codes = (sorted(chosen_by_category[category]) if category in chosen_by_category
                 else _category_item_codes(filing.pk, filing.current_version_id, category))
        for code in codes:
            filed_item_set_status(filing_id=filing.pk, item_code=code, status=ItemStatus.SUSPENDED,
                                  reason=reason.strip(), actor=actor)
        made.append(Suspension.objects.create(
            assessment=assessment, institution_id=assessment.institution_id, filing=filing, category=category,
            item_codes=codes, reason=reason.strip(), suspended_at=now,
            suspended_by=actor if getattr(actor, "is_authenticated", False) else None))
    audit(actor=actor, obj=assessment, action="qc.assessment.items_suspended",
          new={"categories": categories, "reason": reason.strip(),
               "items": {s.category: s.item_codes for s in made}})
    return made


def _lift_suspensions(assessment: Assessment, *, actor) -> None:
    """A passing final assessment lifts the suspensions earlier QC assessments made, item by item still
    suspended (an item someone else has since changed is left alone)."""
    open_ = list(Suspension.objects.select_for_update().filter(institution_id=assessment.institution_id,
                                                               lifted_at__isnull=True)
                 .exclude(assessment=assessment))
    if not open_:
        return
    filing = assessment.filing
    now = timezone.now()
    lifted = {}
    for suspension in open_:
        still = set(FiledItem.objects.filter(version_id=filing.current_version_id,
                                             exam_item__code__in=suspension.item_codes,
                                             status=ItemStatus.SUSPENDED).values_list("exam_item__code", flat=True))
        for code in sorted(still):
            filed_item_set_status(filing_id=filing.pk, item_code=code, status=ItemStatus.ACTIVE,
                                  reason=_("复核合格，恢复"), actor=actor)
        suspension.lifted_by_assessment, suspension.lifted_at = assessment, now
        suspension.save(update_fields=["lifted_by_assessment", "lifted_at"])
        lifted[suspension.category] = sorted(still)
    audit(actor=actor, obj=assessment, action="qc.assessment.suspensions_lifted", new={"items": lifted})


# ---------------------------------------------------------------- findings on the ledger


def _ledger_open():
    """The ledger's opening service, or None where the ledger app is not installed."""
    try:
        from qc.ledger.choices import LedgerSource
        from qc.ledger.services import ledger_entry_open
    except ImportError:
        return None, None
    return ledger_entry_open, LedgerSource.QC_ASSESSMENT


def _open_findings(assessment: Assessment, lines: Iterable[tuple[int, int]], *, actor, severity: str,
                   due_on: date, requirement: str) -> list[Finding]:
    ledger_entry_open, source = _ledger_open()
    if ledger_entry_open is None:
        return []
    lines = list(dict.fromkeys(lines))
    done = set(Finding.objects.filter(assessment=assessment).values_list("assessment_sheet_id", "indicator_id"))
    scores = {(s.assessment_sheet_id, s.indicator_id): s for s in Score.objects.filter(
        assessment_sheet__assessment=assessment).select_related("indicator")}
    sheets = {s.pk: s for s in assessment.sheets.all()}
    indicators = Indicator.objects.in_bulk({ind for _sheet, ind in lines})
    made = []
    for key in lines:
        if key in done:
            continue
        indicator, sheet = indicators[key[1]], sheets[key[0]]
        score = scores.get(key)
        where = f"{sheet.get_category_display()}·" if sheet.category else ""
        description = f"{where}{indicator.code} {indicator.title}"
        if score is not None:
            description += _("（扣 %(d)s 分）") % {"d": score.deducted}
            if score.note:
                description += f"：{score.note}"
        entry = ledger_entry_open(actor=actor, institution=assessment.institution, source=source,
                                  description=description[:2000], severity=severity, requirement=requirement,
                                  due_on=due_on, source_object=assessment)
        made.append(Finding.objects.create(assessment=assessment, assessment_sheet_id=key[0], indicator_id=key[1],
                                           ledger_entry_id=entry.pk))
    return made


@transaction.atomic
def assessment_open_findings(*, assessment_id: int, lines: Iterable[tuple[int, int]], actor, due_on: date,
                             severity: str = "major", requirement: str = "") -> list[Finding]:
    """Put the ticked failed lines of a final assessment on the rectification ledger, once each."""
    assessment = _lock(assessment_id)
    assert_qc_actor(assessment, actor)
    if assessment.kind != AssessmentKind.OFFICIAL or assessment.status != AssessmentStatus.FINAL:
        raise TransitionError(_("只有已定稿的质控考核可以列入整改台账。"), code="not_final")
    lines = [(int(a), int(b)) for a, b in lines]
    deducted = set(Score.objects.filter(assessment_sheet__assessment=assessment, deducted__gt=0)
                   .values_list("assessment_sheet_id", "indicator_id"))
    errors: dict[str, list[str]] = {}
    if not lines:
        errors["lines"] = [_("请勾选要列入整改台账的问题。")]
    if any(line not in deducted for line in lines):
        errors["lines"] = [_("只能把有扣分的指标列入整改台账。")]
    if _ledger_open()[0] is None:
        errors["__all__"] = [_("整改台账尚未启用。")]
    if errors:
        raise ValidationError(errors)
    made = _open_findings(assessment, lines, actor=actor, severity=severity, due_on=due_on,
                          requirement=(requirement or "").strip() or _("按考核意见限期整改。"))
    if made:
        audit(actor=actor, obj=assessment, action="qc.assessment.findings_opened",
              new={"ledger_entries": [f.ledger_entry_id for f in made]})
    return made


# ---------------------------------------------------------------- fraud / major quality problem


@transaction.atomic
def assessment_flag(*, assessment_id: int, description: str, actor) -> Assessment:
    """Flag fraud or a major quality problem: the provincial commission and the disease-control bureau
    are told at once [241-5]."""
    from portal.notifications.services import notify_authority

    assessment = _lock(assessment_id)
    assert_qc_actor(assessment, actor)
    if assessment.kind != AssessmentKind.OFFICIAL:
        raise TransitionError(_("机构自查不能上报。"), code="invalid_transition")
    description = (description or "").strip()
    if not description:
        raise ValidationError({"description": [_("请说明发现的弄虚作假或重大质量问题。")]})
    old = {"flag_description": assessment.flag_description}
    assessment.flagged_at = timezone.now()
    assessment.flag_description = description
    assessment.flagged_by = actor if getattr(actor, "is_authenticated", False) else None
    assessment.save(update_fields=["flagged_at", "flag_description", "flagged_by", "updated_at"])
    audit(actor=actor, obj=assessment, action="qc.assessment.flagged", old=old,
          new={"flag_description": description})
    notify_authority(province_id=assessment.province_id, kind="qc.flag",
                     roles=[Role.COMMISSION_PROVINCE, Role.DISEASE_CONTROL],
                     title=_("质量考核发现弄虚作假或重大质量问题：%(name)s") % {"name": assessment.institution.name},
                     body=description, url=reverse("qc:assessment-detail", args=[assessment.pk]),
                     subject=assessment, email=True)
    return assessment


# ---------------------------------------------------------------- key indicators as figures

COUNT_FIELDS = ("contraindications_found", "contraindications_notified", "suspected_found", "suspected_reported")
RATE_FIELDS = ("diagnosis_accuracy", "diagnosis_timeliness", "case_report_completeness", "case_report_timeliness")
INDICATOR_FIELDS = COUNT_FIELDS + RATE_FIELDS


@transaction.atomic
def assessment_save_indicators(*, assessment_id: int, values: dict, actor) -> Assessment:
    """Record the key indicators as figures; blank clears one. All or nothing."""
    from ..choices import ASSESSMENT_SCORABLE
    from .assessments import _assert_may_score

    assessment = _lock(assessment_id)
    if assessment.status not in ASSESSMENT_SCORABLE:
        raise TransitionError(_("考核当前状态为“%(status)s”，不能再修改。")
                              % {"status": assessment.get_status_display()}, code="not_scorable")
    _assert_may_score(assessment, actor)
    errors: dict[str, list[str]] = {}
    parsed: dict[str, object] = {}
    labels = {f: str(Assessment._meta.get_field(f).verbose_name) for f in INDICATOR_FIELDS}
    for name in INDICATOR_FIELDS:
        raw = values.get(name)
        if raw is None or str(raw).strip() == "":
            parsed[name] = None
            continue
        text = str(raw).strip()
        if name in COUNT_FIELDS:
            try:
                number = int(text)
            except ValueError:
                number = -1
            if number < 0:
                errors[name] = [_("%(label)s应为不小于 0 的整数。") % {"label": labels[name]}]
                continue
            parsed[name] = number
        else:
            try:
                rate = Decimal(text)
            except InvalidOperation:
                rate = None
            if rate is None or not rate.is_finite() or rate < 0 or rate > 100 or rate != rate.quantize(Decimal("0.01")):
                errors[name] = [_("%(label)s应为 0 到 100 之间的数，最多两位小数。") % {"label": labels[name]}]
                continue
            parsed[name] = rate
    for found, done in (("contraindications_found", "contraindications_notified"),
                        ("suspected_found", "suspected_reported")):
        if parsed.get(done) is not None and parsed.get(found) is not None and parsed[done] > parsed[found]:
            errors.setdefault(done, []).append(_("%(done)s不能大于%(found)s。")
                                               % {"done": labels[done], "found": labels[found]})
        elif parsed.get(done) is not None and parsed.get(found) is None and done not in errors \
                and found not in errors:
            errors.setdefault(found, []).append(_("请先填写%(found)s。") % {"found": labels[found]})
    if errors:
        raise ValidationError(errors)
    old = {name: _json(getattr(assessment, name)) for name in INDICATOR_FIELDS}
    for name, value in parsed.items():
        setattr(assessment, name, value)
    new = {name: _json(getattr(assessment, name)) for name in INDICATOR_FIELDS}
    if old != new:
        assessment.save(update_fields=[*INDICATOR_FIELDS, "updated_at"])
        audit(actor=actor, obj=assessment, action="qc.assessment.indicators_saved", old=old, new=new)
    return assessment


def _json(value):
    return str(value) if isinstance(value, Decimal) else value


__all__ = [
    "PointInput", "ResponseWindowClosed", "assert_qc_actor", "assessment_answer",
    "assessment_finalise", "assessment_flag", "assessment_open_findings", "assessment_respond",
    "assessment_save_indicators", "assessment_send", "assessment_suspend_categories", "window_open",
]
