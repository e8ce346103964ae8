"""Demo data of the QC app: the sample sheets and scheme, a few scored assessments of this year,
and last year's round of assessments with its rectification.

Runs after the filing demo (INSTALLED_APPS order), through the QC services, so the
demo passes the same validation and leaves the same audit trail. Deterministic and
safe to run twice: an institution already assessed in a year is skipped.

The years follow the day the demo runs. The shipped sample scheme and sheets are written for
one year (qc/data); any other year the demo needs gets a copy of them through the same services,
as a province carries its scheme over. Last year's results were sent and made final last year, and
their rectification ran then; the services act today (a due date may not lie in the past), so each
result and ledger entry is dated back afterwards in an audited step, as filing/demo.py dates
filings back.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from filing.choices import FilingStatus, InstitutionKind
from filing.models import Filing
from portal.accounts.models import Organisation
from portal.audit.services import audit
from portal.notifications.models import Notification
from portal.notifications.services import notification_mark_read
from portal.workdays.services import add_working_days

from .choices import (
    KEY_ITEM_RECTIFICATION_DAYS,
    POINT_STEP,
    SHEET_VERSION_USABLE,
    Applicability,
    AssessmentKind,
    AssessmentStatus,
)
from .models import Assessment, Finding, Indicator, QCPlan, QCScheme, Score, ScoringSheet
from .selectors import assessable_institutions, examination_filing, filed_categories, usable_version
from .services import (
    BandSpec,
    ScoreEntry,
    assessment_create,
    assessment_finalise,
    assessment_open_findings,
    assessment_save_indicators,
    assessment_save_scores,
    assessment_send,
    assessment_suspend_categories,
    plan_create,
    plan_item_add,
    qc_samples_load,
    scheme_create,
    sheet_version_create,
    sheet_version_publish,
    version_data,
)

KEY_LINE = "5.2.3"
# (how often a line loses points, key line to fail or None): a good, an average and a failing institution,
# and a fourth whose scoring is still in progress (draft).
PROFILES = [(0.08, None), (0.6, None), (0.15, KEY_LINE), (0.3, None)]
DRAFT_PROFILE = 3
# The institution user of the demo, who runs a self-assessment with evidence on its lines.
SELF_ASSESSOR = "jg_ccz"
DEMO_PDF = b"%PDF-1.4\n% demo evidence\n"

# Last year's round: every institution on file on 1 January, bar one in LAST_YEAR_MISSED (coverage
# falls short), assessed from March to October so that results and most rectification end within the
# year. By position in the round: a key item failed every KEY_FAILED_EVERY from KEY_FAILED_AT, a low
# score every FAILED_EVERY from FAILED_AT; a passing result every FINDINGS_EVERY from FINDINGS_AT still
# put its worst line on the ledger.
LAST_YEAR_MISSED = 9
KEY_FAILED_EVERY, KEY_FAILED_AT = 45, 3
FAILED_EVERY, FAILED_AT = 13, 7
FINDINGS_EVERY, FINDINGS_AT = 6, 5
FAILING_RATE = 0.9
SENT_AFTER_DAYS = 7
FINALISED_AFTER_WINDOW_DAYS = 3
FINDING_DUE_DAYS = 30
# Last year's ledger entries by their place in the year: one left open past its due date, one found
# inadequate, one closed after its due date; the others closed in time.
STILL_OPEN, FAILED_FIX, CLOSED_LATE = 1, 4, 2
CLOSED_LATE_BY_DAYS = 15


def demo_year(today: date | None = None) -> int:
    """The year the demo's current records belong to: the year it runs in."""
    return (today or timezone.localdate()).year


def _at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _entries(assessment: Assessment, rng: random.Random, rate: float, failed_key: str | None) -> list[ScoreEntry]:
    entries = []
    for sheet in assessment.sheets.select_related("version"):
        for ind in Indicator.objects.filter(version=sheet.version, is_leaf=True,
                                            applicability=Applicability.ALWAYS):
            if sheet.part == "institution" and ind.code == failed_key:
                entries.append(ScoreEntry(sheet.pk, ind.pk, deducted=ind.max_points,
                                          note="抽查发现1例疑似职业病未向所在地卫生健康主管部门报告"))
            elif not ind.is_key and rng.random() < rate:
                step = ind.deduction_per_occurrence or min(ind.max_points, ind.max_points / 2)
                occurrences = rng.randint(1, 3)
                deducted = min(step * occurrences, ind.max_points).quantize(POINT_STEP)
                entries.append(ScoreEntry(sheet.pk, ind.pk, deducted=deducted, occurrences=occurrences,
                                          note="现场核查发现问题，详见佐证材料"))
    return entries


