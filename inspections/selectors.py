"""Reads of the inspections app; every list starts from a scoped queryset (``restrict(user)``)."""

from __future__ import annotations

import calendar
from datetime import date

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from .choices import (
    VERIFICATION_PENDING,
    ChecklistVersionStatus,
    NotificationStatus,
    VerificationOutcome,
    VerificationStatus,
)
from .models import ChecklistVersion, OffSiteNotification, VerificationCase, VerificationCorrection

# A month of a province's off-site work fits well under this; beyond it the page says it is cut short.
CALENDAR_MAX_NOTICES = 500


def verifications_for(user) -> QuerySet[VerificationCase]:
    # select_related: every row names the institution and its region.
    return VerificationCase.objects.restrict(user).select_related("institution", "region")


def overdue_verifications(user, *, on: date) -> QuerySet[VerificationCase]:
    """Not signed off and past the 3-month limit [241-1]."""
    return verifications_for(user).filter(status__in=VERIFICATION_PENDING, due_on__lt=on)


def verification_counts(user, *, on: date) -> dict:
    """Figures for the dashboard and reports."""
    return verifications_for(user).aggregate(
        pending=Count("pk", filter=Q(status__in=VERIFICATION_PENDING)),
        overdue=Count("pk", filter=Q(status__in=VERIFICATION_PENDING, due_on__lt=on)),
        signed_off=Count("pk", filter=Q(status=VerificationStatus.SIGNED_OFF)),
    )


def verification_detail(user, pk: int) -> VerificationCase:
    # prefetch: the page lists the team, every answer with its evidence, the item verdicts and corrections.
    return (verifications_for(user)
            .select_related("checklist_version", "filing", "signed_off_by")
            .prefetch_related("team", "answers__evidence", "item_findings",
                              Prefetch("corrections", queryset=VerificationCorrection.objects.select_related("actor")))
            .get(pk=pk))


def checklists_for(user) -> QuerySet[ChecklistVersion]:
    return ChecklistVersion.objects.restrict(user).annotate(line_count=Count("lines"))


def published_checklist(province_id: int) -> ChecklistVersion | None:
    return (ChecklistVersion.objects.filter(province_id=province_id, status=ChecklistVersionStatus.PUBLISHED)
            .order_by("-number").first())


def notifications_for(user) -> QuerySet[OffSiteNotification]:
    # routed_region up to the province: lists print its full_name, which walks the parents.
    return OffSiteNotification.objects.restrict(user).select_related("institution", "employer_region",
                                                                       "routed_region__parent__parent")


def notification_inbox(user) -> QuerySet[OffSiteNotification]:
    """Notices routed to the user's own authority (not merely inside its area)."""
    org = user.organisation
    if org is None:
        return OffSiteNotification.objects.none()
    return notifications_for(user).filter(routed_region_id=org.region_id)


def upcoming_off_site(user, *, on: date) -> QuerySet[OffSiteNotification]:
    """Off-site work in the user's area that has not ended yet, soonest first."""
    return notifications_for(user).filter(ends_on__gte=on).order_by("starts_on", "pk")


def off_site_between(user, *, first: date, last: date) -> QuerySet[OffSiteNotification]:
    """Off-site work in the user's area that runs on any day from ``first`` to ``last``."""
    return (notifications_for(user).filter(starts_on__lte=last, ends_on__gte=first)
            .order_by("starts_on", "pk"))


def off_site_calendar(user, *, year: int, month: int) -> dict:
    """A Monday-first month grid: weeks of days, each day with the jobs running on it."""
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    first, last = weeks[0][0], weeks[-1][-1]
    notices = list(off_site_between(user, first=first, last=last)[:CALENDAR_MAX_NOTICES + 1])
    truncated = len(notices) > CALENDAR_MAX_NOTICES
    notices = notices[:CALENDAR_MAX_NOTICES]
    grid = [[{"day": day, "in_month": day.month == month,
              "notices": [n for n in notices if n.starts_on <= day <= n.ends_on],
              "visits": [n for n in notices if n.visit_planned_on == day]}
             for day in week] for week in weeks]
    month_first = date(year, month, 1)
    month_last = date(year, month, calendar.monthrange(year, month)[1])
    count = sum(1 for n in notices if n.starts_on <= month_last and n.ends_on >= month_first)
    return {"weeks": grid, "count": count, "truncated": truncated}


def unfit_as_of(*, province_id: int, on: date) -> list[dict]:
    """Institutions found not to meet the conditions, or the items they are not capable of,
    as the record stood at the end of ``on`` (for a dated publication) [241-1] [JL-1.3].

    A correction made after ``on`` is undone by reading its ``old`` snapshot.
    """
    cases = (VerificationCase.objects.filter(province_id=province_id, signed_off_on__lte=on)
             .select_related("institution", "filing")
             .prefetch_related("item_findings", Prefetch("corrections",
                                                         queryset=VerificationCorrection.objects.order_by("created_at"))))
    rows = []
    for case in cases:
        later = [c for c in case.corrections.all() if timezone.localdate(c.created_at) > on]
        if later:
            state = later[0].old
        else:
            state = {"outcome": case.outcome,
                     "not_capable": {f.item_code: f.reason for f in case.item_findings.all() if not f.capable}}
        if state["outcome"] == VerificationOutcome.FIT and not state["not_capable"]:
            continue
        names = {f.item_code: f.item_name for f in case.item_findings.all()}
        rows.append({
            "institution": case.institution, "filing_number": case.filing.filing_number, "outcome": state["outcome"],
            "signed_off_on": case.signed_off_on,
            "items": [{"code": code, "name": names.get(code, code), "reason": reason}
                      for code, reason in sorted(state["not_capable"].items())],
        })
    rows.sort(key=lambda r: (r["outcome"] != VerificationOutcome.NOT_FIT, r["institution"].name))
    return rows


def notifications_pending(user) -> QuerySet[OffSiteNotification]:
    return notification_inbox(user).filter(status=NotificationStatus.SUBMITTED)
