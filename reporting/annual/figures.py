"""The figures of the provincial report, computed from the records alone (no figure is typed in).

Every section is a handful of database aggregates over one province and one year, so the
number of queries is the same whatever the number of rows. The result is plain JSON: it is
stored on the report as the snapshot the files, the page and the national comparison read.

Year boundaries: a figure "in the year" counts what happened between 1 January and
31 December; "overdue" and "open" are as they stood on 31 December, so a report generated
in January and one regenerated in March say the same thing about the same records.
Codes (ledger sources, finding categories, outcomes) are stored as codes; labels are added
when the figures are shown, in the reader's language.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

from django.db.models import Avg, Case, Count, F, IntegerField, Max, Q, Sum, When
from django.db.models.functions import ExtractMonth

from inspections.choices import VerificationOutcome, VerificationStatus
from inspections.models import VerificationCase
from inspections.supervision.choices import FindingCategory, PenaltyStatus, SpotCheckStatus
from inspections.supervision.models import Finding, Penalty, SpotCheck
from portal.regions.models import Region, RegionLevel
from qc import selectors as qc_selectors
from qc.ledger.choices import UNRECTIFIED_STATUSES, LedgerSource
from qc.ledger.models import LedgerEntry

from .choices import TREND_YEARS

# Key indicators recorded on assessments [SX]: (field, kind). Counts are summed, rates averaged.
COUNT_INDICATORS = ("contraindications_found", "contraindications_notified", "suspected_found", "suspected_reported")
RATE_INDICATORS = ("diagnosis_accuracy", "diagnosis_timeliness", "case_report_completeness",
                   "case_report_timeliness")


def percent(part, whole) -> float | None:
    """A share in per cent with one decimal; ``None`` when there is nothing to divide by."""
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1")))


def _number(value) -> float | None:
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal("0.01")))


def compute_figures(province_id: int, year: int) -> dict:
    """All sections of the report for one province and one year."""
    province = Region.objects.only("code", "name").get(pk=province_id)
    return {
        "province": {"id": province.pk, "code": province.code, "name": province.name},
        "year": year,
        "qc": qc_section(province_id, year),
        "rectification": rectification_section(province_id, year),
        "verifications": verification_section(province_id, year),
        "supervision": supervision_section(province_id, year),
    }


# ---------------------------------------------------------------- quality control


def qc_section(province_id: int, year: int) -> dict:
    # Only final official assessments count: a draft or a self-assessment is a working file.
    finals = qc_selectors.final_official_assessments().filter(province_id=province_id, year=year)
    # Aliases carry a prefix: an aggregate may not share its name with a field of the model.
    aggregates = {
        "n_total": Count("pk"),
        "n_institutions": Count("institution", distinct=True),
        "n_passed": Count("pk", filter=Q(passed=True)),
        "n_failed": Count("pk", filter=Q(passed=False)),
        "n_key_item_failed": Count("pk", filter=~Q(failed_key_items=[])),
    }
    for name in COUNT_INDICATORS:
        aggregates[f"sum_{name}"] = Sum(name)
    for name in (*COUNT_INDICATORS, *RATE_INDICATORS):
        aggregates[f"n_{name}"] = Count(name)
    for name in RATE_INDICATORS:
        aggregates[f"avg_{name}"] = Avg(name)
    totals = finals.aggregate(**aggregates)

    indicators = {}
    for name in COUNT_INDICATORS:
        indicators[name] = {"value": totals[f"sum_{name}"] or 0, "recorded": totals[f"n_{name}"]}
    for name in RATE_INDICATORS:
        indicators[name] = {"value": _number(totals[f"avg_{name}"]), "recorded": totals[f"n_{name}"]}
    indicators["contraindication_notification_rate"] = {
        "value": percent(totals["sum_contraindications_notified"] or 0, totals["sum_contraindications_found"]),
        "recorded": totals["n_contraindications_found"]}
    indicators["suspected_report_rate"] = {
        "value": percent(totals["sum_suspected_reported"] or 0, totals["sum_suspected_found"]),
        "recorded": totals["n_suspected_found"]}

    return {
        "assessments": totals["n_total"],
        "institutions": totals["n_institutions"],
        "passed": totals["n_passed"],
        "failed": totals["n_failed"],
        "pass_rate": percent(totals["n_passed"], totals["n_total"]),
        "key_item_failed": totals["n_key_item_failed"],
        "coverage": coverage_figures(province_id, year),
        "by_grade": _by_grade(finals),
        "by_city": _by_city(finals),
        "indicators": indicators,
        "key_items": _key_item_failures(finals),
        "trend": _trend(province_id, year),
    }


def coverage_figures(province_id: int, year: int) -> dict:
    """Coverage against the province's own rule, as QC computes it (qc.selectors.coverage)."""
    cov = qc_selectors.coverage(province_id, year)
    return {
        "rule": cov.rule,
        "required_percent": float(cov.required_percent),
        "total": cov.total,
        "covered": len(cov.covered),
        "percent": float(cov.percent),
        "provincial_covered": cov.provincial_covered,
        "provincial_percent": float(cov.provincial_percent),
        "met": cov.met,
        "uncovered": [o.name for o in cov.uncovered],
        "cities": [{"code": c.city.code, "name": c.city.name, "total": c.total, "covered": c.covered,
                    "percent": float(c.percent), "met": c.met} for c in cov.cities],
    }


