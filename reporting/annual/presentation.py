"""The report's figures as titled tables and charts.

One list of sections feeds the Excel workbook (one sheet per section), the PDF and the page,
so the three can never disagree; the charts are the same inline SVG on the page and in the PDF.
Labels are translated when shown: the snapshot keeps codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from inspections.choices import VerificationOutcome
from inspections.supervision.choices import FindingCategory
from qc.choices import CoverageRule
from qc.ledger.choices import LedgerSource
from reporting.charts import Series, bar_chart, line_chart

from .choices import CaseKind


@dataclass
class Section:
    key: str
    title: str
    header: list[str]
    rows: list[list] = field(default_factory=list)


def _label(choices, value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def indicator_labels() -> dict[str, str]:
    return {
        "contraindications_found": _("发现职业禁忌证人数"),
        "contraindications_notified": _("已告知职业禁忌证人数"),
        "contraindication_notification_rate": _("职业禁忌证告知率（%）"),
        "suspected_found": _("发现疑似职业病人数"),
        "suspected_reported": _("已报告疑似职业病人数"),
        "suspected_report_rate": _("疑似职业病报告率（%）"),
        "diagnosis_accuracy": _("诊断准确率（%，平均）"),
        "diagnosis_timeliness": _("诊断报告及时率（%，平均）"),
        "case_report_completeness": _("个案报告卡完整率（%，平均）"),
        "case_report_timeliness": _("个案报告卡及时率（%，平均）"),
    }


def sections(figures: dict) -> list[Section]:
    """Every section of the report, in the order of the workbook and the PDF."""
    qc, cov = figures["qc"], figures["qc"]["coverage"]
    rect, ver, sup = figures["rectification"], figures["verifications"], figures["supervision"]
    result = []

    overview = Section("qc", _("质量考核与覆盖"), [_("项目"), _("数值")], [
        [_("完成质量考核（定稿）次数"), qc["assessments"]],
        [_("被考核机构数"), qc["institutions"]],
        [_("合格"), qc["passed"]],
        [_("不合格"), qc["failed"]],
        [_("合格率（%）"), qc["pass_rate"]],
        [_("关键项不合格次数"), qc["key_item_failed"]],
        [_("覆盖要求"), _label(CoverageRule, cov["rule"])],
        [_("应考核机构数"), cov["total"]],
        [_("已覆盖机构数"), cov["covered"]],
        [_("覆盖率（%）"), cov["percent"]],
    ])
    if cov["rule"] == CoverageRule.PROVINCIAL_SHARE_CITY_ALL:
        overview.rows.append([_("省级考核覆盖率（%）"), cov["provincial_percent"]])
        for city in cov["cities"]:
            overview.rows.append([_("%(city)s市级覆盖率（%%）") % {"city": city["name"]}, city["percent"]])
    overview.rows.append([_("是否达到覆盖要求"), _yes_no(cov["met"])])
    overview.rows.append([_("未覆盖机构"), "、".join(cov["uncovered"]) or "—"])
    result.append(overview)

    result.append(Section("grades", _("考核结果（按等级）"), [_("等级"), _("考核次数"), _("占比（%）")], [
        [row["grade"] or _("未评定"), row["count"], _share(row["count"], qc["assessments"])]
        for row in qc["by_grade"]]))
    result.append(Section("cities", _("考核结果（按市州）"), [_("市（州）"), _("考核次数"), _("合格次数"), _("合格率（%）")], [
        [row["name"] or _("省直属"), row["total"], row["passed"], row["pass_rate"]] for row in qc["by_city"]]))
    labels = indicator_labels()
    result.append(Section("indicators", _("关键指标"), [_("指标"), _("数值"), _("填报考核次数")], [
        # In the order of the labels: a JSON snapshot read back from PostgreSQL keeps no key order.
        [label, qc["indicators"][key]["value"], qc["indicators"][key]["recorded"]] for key, label in labels.items()
        if key in qc["indicators"]]))
    result.append(Section("key_items", _("关键项不合格"), [_("关键项编号"), _("关键项"), _("不合格次数")], [
        [row["code"], row["title"], row["count"]] for row in qc["key_items"]]))
    result.append(Section("trend", _("近年质量考核情况"), [_("年度"), _("考核次数"), _("合格次数"), _("合格率（%）")], [
        [row["year"], row["total"], row["passed"], row["pass_rate"]] for row in qc["trend"]]))

    rect_rows = [[_label(LedgerSource, row["source"]), row["opened"], row["closed"], row["closed_late"],
                  row["overdue"], row["unrectified"]] for row in rect["by_source"]]
    rect_rows.append([_("合计"), rect["opened"], rect["closed"], rect["closed_late"], rect["overdue"],
                      rect["unrectified"]])
    result.append(Section("rectification", _("问题整改"), [
        _("问题来源"), _("年内新列入"), _("年内销号"), _("其中逾期销号"), _("年末逾期未销号"), _("拒不整改或整改不到位")],
        rect_rows))
    result.append(Section("rectification_months", _("整改按月情况"), [_("月份"), _("新列入"), _("销号")], [
        [_("%(month)s月") % {"month": row["month"]}, row["opened"], row["closed"]] for row in rect["by_month"]]))

    ver_rows = [
        [_("年内到期的现场核查"), ver["due"]],
        [_("按期完成"), ver["on_time"]],
        [_("逾期完成"), ver["late"]],
        [_("年末逾期未完成"), ver["open_overdue"]],
        [_("按期完成率（%）"), ver["on_time_rate"]],
        [_("年内签发核查结论"), ver["signed_off"]],
    ]
    ver_rows += [[_("其中：%(outcome)s") % {"outcome": _label(VerificationOutcome, row["outcome"])}, row["count"]]
                 for row in ver["outcomes"]]
    result.append(Section("verifications", _("备案后现场核查"), [_("项目"), _("数量")], ver_rows))

    result.append(Section("supervision", _("监督抽查与行政处罚"), [_("项目"), _("数量")], [
        [_("计划抽查机构（次）"), sup["planned"]],
        [_("完成抽查（次）"), sup["done"]],
        [_("抽查机构数"), sup["institutions"]],
        [_("发现问题数"), sup["findings"]],
        [_("行政处罚（已生效）"), sup["penalties"]],
        [_("其中：警告"), sup["warnings"]],
        [_("其中：罚款"), sup["fined"]],
        [_("罚款合计（万元）"), sup["fine_total"]],
        [_("被处罚机构数"), sup["penalised_institutions"]],
    ]))
    result.append(Section("findings", _("监督发现问题（按附表2类别）"), [_("不合格情况"), _("问题数")], [
        [_label(FindingCategory, row["category"]), row["count"]] for row in sup["findings_by_category"]]))
    result.append(Section("typical_cases", _("典型案例"), [_("类型"), _("机构"), _("日期"), _("情况"), _("说明")], [
        [_label(CaseKind, case["kind"]), case["institution"], case["date"], case["summary"], case["note"]]
        for case in figures.get("typical_cases", [])]))
    return result


def _share(part: int, whole: int):
    from .figures import percent

    return percent(part, whole)


def display(value) -> str:
    """A cell as shown on the page and in the PDF."""
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def charts(figures: dict) -> dict:
    """The report's charts as inline SVG: results by grade, pass rate by city, the five-year trend and
    rectification by month."""
    qc, rect = figures["qc"], figures["rectification"]
    grades = qc["by_grade"]
    cities = qc["by_city"]
    return {
        "grades": bar_chart([g["grade"] or _("未评定") for g in grades],
                            [Series(_("考核次数"), [g["count"] for g in grades])], title=_("考核结果（按等级）")),
        "cities": bar_chart([c["name"] or _("省直属") for c in cities],
                            [Series(_("合格率"), [c["pass_rate"] for c in cities])], title=_("各市（州）考核合格率"),
                            unit="%", maximum=100),
        "trend": line_chart([str(t["year"]) for t in qc["trend"]],
                            [Series(_("考核次数"), [t["total"] for t in qc["trend"]]),
                             Series(_("合格次数"), [t["passed"] for t in qc["trend"]])],
                            title=_("近年质量考核情况")),
        "months": line_chart([str(m["month"]) for m in rect["by_month"]],
                             [Series(_("新列入"), [m["opened"] for m in rect["by_month"]]),
                              Series(_("销号"), [m["closed"] for m in rect["by_month"]])],
                             title=_("整改问题按月情况")),
    }


def comparison_chart(rows: list[dict]):
    """Coverage and pass rate per province, for the national comparison."""
    labels = [row["province"] for row in rows]
    return bar_chart(labels, [Series(_("覆盖率"), [row["coverage"] for row in rows]),
                              Series(_("合格率"), [row["pass_rate"] for row in rows])],
                     title=_("各省质量考核覆盖率与合格率"), unit="%", maximum=100,
                     width=max(560, 90 * len(labels) + 80))
