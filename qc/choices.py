from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

# Points move in steps of 0.1 ("扣分以0.1分为最小单位"); every computed score is rounded to the same step.
POINT_STEP = Decimal("0.1")
# Level-1 groups of a sheet add up to this; part weights add up to 100 (per cent).
SHEET_TOTAL_POINTS = Decimal("100")
MAX_LEVEL = 3


class SheetPart(models.TextChoices):
    """The two parts of an assessment: the institution as a whole, and its work samples per filed category."""

    INSTITUTION = "institution", _("机构综合")
    WORK_SAMPLE = "work_sample", _("工作样本")


class SheetVersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    FROZEN = "frozen", _("已冻结（已用于考核）")


# One table per workflow. A version is frozen by the first assessment that uses it and never changes again;
# revising it means copying it into a new draft.
SHEET_VERSION_TRANSITIONS = {
    SheetVersionStatus.DRAFT: {SheetVersionStatus.PUBLISHED},
    SheetVersionStatus.PUBLISHED: {SheetVersionStatus.FROZEN},
    SheetVersionStatus.FROZEN: set(),
}
SHEET_VERSION_EDITABLE = frozenset({SheetVersionStatus.DRAFT})
# Versions an assessment may use.
SHEET_VERSION_USABLE = frozenset({SheetVersionStatus.PUBLISHED, SheetVersionStatus.FROZEN})


class Applicability(models.TextChoices):
    """When an indicator (and everything under it) counts. A line that does not apply is left out of both
    the points earned and the points possible (合理缺项, scored in proportion)."""

    ALWAYS = "always", _("均适用")
    REQUIRES_RADIATION = "requires_radiation", _("备案放射类时适用")
    CATEGORY_ONLY = "category_only", _("限定检查类别")


class WorkSampleAveraging(models.TextChoices):
    """How the work-sample sheets of several filed categories make one part score."""

    MEAN = "mean", _("各类别得分的平均值")
    LOWEST = "lowest", _("各类别中的最低得分")


class AssessmentKind(models.TextChoices):
    OFFICIAL = "official", _("质控考核")
    SELF = "self", _("机构自查")


class AssessmentStatus(models.TextChoices):
    """Only scoring exists so far. The institution's response window, finalisation and publication
    add their statuses here and their rows to :data:`ASSESSMENT_TRANSITIONS`."""

    DRAFT = "draft", _("评分中")


ASSESSMENT_TRANSITIONS: dict[str, set[str]] = {
    AssessmentStatus.DRAFT: set(),
}
# Statuses in which the team may still change scores.
ASSESSMENT_SCORABLE = frozenset({AssessmentStatus.DRAFT})
