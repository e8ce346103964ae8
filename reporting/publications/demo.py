"""Demo publications: one published list of each kind for the demo province, through the services.

Runs after the other apps' demo data (INSTALLED_APPS order), so the lists hold their filings,
assessments, verifications, ledger entries and penalties. Safe to run twice: a kind that already
has a published list in the province is left alone.
"""

from __future__ import annotations

import sys
from datetime import timedelta

from django.utils import timezone

from .choices import PublicationKind, PublicationStatus
from .models import Publication
from .services import publication_publish, publication_schedule

NOTES = {
    PublicationKind.FILED_INSTITUTIONS: "名单依据备案信息生成，如有异议请在公示期内向本机关反映。",
    PublicationKind.QC_QUALIFIED: "根据本年度质量控制考核结果，以下机构考核合格。",
}


def seed_publications_demo(ctx) -> None:
    commission = ctx.users.get("wjw_jl")
    if commission is None:
        return
    today = timezone.localdate()
    for kind in PublicationKind:
        if Publication.objects.filter(province=ctx.province, kind=kind, status=PublicationStatus.PUBLISHED).exists():
            continue
        scheduled = publication_schedule(actor=commission, kind=kind, data_as_of=today,
                                         next_update_on=today + timedelta(days=90), notes=NOTES.get(kind, ""))
        published = publication_publish(publication_id=scheduled.pk)
        state = published.number if published is not None and published.number else published.status
        sys.stdout.write(f"  publication {kind.label}: {state} ({published.row_count} rows)\n")
