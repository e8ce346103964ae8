"""Statuses of the provincial report to the national level (due 10 January) [241-5]."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("编制中")
    GENERATING = "generating", _("正在生成")
    READY = "ready", _("已生成，待报送")
    SUBMITTED = "submitted", _("已报送国家级")
    FAILED = "failed", _("生成失败")


# The one table of the report workflow. A report is generated (again) as often as the province
# wishes until it is submitted; a change of typical cases sends a generated report back to draft,
# because its files no longer say what the province chose. Generating → generating: a new request
# supersedes one whose worker died (the old task then finds another token and does nothing).
REPORT_TRANSITIONS: dict[str, set[str]] = {
    ReportStatus.DRAFT: {ReportStatus.GENERATING},
    ReportStatus.GENERATING: {ReportStatus.GENERATING, ReportStatus.READY, ReportStatus.FAILED},
    ReportStatus.READY: {ReportStatus.GENERATING, ReportStatus.SUBMITTED, ReportStatus.DRAFT},
    ReportStatus.FAILED: {ReportStatus.GENERATING, ReportStatus.DRAFT},
    ReportStatus.SUBMITTED: set(),
}
# States in which the typical cases may still be chosen.
CASES_EDITABLE = frozenset({ReportStatus.DRAFT, ReportStatus.READY, ReportStatus.FAILED})
# States that have files to download.
HAS_FILES = frozenset({ReportStatus.READY, ReportStatus.SUBMITTED})
STATUS_BADGE = {ReportStatus.READY: "warn", ReportStatus.SUBMITTED: "ok", ReportStatus.FAILED: "bad",
                ReportStatus.GENERATING: "warn"}


class CaseKind(models.TextChoices):
    SPOT_CHECK = "spot_check", _("监督抽查")
    PENALTY = "penalty", _("行政处罚")


# The report is due to the national level by 10 January of the following year [241-5].
DUE_MONTH, DUE_DAY = 1, 10
# Years shown in the trend chart (the report's year and the ones before it).
TREND_YEARS = 5
NOTE_MAX_LENGTH = 300
