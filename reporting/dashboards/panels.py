"""What an authority's home shows: the selectors' figures, each with the link to the list behind it,
and the charts drawn from them; and what an institution's home shows: its own filing and what it
has to do next.

A figure gets a link only when the user may open the list (the capability the list's view
requires); a list the user cannot open is never offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from filing.choices import FilingStatus, InstitutionKind, VersionKind, VersionStatus
from inspections.choices import VerificationStatus
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
INSTITUTION_TEMPLATE = "dashboards/_institution.html"


@dataclass
class Figure:
    label: str
    value: object
    url: str = ""
    # "bad" marks a figure that is a problem when it is not zero (overdue work).
    tone: str = ""
    testid: str = ""
    # A word or a date rather than a count: shown in a smaller type.
    text: bool = False


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


def _link_if(user, capability: str, name: str, args=None, **params) -> str:
    return _url(name, args=args, **params) if has_capability(user, capability) else ""


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


# ---- An institution's own home ----------------------------------------------------------------------

def _day(value: date | None) -> str:
    return value.isoformat() if value else "—"


def filing_state_group(user, filing: selectors.FilingState) -> Group:
    """One filing: its number, status and date, and the change or the receipt it is waiting for."""
    kind = filing.kind
    link = _link_if(user, "filing.view", "filing:detail", args=[filing.pk])
    status_tone = "bad" if filing.status in (FilingStatus.RETURNED, FilingStatus.CANCELLED) else ""
    figures = [
        Figure(_("备案编号"), filing.filing_number or "—", link, testid=f"inst-filing-number-{kind}", text=True),
        Figure(_("状态"), FilingStatus(filing.status).label, link, status_tone, testid=f"inst-filing-status-{kind}",
               text=True),
        Figure(_("备案日期"), _day(filing.filed_on), testid=f"inst-filing-date-{kind}", text=True),
    ]
    if filing.open_kind == VersionKind.CHANGE:
        figures.append(Figure(_("变更备案"), VersionStatus(filing.open_status).label, link,
                              _bad(filing.open_status == VersionStatus.RETURNED), testid=f"inst-change-{kind}",
                              text=True))
    if filing.receipt_due_on:
        figures.append(Figure(_("回执期限"), _day(filing.receipt_due_on), link, testid=f"inst-receipt-due-{kind}",
                              text=True))
    notes = {
        VersionStatus.DRAFT: _("尚未提交：请完成填报后提交。"),
        VersionStatus.SUBMITTED: _("已提交，等待受理部门出具回执。"),
        VersionStatus.RETURNED: _("已退回补正：请按一次性告知的事项修改后重新提交。"),
    }
    return Group(_("%(kind)s备案") % {"kind": InstitutionKind(kind).label}, figures,
                 note=notes.get(filing.open_status, ""), testid=f"inst-filing-{kind}")


def institution_ledger_group(user, *, today: date) -> Group:
    counts = selectors.institution_ledger(user, today=today)
    cap, next_due = "ledger.view", counts["next_due"]
    return Group(_("整改台账"), [
        Figure(_("未办结"), counts["open"], _link_if(user, cap, "ledger:list", open_only="on"),
               testid="inst-ledger-open"),
        Figure(_("整改逾期"), counts["overdue"], _link_if(user, cap, "ledger:list", open_only="on", overdue_only="on"),
               _bad(counts["overdue"]), testid="inst-ledger-overdue"),
        Figure(_("最近整改期限"), _day(next_due),
               _link_if(user, cap, "ledger:list", open_only="on", due_from=next_due.isoformat(),
                        due_to=next_due.isoformat()) if next_due else "",
               testid="inst-ledger-next-due", text=True),
    ], testid="inst-ledger")


def institution_qc_group(user, *, today: date) -> Group:
    figures = selectors.institution_results(user, today=today)
    link = _link_if(user, "qc.respond", "qc:response-list", awaiting=1)
    group = Group(_("质控考核"), [
        Figure(_("待反馈的考核结果"), figures["awaiting"], link, testid="inst-qc-awaiting"),
        Figure(_("反馈截止日"), _day(figures["next_due"]), testid="inst-qc-response-due", text=True),
    ], note=_("对送达的考核结果如有事实性异议，请在反馈截止日前提出。"), testid="inst-qc")
    latest = figures["latest"]
    if latest is not None:
        result = latest["grade"] or (_("合格") if latest["passed"] else _("不合格"))
        group.figures.append(Figure(
            _("%(year)s年考核结果") % {"year": latest["year"]}, result,
            _link_if(user, "qc.respond", "qc:response", args=[latest["pk"]]),
            _bad(latest["passed"] is False), testid="inst-qc-latest", text=True))
    return group


def institution_inspections_group(user, *, today: date) -> Group:
    case = selectors.institution_verification(user)
    off_site = selectors.institution_off_site(user, today=today)
    if case is None:
        figures = [Figure(_("待完成的现场核查"), _("无"), testid="inst-verification-status", text=True)]
    else:
        link = _link_if(user, "inspections.view_verifications", "inspections:verification-detail", args=[case["pk"]])
        late = _bad(case["due_on"] < today)
        figures = [Figure(_("现场核查"), VerificationStatus(case["status"]).label, link, late,
                          testid="inst-verification-status", text=True)]
        if case["scheduled_on"]:
            figures.append(Figure(_("核查日期"), _day(case["scheduled_on"]), link,
                                  testid="inst-verification-date", text=True))
        figures.append(Figure(_("核查期限"), _day(case["due_on"]), link, late, testid="inst-verification-due",
                              text=True))
    figures += [
        Figure(_("尚未结束的外出体检"), off_site["upcoming"],
               _link_if(user, "inspections.view_notifications", "inspections:upcoming"),
               testid="inst-off-site-upcoming"),
        Figure(_("下次外出开始"), _day(off_site["next_start"]), testid="inst-off-site-next", text=True),
    ]
    return Group(_("现场核查与外出体检"), figures, testid="inst-inspections")


def institution_expiry_group(user, filings: list[selectors.FilingState], *, today: date) -> Group:
    figures = selectors.institution_expiry(user, today=today)
    # The version page lists the staff's certificates and the equipment with their dates; with two
    # current versions (an examination and a diagnosis filing) the filing page offers both.
    versions = figures.version_ids or {f.current_version_id for f in filings if f.current_version_id}
    if len(versions) == 1:
        link = _link_if(user, "filing.view", "filing:version-detail", args=[next(iter(versions))])
    else:
        link = _link_if(user, "filing.view", "filing:index")
    days = selectors.DUE_SOON_DAYS
    return Group(_("即将到期"), [
        Figure(_("人员证书已过期"), figures.certificates_expired, link, _bad(figures.certificates_expired),
               testid="inst-certificates-expired"),
        Figure(_("人员证书%(days)s日内到期") % {"days": days}, figures.certificates_soon, link,
               testid="inst-certificates-soon"),
        Figure(_("设备检定/校准已过期"), figures.calibrations_expired, link, _bad(figures.calibrations_expired),
               testid="inst-calibrations-expired"),
        Figure(_("设备检定/校准%(days)s日内到期") % {"days": days}, figures.calibrations_soon, link,
               testid="inst-calibrations-soon"),
    ], note=_("按现行备案信息统计；证书或设备更新后请办理变更备案。"), testid="inst-expiry")


def institution_panel(user, *, today: date) -> dict:
    """The institution's filing, then what it has to do: rectification, QC results to answer, the on-site
    verification and off-site work, and what expires soon. Before anything is filed, the way to start;
    before the first filing is accepted, the filing alone (nothing else can exist yet)."""
    filings = selectors.institution_filings(user)
    panel = {"template": INSTITUTION_TEMPLATE, "groups": [],
             "start_url": _link_if(user, "filing.view", "filing:index")}
    if not filings:
        panel["start"] = True
        return panel
    panel["groups"] = [filing_state_group(user, f) for f in filings]
    if not any(f.current_version_id for f in filings):
        panel["not_yet_filed"] = True
        return panel
    panel["groups"] += [institution_ledger_group(user, today=today), institution_qc_group(user, today=today),
                        institution_inspections_group(user, today=today),
                        institution_expiry_group(user, filings, today=today)]
    return panel


def home_panels(user, *, today: date) -> list[dict]:
    if not user.is_authenticated:
        return []
    if user.role == Role.INSTITUTION:
        return [institution_panel(user, today=today)]
    if user.role not in DASHBOARD_ROLES:
        return []
    if user.role == Role.NATIONAL:
        return [national_panel(user, today=today)]
    return [jurisdiction_panel(user, today=today)]
