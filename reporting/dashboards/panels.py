"""What an authority's home shows: the selectors' figures, each with the link to the list behind it,
and the charts drawn from them.

A figure gets a link only when the user may open the list (the capability the list's view
requires); a list the user cannot open is never offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from portal.accounts.choices import COMMISSION_ROLES, Role
from portal.accounts.permissions import has_capability
from qc.ledger.choices import LedgerStatus
from qc.models import QCPlan
from reporting.charts import Series, bar_chart, line_chart

from . import selectors

# Authority roles whose home carries the dashboard (the administrator's home is about accounts).
DASHBOARD_ROLES = frozenset({*COMMISSION_ROLES, Role.QC_CENTER, Role.DISEASE_CONTROL, Role.SUPERVISION,
                             Role.NATIONAL})
JURISDICTION_TEMPLATE = "dashboards/_jurisdiction.html"
NATIONAL_TEMPLATE = "dashboards/_national.html"


@dataclass
class Figure:
    label: str
    value: object
    url: str = ""
    # "bad" marks a figure that is a problem when it is not zero (overdue work).
    tone: str = ""
    testid: str = ""


@dataclass
class Group:
    title: str
    figures: list[Figure] = field(default_factory=list)
    note: str = ""
    testid: str = ""


def _url(name: str, args=None, **params) -> str:
    url = reverse(name, args=args)
    query = {k: v for k, v in params.items() if v not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def _link_if(user, capability: str, name: str, **params) -> str:
    return _url(name, **params) if has_capability(user, capability) else ""


def _bad(value) -> str:
    return "bad" if value else ""


def filing_group(user, *, today: date) -> Group:
    counts = selectors.filing_counts(user, today=today)
    # The deciders work from the queue; the other authorities read the same versions on the filing list.
    if has_capability(user, "filing.view_queue"):
        waiting, overdue = _url("filing:queue"), _url("filing:queue", overdue=1)
    else:
        waiting = _link_if(user, "filing.view", "filing:index", waiting=1)
        overdue = _link_if(user, "filing.view", "filing:index", overdue=1)
    return Group(_("备案受理"), [
        Figure(_("待出具回执"), counts["waiting"], waiting, testid="filings-waiting"),
        Figure(_("超过回执期限"), counts["overdue"], overdue, _bad(counts["overdue"]), testid="filings-overdue"),
    ], note=_("自提交之日起10个工作日内出具回执。"), testid="dash-filings")


def verification_group(user, *, today: date) -> Group:
    counts = selectors.verification_counts(user, today=today)
    cap = "inspections.view_verifications"
    return Group(_("现场核查"), [
        Figure(_("%(days)s日内到期") % {"days": selectors.DUE_SOON_DAYS}, counts["due"],
               _link_if(user, cap, "inspections:verification-list", due_within=selectors.DUE_SOON_DAYS),
               testid="verifications-due"),
        Figure(_("逾期未核查"), counts["overdue"], _link_if(user, cap, "inspections:verification-list", overdue=1),
               _bad(counts["overdue"]), testid="verifications-overdue"),
    ], note=_("新备案机构须在备案后3个月内完成现场核查。"), testid="dash-verifications")


def coverage_group(user, *, today: date) -> Group | None:
    figures = selectors.coverage_figures(user, year=today.year)
    if figures is None:
        return None
    link = ""
    if has_capability(user, "qc.plan"):
        plan_id = (QCPlan.objects.filter(province_id=user.organisation.province_id, year=today.year)
                   .values_list("pk", flat=True).first())
        link = _url("qc:plan-detail", args=[plan_id]) if plan_id else _url("qc:plan-list")
    percent = "—" if figures.percent is None else f"{figures.percent}%"
    group = Group(_("%(year)s年质控覆盖") % {"year": figures.year}, [
        Figure(_("应考核机构"), figures.total, link, testid="coverage-total"),
        Figure(_("已考核"), figures.covered, link, testid="coverage-covered"),
        Figure(_("覆盖率"), percent, link, "" if figures.met else "bad", testid="coverage-percent"),
    ], note=_("覆盖要求：%(rule)s") % {"rule": figures.rule_label}, testid="dash-coverage")
    if figures.required_percent != 100:
        share = "—" if figures.provincial_percent is None else f"{figures.provincial_percent}%"
        group.figures.append(Figure(_("省级考核占比（要求≥%(n)s%%）") % {"n": figures.required_percent}, share, link,
                                    testid="coverage-provincial"))
    return group


def ledger_group(user, *, today: date) -> tuple[Group, str]:
    counts = selectors.ledger_counts(user, today=today)
    cap = "ledger.view"
    group = Group(_("整改台账"), [
        Figure(_("未办结"), counts["open"], _link_if(user, cap, "ledger:list", open_only="on"), testid="ledger-open"),
        Figure(_("整改逾期"), counts["overdue"], _link_if(user, cap, "ledger:list", overdue_only="on"),
               _bad(counts["overdue"]), testid="ledger-overdue"),
        Figure(_("拒不整改"), counts["by_status"].get(LedgerStatus.REFUSED, 0),
               _link_if(user, cap, "ledger:list", status=LedgerStatus.REFUSED), testid="ledger-refused"),
        Figure(_("整改不到位"), counts["by_status"].get(LedgerStatus.FAILED, 0),
               _link_if(user, cap, "ledger:list", status=LedgerStatus.FAILED), testid="ledger-failed"),
    ], testid="dash-ledger")
    statuses = [s for s in LedgerStatus if s != LedgerStatus.CLOSED]
    chart = bar_chart(
        [str(s.label) for s in statuses],
        [Series("", [counts["by_status"].get(s, 0) for s in statuses],
                [_link_if(user, cap, "ledger:list", status=s) for s in statuses])],
        title=_("整改事项按状态"), width=760, height=240)
    return group, chart


def off_site_group(user, *, today: date) -> Group:
    counts = selectors.off_site_counts(user, today=today)
    cap = "inspections.view_notifications"
    return Group(_("外出职业健康检查"), [
        Figure(_("尚未结束的外出体检"), counts["upcoming"], _link_if(user, cap, "inspections:upcoming"),
               testid="off-site-upcoming"),
        Figure(_("7日内开始"), counts["this_week"],
               _link_if(user, cap, "inspections:upcoming", starts_within=7),
               testid="off-site-week"),
    ], testid="dash-off-site")


def pass_rate_charts(user, *, today: date) -> dict:
    """Pass rate per year (line) and per city in the latest year with results (bar)."""
    can_list = has_capability(user, "qc.view_assessments")
    trend = selectors.pass_rate_by_year(user, today=today)
    year = selectors.latest_year_with_results(trend, today.year)
    areas = selectors.pass_rate_by_area(user, year=year)

    def link(**params) -> str:
        return _url("qc:assessment-list", final=1, **params) if can_list else ""

    return {
        "pass_year": year,
        "pass_by_year": line_chart(
            [r.label for r in trend],
            [Series(_("合格率"), [r.percent for r in trend], [link(year=r.key) if r.total else "" for r in trend])],
            title=_("质控考核合格率（按年度）"), unit="%", maximum=100),
        "pass_by_area": bar_chart(
            [r.label for r in areas],
            [Series(_("合格率"), [r.percent for r in areas], [link(year=year, region=r.key) for r in areas])],
            title=_("%(year)s年质控考核合格率（按地区）") % {"year": year}, unit="%", maximum=100),
        "pass_areas": areas,
        "pass_trend": trend,
    }


def jurisdiction_panel(user, *, today: date) -> dict:
    ledger, ledger_chart = ledger_group(user, today=today)
    groups = [filing_group(user, today=today), verification_group(user, today=today),
              coverage_group(user, today=today), ledger, off_site_group(user, today=today)]
    return {"template": JURISDICTION_TEMPLATE, "groups": [g for g in groups if g is not None],
            "ledger_chart": ledger_chart, **pass_rate_charts(user, today=today)}


def national_panel(user, *, today: date) -> dict:
    figures = selectors.national_by_province(user, today=today)
    rows = []
    for row in figures.rows:
        province = row.province.pk
        rows.append({
            "row": row,
            "filings_url": _url("filing:index", waiting=1, province=province),
            "filings_overdue_url": _url("filing:index", overdue=1, province=province),
            "verifications_url": _url("inspections:verification-list", overdue=1, province=province),
            "ledger_open_url": _url("ledger:list", open_only="on", region=province),
            "ledger_overdue_url": _url("ledger:list", overdue_only="on", region=province),
        })
    labels = [r.province.name for r in figures.rows]
    return {
        "template": NATIONAL_TEMPLATE, "year": figures.year, "rows": rows,
        "pass_chart": bar_chart(labels, [Series(_("合格率"), [r.pass_percent for r in figures.rows])],
                                title=_("%(year)s年质控考核合格率（按省份）") % {"year": figures.year},
                                unit="%", maximum=100, width=760),
        "ledger_chart": bar_chart(labels, [Series(_("整改逾期"), [r.ledger_overdue for r in figures.rows],
                                                  [x["ledger_overdue_url"] for x in rows])],
                                  title=_("整改逾期事项（按省份）"), width=760),
    }


def home_panels(user, *, today: date) -> list[dict]:
    if not user.is_authenticated or user.role not in DASHBOARD_ROLES:
        return []
    if user.role == Role.NATIONAL:
        return [national_panel(user, today=today)]
    return [jurisdiction_panel(user, today=today)]
