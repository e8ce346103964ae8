"""Rectification due dates of the problem list and rectification ledger [241-4] [241-5]."""

from __future__ import annotations

from datetime import date

from django.db.models.functions import Left
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.choices import OrgKind
from qc.ledger.choices import LedgerStatus
from qc.ledger.models import LedgerEntry

from ..registry import (
    Deadline,
    InstitutionStaff,
    OrganisationStaff,
    ResponsibleAuthority,
    deadline_source,
    detail_url,
)

RECTIFICATION_DUE = "ledger.rectification_due"

# The fix is still to come: the institution owes a plan or the fix, or the authority has yet to
# accept the plan. A reported fix (waiting for verification) has met the deadline from the
# institution's side; closed, refused and failed entries are decided.
RECTIFICATION_PENDING = (LedgerStatus.OPEN, LedgerStatus.PLAN_SUBMITTED, LedgerStatus.ACCEPTED,
                         LedgerStatus.RETURNED)
DESCRIPTION_CHARS = 30


@deadline_source(RECTIFICATION_DUE, gettext_lazy("整改期限"))
def rectification_due(*, today: date):
    """An entry is rectified by ``due_on``: the institution and the authority that raised it
    (``opened_by_organisation``) are reminded. An entry the system opened, or one whose
    opener is not of the entry's province, names the health commission responsible for the
    institution's region instead (county delegation honoured), which supervises it."""
    title, url = _("整改期限：%(number)s %(institution)s（%(problem)s）"), detail_url("ledger:detail")
    rows = (
        LedgerEntry.objects.filter(status__in=RECTIFICATION_PENDING)
        .annotate(problem=Left("description", DESCRIPTION_CHARS + 1))  # not the whole text of every entry
        .order_by("pk")
        .values_list("pk", "due_on", "province_id", "region_id", "opened_at", "institution_id", "institution__name",
                     "problem", "opened_by_organisation_id", "opened_by_organisation__province_id")
    )
    for pk, due, province_id, region_id, opened_at, institution_id, institution, description, opener_id, \
            opener_province_id in rows:
        if opener_id is not None and opener_province_id == province_id:
            authority = OrganisationStaff(opener_id)
        else:
            authority = ResponsibleAuthority(region_id, OrgKind.HEALTH_COMMISSION)
        problem = description if len(description) <= DESCRIPTION_CHARS else f"{description[:DESCRIPTION_CHARS]}…"
        # The number as LedgerEntry.number writes it.
        number = f"ZG{opened_at:%Y}-{pk:06d}"
        yield Deadline(kind=RECTIFICATION_DUE, subject=(LedgerEntry, pk), due_date=due, province_id=province_id,
                       recipients=(InstitutionStaff(institution_id), authority),
                       title=title % {"number": number, "institution": institution, "problem": problem},
                       url=url(pk))
