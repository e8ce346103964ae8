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
    """The coming 10 January (today, on the day itself)."""
    this_year = date(today.year, 1, 10)
    return this_year if today <= this_year else date(today.year + 1, 1, 10)


# How long an unsubmitted report keeps being chased after 10 January; later, the national level's
# comparison shows the province as missing and the weekly reminder would only be noise.
OVERDUE_CHASE_DAYS = 60


def open_report_dues(today: date) -> list[date]:
    """The 10 January deadlines that can be open today: the coming one and, for two months after
    it has passed, this year's, which stays open (overdue) for a province until it submits."""
    coming = next_report_due(today)
    this_year = date(today.year, 1, 10)
    if coming == this_year or (today - this_year).days > OVERDUE_CHASE_DAYS:
        return [coming]
    return [this_year, coming]


@deadline_source(PROVINCIAL_REPORT, gettext_lazy("年度报告报送"))
def provincial_report(*, today: date):
    """Each province with a provincial commission reports last year's QC results,
    rectification and supervision to the national level by 10 January; a submitted report
    closes the deadline."""
    from reporting.annual.selectors import submitted_province_ids

    url = reverse("annual_reports:index")
    provinces = list(
        Organisation.objects.filter(kind=OrgKind.HEALTH_COMMISSION, region__level=RegionLevel.PROVINCE,
                                    is_active=True, province__isnull=False)
        .order_by("province_id").values_list("province_id", flat=True).distinct()
    )
    for due in open_report_dues(today):
        title = _("报送 %(year)s 年度质量控制、整改与监督情况（%(due)s 前）") % {
            "year": due.year - 1, "due": due.isoformat()}
        submitted = submitted_province_ids(due.year - 1)
        for province_id in provinces:
            if province_id in submitted:
                continue
            yield Deadline(kind=PROVINCIAL_REPORT, subject=(Region, province_id), due_date=due,
                           province_id=province_id,
                           recipients=(ProvinceStaff(province_id, PROVINCIAL_COMMISSION),),
                           title=title, url=url)
