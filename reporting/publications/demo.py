"""Demo publications: one published list of each kind for the demo province, through the services.

Runs after the other apps' demo data (INSTALLED_APPS order), so the lists hold their filings,
assessments, verifications, ledger entries and penalties. Safe to run twice: a kind that already
has a published list in the province is left alone.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta

from django.utils import timezone

from .choices import PublicationKind, PublicationStatus
from .models import Publication
from .services import publication_publish, publication_schedule

NOTES = {
    PublicationKind.FILED_INSTITUTIONS: "名单依据备案信息生成，如有异议请在公示期内向本机关反映。",
    PublicationKind.QC_QUALIFIED: "根据{year}年度质量控制考核结果，以下机构考核合格。",
    PublicationKind.QC_RECTIFICATION: "{year}年度质量控制考核发现问题的机构及其整改进展。",
}
# The QC lists report a whole year's round: the demo publishes last year's, the one that is complete.
YEARLY_KINDS = {PublicationKind.QC_QUALIFIED, PublicationKind.QC_RECTIFICATION}


def seed_publications_demo(ctx) -> None:
    commission = ctx.users.get("wjw_jl")
    if commission is None:
        return
    today = timezone.localdate()
    for kind in PublicationKind:
        if Publication.objects.filter(province=ctx.province, kind=kind, status=PublicationStatus.PUBLISHED).exists():
            continue
        if kind in YEARLY_KINDS:
            as_of, next_update = date(today.year - 1, 12, 31), date(today.year, 12, 31)
        else:
            as_of, next_update = today, today + timedelta(days=90)
        scheduled = publication_schedule(actor=commission, kind=kind, data_as_of=as_of, next_update_on=next_update,
                                         notes=NOTES.get(kind, "").format(year=as_of.year))
        published = publication_publish(publication_id=scheduled.pk)
        state = published.number if published is not None and published.number else published.status
        sys.stdout.write(f"  publication {kind.label}: {state} ({published.row_count} rows)\n")
