"""Reads of the provincial report. Every page starts from :func:`visible_reports`."""

from __future__ import annotations

from datetime import date

from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from inspections.supervision.choices import FindingCategory, PenaltyStatus, SpotCheckStatus
from inspections.supervision.models import Penalty, SpotCheck
from portal.accounts.choices import Role

from .choices import TREND_YEARS, CaseKind, ReportStatus
from .models import ProvincialReport, TypicalCase
from .permissions import is_provincial_reader


def visible_reports(user) -> QuerySet[ProvincialReport]:
    """The one scoped queryset: a provincial reader's own province; the national level only what was
    submitted; platform administrators everything."""
    qs = ProvincialReport.objects.restrict(user).select_related("province", "submitted_by")
    if user.is_superuser:
        return qs
    if user.role == Role.NATIONAL:
        return qs.filter(status=ReportStatus.SUBMITTED)
    if not is_provincial_reader(user):
        return qs.none()
    return qs


def default_year(today: date) -> int:
    """The report is on the previous year."""
    return today.year - 1


def year_rows(user, today: date) -> list[dict]:
    """The province's recent years, each with its report if one was started (one query)."""
    last = default_year(today)
    reports = {r.year: r for r in visible_reports(user).filter(province_id=user.organisation.province_id)}
    years = sorted(set(range(last - TREND_YEARS + 1, last + 1)) | set(reports), reverse=True)
    return [{"year": y, "report": reports.get(y), "due_on": date(y + 1, 1, 10)} for y in years]


def submitted_reports(year: int | None = None) -> QuerySet[ProvincialReport]:
    qs = (ProvincialReport.objects.filter(status=ReportStatus.SUBMITTED).select_related("province", "submitted_by")
          .order_by("-year", "province__code"))
    return qs.filter(year=year) if year else qs


def comparison_rows(year: int) -> list[dict]:
    """Key figures of every province's submitted report for ``year``, read from the snapshots (what was
    submitted is what is compared)."""
    rows = []
    for report in submitted_reports(year):
        f = report.figures
        qc, rect, ver, sup = f["qc"], f["rectification"], f["verifications"], f["supervision"]
        rows.append({
            "report": report, "province": report.province.name,
            "assessments": qc["assessments"], "coverage": qc["coverage"]["percent"],
            "coverage_met": qc["coverage"]["met"], "pass_rate": qc["pass_rate"],
            "rect_opened": rect["opened"], "rect_closed": rect["closed"], "rect_overdue": rect["overdue"],
            "ver_on_time": ver["on_time"], "ver_late": ver["late"], "ver_open": ver["open_overdue"],
            "checks": sup["done"], "penalties": sup["penalties"], "fine_total": sup["fine_total"],
        })
    return rows


def submitted_years() -> list[int]:
    return list(ProvincialReport.objects.filter(status=ReportStatus.SUBMITTED).order_by("-year")
                .values_list("year", flat=True).distinct())


# ---------------------------------------------------------------- typical cases


def spot_check_candidates(report: ProvincialReport) -> QuerySet[SpotCheck]:
    """Spot checks of the report's province done in its year: what may be chosen as a typical case."""
    return (SpotCheck.objects.filter(province_id=report.province_id, status=SpotCheckStatus.DONE,
                                     checked_on__year=report.year)
            .select_related("institution").annotate(finding_count=Count("findings"))
            .order_by("-checked_on", "pk"))


def penalty_candidates(report: ProvincialReport) -> QuerySet[Penalty]:
    """Final penalties of the report's province decided in its year."""
    return (Penalty.objects.filter(province_id=report.province_id, status=PenaltyStatus.FINAL,
                                   decided_on__year=report.year)
            .select_related("institution").order_by("-decided_on", "pk"))


def typical_cases(report: ProvincialReport) -> list[TypicalCase]:
    # select/prefetch: each case names its institution and summarises the findings of its spot check.
    return list(report.typical_cases.select_related("spot_check__institution", "penalty__institution")
                .prefetch_related("spot_check__findings").order_by("pk"))


def case_summary(case: TypicalCase) -> dict:
    """What the files say of one case: institution, date, the facts in one line, the user's note."""
    if case.kind == CaseKind.SPOT_CHECK:
        check = case.spot_check
        labels = sorted({str(FindingCategory(f.category).label) for f in check.findings.all()})
        summary = (_("发现问题 %(n)s 项：%(labels)s") % {"n": len(check.findings.all()), "labels": "、".join(labels)}
                   if labels else _("未发现问题"))
        return {"kind": case.kind, "institution": check.institution.name,
                "date": check.checked_on.isoformat() if check.checked_on else "", "summary": summary,
                "note": case.note, "ref": check.pk}
    penalty = case.penalty
    parts = [penalty.decision_number]
    if penalty.warning:
        parts.append(_("警告"))
    if penalty.fine:
        parts.append(_("罚款 %(fine)s 万元") % {"fine": f"{penalty.fine.normalize():f}"})
    return {"kind": case.kind, "institution": penalty.institution.name, "date": penalty.decided_on.isoformat(),
            "summary": "，".join(parts), "note": case.note, "ref": penalty.pk}


def submitted_province_ids(year: int) -> set[int]:
    """Provinces whose report on ``year`` has been submitted: the 10 January reminder stops for them."""
    return set(ProvincialReport.objects.filter(year=year, status=ReportStatus.SUBMITTED)
               .values_list("province_id", flat=True))