def _by_grade(finals) -> list[dict]:
    # Highest grade first: grade labels are each province's configuration, so order by the scores.
    rows = (finals.values("grade").annotate(count=Count("pk"), top=Max("total_score"))
            .order_by(F("top").desc(nulls_last=True), "grade"))
    return [{"grade": row["grade"], "count": row["count"]} for row in rows]


def _city_of_institution():
    """The city (市/州) of the assessed institution: its county's parent, or its own city region."""
    return Case(
        When(institution__region__level=RegionLevel.COUNTY, then=F("institution__region__parent_id")),
        When(institution__region__level=RegionLevel.CITY, then=F("institution__region_id")),
        default=None, output_field=IntegerField(),
    )


def _by_city(finals) -> list[dict]:
    rows = list(finals.annotate(city_id=_city_of_institution()).values("city_id")
                .annotate(total=Count("pk"), n_passed=Count("pk", filter=Q(passed=True)))
                .order_by("city_id"))
    cities = {pk: (code, name) for pk, code, name in Region.objects.filter(
        pk__in=[r["city_id"] for r in rows if r["city_id"]]).values_list("pk", "code", "name")}
    result = [{"code": cities.get(r["city_id"], ("", ""))[0], "name": cities.get(r["city_id"], ("", ""))[1],
               "total": r["total"], "passed": r["n_passed"], "pass_rate": percent(r["n_passed"], r["total"])}
              for r in rows]
    # Institutions registered at province level have no city; they are listed last, unnamed.
    return sorted(result, key=lambda r: (r["code"] == "", r["code"]))


def _key_item_failures(finals) -> list[dict]:
    """How often each key item (★) failed. The failures are JSON on the (few) failed assessments,
    so they are counted here rather than with a database-specific JSON function."""
    counts: Counter = Counter()
    for failures in finals.exclude(failed_key_items=[]).values_list("failed_key_items", flat=True):
        for failure in {(f.get("code", ""), f.get("title", "")) for f in failures}:
            counts[failure] += 1
    return [{"code": code, "title": title, "count": n}
            for (code, title), n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))]


def _trend(province_id: int, year: int) -> list[dict]:
    first = year - TREND_YEARS + 1
    rows = {r["year"]: r for r in qc_selectors.final_official_assessments()
            .filter(province_id=province_id, year__gte=first, year__lte=year)
            .values("year").annotate(total=Count("pk"), n_passed=Count("pk", filter=Q(passed=True))).order_by("year")}
    result = []
    for y in range(first, year + 1):
        total, passed = rows.get(y, {}).get("total", 0), rows.get(y, {}).get("n_passed", 0)
        result.append({"year": y, "total": total, "passed": passed, "pass_rate": percent(passed, total)})
    return result


# ---------------------------------------------------------------- rectification