def ensure_year(province, year: int, actor) -> None:
    """A scheme and published sheets in force for ``year``, copied from the nearest ones when missing."""
    if not QCScheme.objects.filter(province=province, year=year).exists():
        source = (QCScheme.objects.filter(province=province, year__lte=year).order_by("-year").first()
                  or QCScheme.objects.filter(province=province).order_by("year").first())
        if source is None:
            return
        scheme_create(
            province=province, year=year, name=source.name.replace(str(source.year), str(year)),
            institution_weight=source.institution_weight, work_sample_weight=source.work_sample_weight,
            work_sample_averaging=source.work_sample_averaging, key_item_fails=source.key_item_fails,
            key_item_pass_ratio=source.key_item_pass_ratio, response_days=source.response_days,
            coverage_rule=source.coverage_rule,
            bands=[BandSpec(b.label, b.min_score, b.passed) for b in source.bands.all()], actor=actor)
    for sheet in ScoringSheet.objects.filter(province=province, is_active=True).order_by("pk"):
        if usable_version(sheet, year) is not None:
            continue
        source = sheet.versions.filter(status__in=SHEET_VERSION_USABLE).order_by("effective_year", "number").first()
        if source is None:
            continue
        data = dataclasses.replace(version_data(source), effective_year=year,
                                   notes=f"{year}年度适用，内容同{source.effective_year}年度第{source.number}版。")
        version = sheet_version_create(province=province, data=data, actor=actor, copied_from=source,
                                       action="qc.sheet_version.copied")
        sheet_version_publish(version_id=version.pk, actor=actor)


def seed_qc_demo(ctx) -> None:
    qc_user = ctx.users.get("zk_jl")
    qc_samples_load(province=ctx.province, actor=qc_user)
    if qc_user is None:
        return
    today = timezone.localdate()
    year = demo_year(today)
    for needed in (year - 1, year):
        ensure_year(ctx.province, needed, qc_user)
    last_year = seed_last_year(ctx, qc_user, today=today)
    candidates = list(assessable_institutions(qc_user)[:20])
    preferred = ctx.orgs.get("institution")
    if isinstance(preferred, Organisation) and preferred in candidates:
        candidates.remove(preferred)
        candidates.insert(0, preferred)
    assessed = []
    for org, (rate, failed_key) in zip(candidates, PROFILES, strict=False):
        assessment = Assessment.objects.filter(institution=org, year=year, kind=AssessmentKind.OFFICIAL).first()
        if assessment is None:
            assessment = assessment_create(province=ctx.province, institution=org, year=year,
                                           assessed_on=min(date(year, 5, 20), today), team_ids=[qc_user.pk],
                                           actor=qc_user)
            rng = random.Random(org.pk)
            assessment_save_scores(assessment_id=assessment.pk,
                                   entries=_entries(assessment, rng, rate, failed_key), actor=qc_user)
        assessed.append(assessment)
    _seed_process(assessed, qc_user)
    _seed_self_assessment(ctx, year=year, today=today)
    _seed_plan(ctx, qc_user, candidates)
    print(f"  qc: {len(assessed)} assessments (one still being scored), a self-assessment, "
          f"plan for {year}; {last_year} assessments of {year - 1} made final")


def _seed_process(assessed: list[Assessment], qc_user) -> None:
    """The good and the failing institution final (the failing one with a suspended category), the
    average one sent and inside its response window, the fourth left in draft."""
    long_ago = timezone.localdate() - timedelta(days=60)
    for n, assessment in enumerate(assessed):
        if n == DRAFT_PROFILE:
            continue
        assessment.refresh_from_db()
        if assessment.status == AssessmentStatus.DRAFT:
            assessment_send(assessment_id=assessment.pk, actor=qc_user, today=None if n == 1 else long_ago)
        assessment.refresh_from_db()
        if n != 1 and assessment.status == AssessmentStatus.SENT:
            assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
            assessment.refresh_from_db()
        if (assessment.status == AssessmentStatus.FINAL and assessment.failed_key_items
                and not assessment.suspensions.exists() and assessment.filed_categories):
            assessment_suspend_categories(assessment_id=assessment.pk, categories=assessment.filed_categories[:1],
                                          reason="质量考核关键项不合格，暂停该类别至复核合格", actor=qc_user)


