"""Deadlines of the yearly quality-control programme [241-4] [JL-5]: planned assessments to
finish by the year's end, and the institution's window to answer a result."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, F, IntegerField, OuterRef, Subquery, Value, Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.accounts.choices import OrgKind
from portal.notifications.selectors import StaffGroup
from portal.regions.models import RegionLevel
from qc.choices import AssessmentKind, AssessmentStatus
from qc.models import Assessment, PlanItem

from ..registry import (
    Deadline,
    InstitutionStaff,
    OrganisationStaff,
    ProvinceStaff,
    deadline_source,
    detail_url,
)
from ..stages import CATCH_UP_DAYS

PLAN_YEAR_END = "qc.plan_year_end"
RESPONSE_WINDOW = "qc.response_window"

# The provincial QC center runs the province's programme and answers for its coverage.
PROVINCIAL_QC = StaffGroup(OrgKind.QC_CENTER, RegionLevel.PROVINCE)


def _qc_center(organisation_id: int | None, organisation_province_id: int | None, province_id: int,
               provincial: dict[int, ProvinceStaff]):
    """The named QC center when it belongs to the row's province, else the provincial one."""
    if organisation_id is not None and organisation_province_id == province_id:
        return OrganisationStaff(organisation_id)
    qc = provincial.get(province_id)
    if qc is None:
        qc = provincial[province_id] = ProvinceStaff(province_id, PROVINCIAL_QC)
    return qc


@deadline_source(PLAN_YEAR_END, gettext_lazy("年度计划考核完成期限"))
def plan_year_end(*, today: date):
    """Each planned assessment of this year's plan is done by 31 December.

    An institution planned n times in a year (an extra assessment besides the regular one)
    has its first k planned items, by month, done once k of its official assessments of that
    year are final: the counts and the ranks come with the rows, in the same query.
    Reminders go to the QC center the item names and to the provincial QC center. Last
    year's plan is read during the first days of January only, for a 31 December stage a
    missed scan still owes.
    """
    title, url = _("完成年度计划考核：%(institution)s（%(year)s 年 %(month)s 月）"), detail_url("qc:plan-detail")
    finals = (
        Assessment.objects.filter(kind=AssessmentKind.OFFICIAL, status=AssessmentStatus.FINAL,
                                  institution_id=OuterRef("institution_id"), year=OuterRef("plan__year"))
        .order_by().values("institution_id").annotate(n=Count("pk")).values("n")
    )
    provincial: dict[int, ProvinceStaff] = {}
    rows = (
        PlanItem.objects.filter(plan__year__gte=(today - timedelta(days=CATCH_UP_DAYS)).year,
                                plan__year__lte=today.year, institution__is_active=True)
        .annotate(finals=Coalesce(Subquery(finals, output_field=IntegerField()), Value(0)),
                  rank=Window(RowNumber(), partition_by=[F("plan_id"), F("institution_id")],
                              order_by=[F("planned_month").asc(), F("pk").asc()]))
        .order_by("pk")
        .values_list("pk", "plan_id", "plan__year", "plan__province_id", "planned_month", "institution__name",
                     "assessed_by_id", "assessed_by__province_id", "rank", "finals")
    )
    for pk, plan_id, year, province_id, month, institution, body_id, body_province_id, rank, done in rows:
        if rank <= done:
            continue
        center = _qc_center(body_id, body_province_id, province_id, provincial)
        recipients = (center, _qc_center(None, None, province_id, provincial))
        yield Deadline(kind=PLAN_YEAR_END, subject=(PlanItem, pk), due_date=date(year, 12, 31),
                       province_id=province_id, recipients=recipients,
                       title=title % {"institution": institution, "year": year, "month": month},
                       url=url(plan_id))


@deadline_source(RESPONSE_WINDOW, gettext_lazy("考核结果反馈期限"))
def response_window(*, today: date):
    """A result sent to the institution waits for its factual-error points until
    ``response_due_on`` (inclusive); then the QC center may finalise it without them.

    Until that day the institution is reminded, with a link to its response page; from the
    day after, the QC center that ran the assessment (the provincial one when unknown) is
    reminded to finalise, with a link to the assessment, while the result stays unanswered.
    """
    respond_title, respond_url = _("核对 %(year)s 年度质量考核结果，如有异议请于 %(due)s 前反馈"), detail_url("qc:response")
    finalise_title = _("反馈期限已过，请定稿：%(institution)s %(year)s 年度质量考核")
    finalise_url = detail_url("qc:assessment-detail")
    provincial: dict[int, ProvinceStaff] = {}
    rows = (
        Assessment.objects.filter(kind=AssessmentKind.OFFICIAL, status=AssessmentStatus.SENT,
                                  response_due_on__isnull=False)
        .order_by("pk")
        .values_list("pk", "response_due_on", "province_id", "year", "institution_id", "institution__name",
                     "assessing_body_id", "assessing_body__province_id")
    )
    for pk, due, province_id, year, institution_id, institution, body_id, body_province_id in rows:
        if today <= due:
            yield Deadline(kind=RESPONSE_WINDOW, subject=(Assessment, pk), due_date=due, province_id=province_id,
                           recipients=(InstitutionStaff(institution_id),),
                           title=respond_title % {"year": year, "due": due.isoformat()}, url=respond_url(pk))
        else:
            yield Deadline(kind=RESPONSE_WINDOW, subject=(Assessment, pk), due_date=due, province_id=province_id,
                           recipients=(_qc_center(body_id, body_province_id, province_id, provincial),),
                           title=finalise_title % {"institution": institution, "year": year},
                           url=finalise_url(pk))