def rectification_section(province_id: int, year: int) -> dict:
    year_end = date(year, 12, 31)
    entries = LedgerEntry.objects.filter(province_id=province_id)
    opened = Q(opened_at__year=year)
    closed = Q(closed_on__year=year)
    # Still open on 31 December although due by then (refused and failed entries were never closed).
    overdue = (Q(due_on__lte=year_end, opened_at__year__lte=year)
               & (Q(closed_on__isnull=True) | Q(closed_on__gt=year_end)))
    unrectified = Q(status__in=UNRECTIFIED_STATUSES, status_changed_at__year=year)
    rows = {r["source"]: r for r in entries.filter(opened | closed | overdue | unrectified).values("source").annotate(
        opened=Count("pk", filter=opened), closed=Count("pk", filter=closed),
        closed_late=Count("pk", filter=closed & Q(closed_on__gt=F("due_on"))),
        overdue=Count("pk", filter=overdue), unrectified=Count("pk", filter=unrectified),
    ).order_by("source")}
    keys = ("opened", "closed", "closed_late", "overdue", "unrectified")
    by_source = [{"source": source, **{k: rows.get(source, {}).get(k, 0) for k in keys}}
                 for source in LedgerSource.values]
    totals = {k: sum(r[k] for r in by_source) for k in keys}
    opened_by_month = dict(entries.filter(opened).annotate(month=ExtractMonth("opened_at")).values("month")
                           .annotate(n=Count("pk")).order_by("month").values_list("month", "n"))
    closed_by_month = dict(entries.filter(closed).annotate(month=ExtractMonth("closed_on")).values("month")
                           .annotate(n=Count("pk")).order_by("month").values_list("month", "n"))
    return {
        **totals,
        "by_source": by_source,
        "by_month": [{"month": m, "opened": opened_by_month.get(m, 0), "closed": closed_by_month.get(m, 0)}
                     for m in range(1, 13)],
    }


# ---------------------------------------------------------------- on-site verification


def verification_section(province_id: int, year: int) -> dict:
    """Verifications due in the year (3 months after filing): on time, late, or still open on 31 December.

    A case that ended because its filing was cancelled was never due: there was nothing left to verify.
    """
    year_end = date(year, 12, 31)
    due = Q(due_on__year=year) & ~Q(status=VerificationStatus.WITHDRAWN)
    signed_by_year_end = Q(status=VerificationStatus.SIGNED_OFF, signed_off_on__lte=year_end)
    signed_in_year = Q(status=VerificationStatus.SIGNED_OFF, signed_off_on__year=year)
    aggregates = {
        "due": Count("pk", filter=due),
        "on_time": Count("pk", filter=due & signed_by_year_end & Q(signed_off_on__lte=F("due_on"))),
        "late": Count("pk", filter=due & signed_by_year_end & Q(signed_off_on__gt=F("due_on"))),
        "open_overdue": Count("pk", filter=due & (Q(signed_off_on__isnull=True) | Q(signed_off_on__gt=year_end))),
        "signed_off": Count("pk", filter=signed_in_year),
    }
    for outcome in VerificationOutcome.values:
        aggregates[f"outcome_{outcome}"] = Count("pk", filter=signed_in_year & Q(outcome=outcome))
    totals = VerificationCase.objects.filter(province_id=province_id).aggregate(**aggregates)
    return {
        "due": totals["due"], "on_time": totals["on_time"], "late": totals["late"],
        "open_overdue": totals["open_overdue"], "signed_off": totals["signed_off"],
        "on_time_rate": percent(totals["on_time"], totals["due"]),
        "outcomes": [{"outcome": o, "count": totals[f"outcome_{o}"]} for o in VerificationOutcome.values],
    }


# ---------------------------------------------------------------- supervision


def supervision_section(province_id: int, year: int) -> dict:
    done = Q(status=SpotCheckStatus.DONE, checked_on__year=year)
    checks = SpotCheck.objects.filter(province_id=province_id).aggregate(
        planned=Count("pk", filter=Q(plan__year=year)),
        done=Count("pk", filter=done),
        institutions=Count("institution", filter=done, distinct=True),
    )
    findings = dict(Finding.objects.filter(spot_check__province_id=province_id,
                                           spot_check__status=SpotCheckStatus.DONE,
                                           spot_check__checked_on__year=year)
                    .values("category").annotate(n=Count("pk")).order_by("category").values_list("category", "n"))
    penalties = Penalty.objects.filter(province_id=province_id, status=PenaltyStatus.FINAL,
                                       decided_on__year=year).aggregate(
        count=Count("pk"), warnings=Count("pk", filter=Q(warning=True)),
        fined=Count("pk", filter=Q(fine__gt=0)), fine_total=Sum("fine"),
        institutions=Count("institution", distinct=True),
    )
    return {
        "planned": checks["planned"], "done": checks["done"], "institutions": checks["institutions"],
        "findings": sum(findings.values()),
        "findings_by_category": [{"category": c, "count": findings.get(c, 0)} for c in FindingCategory.values],
        "penalties": penalties["count"], "warnings": penalties["warnings"], "fined": penalties["fined"],
        "fine_total": float(penalties["fine_total"] or 0),
        "penalised_institutions": penalties["institutions"],
    }
