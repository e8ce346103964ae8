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
    """Fair process before publication: the draft result goes to the institution, which may point out
    factual errors within its response window; the QC center answers each point, then finalises."""

    DRAFT = "draft", _("评分中")
    SENT = "sent", _("已送达机构，待反馈")
    RESPONDED = "responded", _("机构已反馈")
    ANSWERED = "answered", _("已答复反馈")
    FINAL = "final", _("已定稿")


# Official assessments. sent → final directly only once the window has closed without a response
# (checked by the service, since a table cannot know the date).
ASSESSMENT_TRANSITIONS: dict[str, set[str]] = {
    AssessmentStatus.DRAFT: {AssessmentStatus.SENT},
    AssessmentStatus.SENT: {AssessmentStatus.RESPONDED, AssessmentStatus.FINAL},
    AssessmentStatus.RESPONDED: {AssessmentStatus.ANSWERED},
    AssessmentStatus.ANSWERED: {AssessmentStatus.FINAL},
    AssessmentStatus.FINAL: set(),
}
# A self-assessment has nobody to answer to: the institution scores it and closes it.
SELF_ASSESSMENT_TRANSITIONS: dict[str, set[str]] = {
    AssessmentStatus.DRAFT: {AssessmentStatus.FINAL},
    AssessmentStatus.FINAL: set(),
}
# Statuses in which the team may still change scores: while scoring, and after answering the
# institution's points (an accepted point may change a score before the result is final).
ASSESSMENT_SCORABLE = frozenset({AssessmentStatus.DRAFT, AssessmentStatus.ANSWERED})
# Statuses the institution sees (a draft is the team's working file).
ASSESSMENT_VISIBLE_TO_INSTITUTION = frozenset({AssessmentStatus.SENT, AssessmentStatus.RESPONDED,
                                               AssessmentStatus.ANSWERED, AssessmentStatus.FINAL})
# Default response window in working days when the scheme does not set one, and the range a scheme may set.
DEFAULT_RESPONSE_DAYS = 10
MIN_RESPONSE_DAYS = 1
MAX_RESPONSE_DAYS = 60
# Working days an institution is given to rectify a failed key item opened on the ledger at finalisation.
KEY_ITEM_RECTIFICATION_DAYS = 20


class PointAnswer(models.TextChoices):
    """The QC center's answer to one factual-error point raised by the institution."""

    PENDING = "pending", _("待答复")
    ACCEPTED = "accepted", _("采纳")
    REJECTED = "rejected", _("不采纳")


class CoverageRule(models.TextChoices):
    """How far a province's yearly programme must reach [241-4] [JL-5] [SX]."""

    YEARLY_ALL = "yearly_all", _("每年覆盖全部机构（吉林）")
    BIENNIAL_ALL = "biennial_all", _("每两年至少考核一次（国家底线）")
    PROVINCIAL_SHARE_CITY_ALL = "provincial_share_city_all", _("省级不少于30%、市级全覆盖（山西）")


# Shanxi: the provincial QC center assesses at least this share of the institutions itself.
PROVINCIAL_SHARE_PERCENT = 30
# Workers examined in a year above which an institution is suggested for an extra assessment.
HIGH_VOLUME_WORKERS = 20000
