"""Deadlines of on-site verification after filing [241-1] [JL-1.3] and of off-site
examination notices [JL-3]."""

from __future__ import annotations

from datetime import date
from itertools import groupby
from operator import itemgetter

from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filing.choices import FilingStatus
from inspections.choices import VERIFICATION_PENDING, NotificationStatus
from inspections.models import OffSiteNotification, VerificationCase
from portal.accounts.choices import OrgKind
from portal.notifications.selectors import StaffGroup
from portal.regions.models import RegionLevel

from ..registry import Deadline, ProvinceStaff, ResponsibleAuthority, Users, deadline_source, detail_url

VERIFICATION_DUE = "inspections.verification_due"
OFFSITE_ACKNOWLEDGEMENT = "inspections.offsite_acknowledgement"

# The provincial QC center schedules and runs verifications [JL-1.3].
PROVINCIAL_QC = StaffGroup(OrgKind.QC_CENTER, RegionLevel.PROVINCE)


@deadline_source(VERIFICATION_DUE, gettext_lazy("备案后现场核查期限"))
def verification_due(*, today: date):
    """A newly filed institution is verified on site within 3 months of filing (``due_on``),
    until the result is signed off. The provincial QC center schedules it; once scheduled,
    the inspectors of its team are named too.

    The team comes in the same query (one row per member, consecutive by case); a member now
    working in another province's organisation is left out.
    """
    title, url = _("完成备案后现场核查：%(institution)s"), detail_url("inspections:verification-detail")
    qc_centers: dict[int, ProvinceStaff] = {}
    rows = (
        VerificationCase.objects.filter(status__in=VERIFICATION_PENDING)
        .exclude(filing__status=FilingStatus.CANCELLED)
        .order_by("pk", "team__id")
        .values_list("pk", "due_on", "province_id", "institution__name", "team__id", "team__organisation__province_id")
    )
    for pk, members in groupby(rows, key=itemgetter(0)):
        members = list(members)
        _pk, due, province_id, institution, _uid, _member_province = members[0]
        qc = qc_centers.get(province_id)
        if qc is None:
            qc = qc_centers[province_id] = ProvinceStaff(province_id, PROVINCIAL_QC)
        team = tuple(row[4] for row in members if row[4] is not None and row[5] == province_id)
        recipients = (qc, Users(team)) if team else (qc,)
        yield Deadline(kind=VERIFICATION_DUE, subject=(VerificationCase, pk), due_date=due, province_id=province_id,
                       recipients=recipients, title=title % {"institution": institution}, url=url(pk))


@deadline_source(OFFSITE_ACKNOWLEDGEMENT, gettext_lazy("外出体检告知确认"))
def offsite_acknowledgement(*, today: date):
    """A notice is acknowledged by the authority it was routed to (the employer's county, or
    the city under delegation, decided on submission) before the work starts (``starts_on``).

    Reminders go to the health commission of ``routed_region`` itself, the only one allowed to
    acknowledge, and stop once the job is over: an acknowledgement no longer changes anything.
    """
    title = _("确认外出职业健康检查告知：%(institution)s 赴 %(employer)s（%(starts)s 开始）")
    url = detail_url("inspections:notification-detail")
    authorities: dict[int, tuple] = {}
    rows = (
        OffSiteNotification.objects.filter(status=NotificationStatus.SUBMITTED, ends_on__gte=today,
                                           routed_region__province_id=F("province_id"))  # never another tenant
        .order_by("pk")
        .values_list("pk", "starts_on", "province_id", "routed_region_id", "institution__name", "employer_name")
    )
    for pk, starts_on, province_id, routed_region_id, institution, employer in rows:
        recipients = authorities.get(routed_region_id)
        if recipients is None:
            recipients = authorities[routed_region_id] = (
                ResponsibleAuthority(routed_region_id, OrgKind.HEALTH_COMMISSION, honour_delegation=False),)
        yield Deadline(kind=OFFSITE_ACKNOWLEDGEMENT, subject=(OffSiteNotification, pk), due_date=starts_on,
                       province_id=province_id, recipients=recipients,
                       title=title % {"institution": institution, "employer": employer,
                                      "starts": starts_on.isoformat()},
                       url=url(pk))
