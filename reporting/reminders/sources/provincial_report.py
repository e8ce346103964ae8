"""The provincial report to the national level, due 10 January [241-5]."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation
from portal.notifications.selectors import StaffGroup
from portal.regions.models import Region, RegionLevel

from ..registry import Deadline, ProvinceStaff, deadline_source

PROVINCIAL_REPORT = "reporting.provincial_report"
PROVINCIAL_COMMISSION = StaffGroup(OrgKind.HEALTH_COMMISSION, RegionLevel.PROVINCE)


def next_report_due(today: date) -> date:
    """The coming 10 January (today, on the day itself).

    Until the report itself is recorded, a past 10 January cannot be known to be still
    open, so no overdue reminders are sent for it.
    """
    this_year = date(today.year, 1, 10)
    return this_year if today <= this_year else date(today.year + 1, 1, 10)


@deadline_source(PROVINCIAL_REPORT, gettext_lazy("年度报告报送"))
def provincial_report(*, today: date):
    """Each province with a provincial commission reports last year's QC results,
    rectification and supervision to the national level by 10 January."""
    due = next_report_due(today)
    title = _("报送 %(year)s 年度质量控制、整改与监督情况（%(due)s 前）") % {
        "year": due.year - 1, "due": due.isoformat()}
    url = reverse("reporting:index")
    provinces = (
        Organisation.objects.filter(kind=OrgKind.HEALTH_COMMISSION, region__level=RegionLevel.PROVINCE,
                                    is_active=True, province__isnull=False)
        .order_by("province_id").values_list("province_id", flat=True).distinct()
    )
    for province_id in provinces:
        yield Deadline(kind=PROVINCIAL_REPORT, subject=(Region, province_id), due_date=due,
                       province_id=province_id, recipients=(ProvinceStaff(province_id, PROVINCIAL_COMMISSION),),
                       title=title, url=url)
