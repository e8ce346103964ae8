"""Demo data of the QC app: the sample sheets and scheme, and a few scored assessments.

Runs after the filing demo (INSTALLED_APPS order), through the QC services, so the
demo passes the same validation and leaves the same audit trail. Deterministic and
safe to run twice: an institution already assessed in the demo year is skipped.
"""

from __future__ import annotations

import random
from datetime import date

from portal.accounts.models import Organisation

from .choices import POINT_STEP, Applicability
from .models import Assessment, Indicator
from .selectors import assessable_institutions
from .services import ScoreEntry, assessment_create, assessment_save_scores, qc_samples_load

DEMO_YEAR = 2026
# (how often a line loses points, key line to fail or None): a good, an average and a failing institution.
PROFILES = [(0.08, None), (0.6, None), (0.15, "5.2.3")]


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
    for org, (rate, failed_key) in zip(candidates, PROFILES, strict=False):
        if Assessment.objects.filter(institution=org, year=DEMO_YEAR).exists():
            continue
        assessment = assessment_create(province=ctx.province, institution=org, year=DEMO_YEAR,
                                       assessed_on=date(DEMO_YEAR, 5, 20), team_ids=[qc_user.pk], actor=qc_user)
        rng = random.Random(org.pk)
        assessment_save_scores(assessment_id=assessment.pk, entries=_entries(assessment, rng, rate, failed_key),
                               actor=qc_user)
