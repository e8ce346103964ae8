"""Demo data of the QC app: the sample sheets and scheme, and a few scored assessments.

Runs after the filing demo (INSTALLED_APPS order), through the QC services, so the
demo passes the same validation and leaves the same audit trail. Deterministic and
safe to run twice: an institution already assessed in the demo year is skipped.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from portal.accounts.models import Organisation

from .choices import POINT_STEP, Applicability, AssessmentKind, AssessmentStatus
from .models import Assessment, Indicator, QCPlan
from .selectors import assessable_institutions, examination_filing
from .services import (
    ScoreEntry,
    assessment_create,
    assessment_finalise,
    assessment_save_scores,
    assessment_send,
    assessment_suspend_categories,
    plan_create,
    plan_item_add,
    qc_samples_load,
)

DEMO_YEAR = 2026
# (how often a line loses points, key line to fail or None): a good, an average and a failing institution,
# and a fourth whose scoring is still in progress (draft).
PROFILES = [(0.08, None), (0.6, None), (0.15, "5.2.3"), (0.3, None)]
DRAFT_PROFILE = 3
# The institution user of the demo, who runs a self-assessment with evidence on its lines.
SELF_ASSESSOR = "jg_ccz"
DEMO_PDF = b"%PDF-1.4\n% demo evidence\n"


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


def seed_qc_demo(ctx) -> None:
    qc_user = ctx.users.get("zk_jl")
    qc_samples_load(province=ctx.province, actor=qc_user)
    if qc_user is None:
        return
    candidates = list(assessable_institutions(qc_user)[:20])
    preferred = ctx.orgs.get("institution")
    if isinstance(preferred, Organisation) and preferred in candidates:
        candidates.remove(preferred)
        candidates.insert(0, preferred)
    assessed = []
    for org, (rate, failed_key) in zip(candidates, PROFILES, strict=False):
        assessment = Assessment.objects.filter(institution=org, year=DEMO_YEAR, kind=AssessmentKind.OFFICIAL).first()
        if assessment is None:
            assessment = assessment_create(province=ctx.province, institution=org, year=DEMO_YEAR,
                                           assessed_on=date(DEMO_YEAR, 5, 20), team_ids=[qc_user.pk], actor=qc_user)
            rng = random.Random(org.pk)
            assessment_save_scores(assessment_id=assessment.pk,
                                   entries=_entries(assessment, rng, rate, failed_key), actor=qc_user)
        assessed.append(assessment)
    _seed_process(assessed, qc_user)
    _seed_self_assessment(ctx)
    _seed_plan(ctx, qc_user, candidates)
    print(f"  qc: {len(assessed)} assessments (one still being scored), a self-assessment, "
          f"plan for {timezone.localdate().year}")


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


def _seed_self_assessment(ctx) -> None:
    """The demo institution's own finished self-assessment, with a note and a PDF on its deducted lines,
    which the QC center sees beside its assessment."""
    user = ctx.users.get(SELF_ASSESSOR)
    org = getattr(user, "organisation", None)
    if org is None or examination_filing(org) is None:
        return
    if Assessment.objects.filter(institution=org, year=DEMO_YEAR, kind=AssessmentKind.SELF).exists():
        return
    own = assessment_create(province=ctx.province, institution=org, year=DEMO_YEAR, assessed_on=date(DEMO_YEAR, 4, 15),
                            actor=user, kind=AssessmentKind.SELF)
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