def _seed_self_assessment(ctx, *, year: int, today: date) -> None:
    """The demo institution's own finished self-assessment, with a note and a PDF on its deducted lines,
    which the QC center sees beside its assessment."""
    user = ctx.users.get(SELF_ASSESSOR)
    org = getattr(user, "organisation", None)
    if org is None or examination_filing(org) is None:
        return
    if Assessment.objects.filter(institution=org, year=year, kind=AssessmentKind.SELF).exists():
        return
    own = assessment_create(province=ctx.province, institution=org, year=year,
                            assessed_on=min(date(year, 4, 15), today), actor=user, kind=AssessmentKind.SELF)
    sheet = own.sheets.get(category="")
    lines = {i.code: i for i in Indicator.objects.filter(version=sheet.version, code__in=("2.1.3", "3.2.1"))}
    entries = [ScoreEntry(sheet.pk, lines[code].pk, deducted="1", note=note,
                          evidence=SimpleUploadedFile(name, DEMO_PDF, content_type="application/pdf"))
               for code, note, name in (("2.1.3", "一名主检医师资格证书正在换发", "资格证书换发受理单.pdf"),
                                        ("3.2.1", "一台设备检定证书过期，已送检", "设备送检单.pdf"))
               if code in lines]
    assessment_save_scores(assessment_id=own.pk, entries=entries, actor=user)
    assessment_finalise(assessment_id=own.pk, actor=user)


def _seed_plan(ctx, qc_user, candidates) -> None:
    year = timezone.localdate().year
    plan = QCPlan.objects.filter(province=ctx.province, year=year).first()
    if plan is None:
        plan = plan_create(province=ctx.province, year=year, actor=qc_user, notes="全省职业健康检查机构年度质量考核")
    if plan.items.exists():
        return
    for n, org in enumerate(candidates[:6]):
        plan_item_add(plan_id=plan.pk, institution=org, planned_month=4 + n, assessed_by=qc_user.organisation,
                      complaints=2 if n == 1 else 0, workers_examined=30000 if n == 0 else 8000, actor=qc_user)


# ---- Last year's round ------------------------------------------------------------------------

def on_file_since(province, before: date) -> list[Organisation]:
    """Active institutions of the province whose examination filing was accepted before ``before``
    and is still in force, by id: the ones a year's QC round had to reach."""
    ids = (Filing.objects.filter(province=province, kind=InstitutionKind.EXAMINATION, status=FilingStatus.ACCEPTED,
                                 filed_on__lt=before, institution__is_active=True)
           .values_list("institution_id", flat=True))
    orgs = Organisation.objects.filter(pk__in=ids).select_related("region").order_by("pk")
    return [org for org in orgs if filed_categories(examination_filing(org))]


def _last_year_profile(position: int, rng: random.Random) -> tuple[float, str | None]:
    if position % KEY_FAILED_EVERY == KEY_FAILED_AT:
        return 0.2, KEY_LINE
    if position % FAILED_EVERY == FAILED_AT:
        return FAILING_RATE, None
    return rng.uniform(0.06, 0.5), None


def _indicators(rng: random.Random, failing: bool) -> dict:
    """The key figures the team records with a result [SX]: counts found and reported, and rates."""
    found = rng.randint(8, 60)
    suspected = rng.randint(1, 6)
    return {
        "contraindications_found": found, "contraindications_notified": found - (rng.randint(1, 3) if failing else 0),
        "suspected_found": suspected, "suspected_reported": suspected - (1 if failing else 0),
        "diagnosis_accuracy": Decimal(rng.randint(9300, 10000)) / 100,
        "diagnosis_timeliness": Decimal(rng.randint(9000, 10000)) / 100,
        "case_report_completeness": Decimal(rng.randint(9400 if not failing else 8200, 10000)) / 100,
        "case_report_timeliness": Decimal(rng.randint(9100 if not failing else 8000, 10000)) / 100,
    }


def date_back_assessment(assessment: Assessment, *, sent_on: date, finalised_on: date, actor) -> None:
    """Date a result sent and made final today to when it was (its response window came from
    ``sent_on`` already): the services record those moments as now. Audited."""
    old = {"computed_at": assessment.computed_at, "sent_at": assessment.sent_at,
           "finalised_at": assessment.finalised_at}
    new = {"computed_at": _at(assessment.assessed_on, 17), "sent_at": _at(sent_on),
           "finalised_at": _at(finalised_on, 16)}
    Assessment.objects.filter(pk=assessment.pk).update(**new)
    audit(actor=actor, obj=assessment, action="qc.assessment.demo.dated_back", old=old, new=new)


def seed_last_year(ctx, qc_user, *, today: date) -> int:
    """Last year's round: most institutions on file assessed and their results final, a few failing
    (one on a key item), their findings on the ledger and mostly rectified within the year.
    Returns how many assessments were made now."""
    year = today.year - 1
    institutions = on_file_since(ctx.province, date(year, 1, 1))
    made = 0
    ledger_positions = itertools.count(1)
    for position, org in enumerate(institutions):
        if position % LAST_YEAR_MISSED == LAST_YEAR_MISSED - 1:
            continue
        if Assessment.objects.filter(institution=org, year=year, kind=AssessmentKind.OFFICIAL).exists():
            continue
        rng = random.Random(year * 100_000 + org.pk)
        rate, failed_key = _last_year_profile(position, rng)
        assessed_on = date(year, 3 + position % 8, 3 + org.pk % 24)
        assessment = assessment_create(province=ctx.province, institution=org, year=year, assessed_on=assessed_on,
                                       team_ids=[qc_user.pk], actor=qc_user)
        assessment_save_scores(assessment_id=assessment.pk, entries=_entries(assessment, rng, rate, failed_key),
                               actor=qc_user)
        assessment_save_indicators(assessment_id=assessment.pk, actor=qc_user,
                                   values=_indicators(rng, rate >= FAILING_RATE or failed_key is not None))
        sent_on = assessed_on + timedelta(days=SENT_AFTER_DAYS)
        assessment = assessment_send(assessment_id=assessment.pk, actor=qc_user, today=sent_on)
        finalised_on = assessment.response_due_on + timedelta(days=FINALISED_AFTER_WINDOW_DAYS)
        # Final now (its window closed long ago); a failed key item puts its finding on the ledger.
        assessment = assessment_finalise(assessment_id=assessment.pk, actor=qc_user)
        if not assessment.failed_key_items and (not assessment.passed or position % FINDINGS_EVERY == FINDINGS_AT):
            worst = list(Score.objects.filter(assessment_sheet__assessment=assessment, deducted__gt=0)
                         .order_by("-deducted", "pk").values_list("assessment_sheet_id", "indicator_id")
                         [:1 if assessment.passed else 2])
            if worst:
                assessment_open_findings(assessment_id=assessment.pk, lines=worst, actor=qc_user,
                                         due_on=today + timedelta(days=FINDING_DUE_DAYS),
                                         severity="major" if not assessment.passed else "minor",
                                         requirement="按考核意见限期整改，报送整改报告及佐证材料。")
        date_back_assessment(assessment, sent_on=sent_on, finalised_on=finalised_on, actor=qc_user)
        _mark_read(assessment)
        _rectify_last_year(assessment, finalised_on, qc_user, ledger_positions)
        made += 1
    return made


def _mark_read(assessment: Assessment) -> None:
    """The institution read last year's notices of its result then, not in today's bell."""
    rows = (Notification.objects.filter(subject_type__model="assessment", subject_type__app_label="qc",
                                        subject_id=str(assessment.pk), read_at__isnull=True)
            .select_related("recipient"))
    for row in rows:
        notification_mark_read(user=row.recipient, notification_id=row.pk)


def _rectify_last_year(assessment: Assessment, opened_on: date, qc_user, positions: itertools.count) -> None:
    """The result's findings went through rectification last year: plan, fix and close in time, except
    the entries at STILL_OPEN, FAILED_FIX and CLOSED_LATE among the year's entries."""
    try:
        from qc.ledger.demo import date_back_entry, walk_entry
        from qc.ledger.models import LedgerEntry
    except ImportError:  # the ledger app is not installed
        return
    ids = list(Finding.objects.filter(assessment=assessment).order_by("pk").values_list("ledger_entry_id", flat=True))
    year_end = date(opened_on.year, 12, 31)
    for entry in LedgerEntry.objects.filter(pk__in=ids).order_by("pk"):
        index = next(positions)
        due_on = (add_working_days(opened_on, KEY_ITEM_RECTIFICATION_DAYS) if entry.severity == "critical"
                  else opened_on + timedelta(days=FINDING_DUE_DAYS))
        if index == STILL_OPEN:
            steps, done_on = ("plan", "accept"), opened_on + timedelta(days=6)
        elif index == FAILED_FIX:
            steps, done_on = ("plan", "accept", "fix", "fail"), min(due_on + timedelta(days=4), year_end)
        elif index == CLOSED_LATE:
            steps, done_on = ("plan", "accept", "fix", "close"), min(due_on + timedelta(days=CLOSED_LATE_BY_DAYS),
                                                                      year_end)
        else:
            steps = ("plan", "accept", "fix", "close")
            done_on = opened_on + timedelta(days=max(1, (due_on - opened_on).days * 4 // 5))
        walk_entry(entry, steps, decider=qc_user, respondent=None)
        date_back_entry(entry, opened_on=opened_on, due_on=due_on, done_on=done_on, actor=qc_user)
