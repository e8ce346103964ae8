"""Vocabularies of supervision spot-checks and special campaigns (监督抽查、专项治理) [241-5] [HZ].

The finding categories are the nine columns of 不合格情况 in the Hangzhou 2023 form
附表2 (职业健康检查执业行为专项治理情况登记表); their labels are the column headings.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class FindingCategory(models.TextChoices):
    NOT_FILED = "not_filed", _("未按规定备案")
    CHIEF_EXAMINER = "chief_examiner", _("主检医师不符合要求")
    NOT_REPORTED = "not_reported", _("未按规定报告、告知疑似职业病、职业禁忌")
    FALSE_CERTIFICATE = "false_certificate", _("出具虚假证明文件")
    NO_ARCHIVES = "no_archives", _("未按要求建立档案")
    NORMS_NOT_FOLLOWED = "norms_not_followed", _("未按规范开展工作")
    NO_INFORMATION_REPORTING = "no_information_reporting", _("未履行信息报告义务")
    QC_NOT_JOINED = "qc_not_joined", _("未按规定参加质量考核或未按要求整改")
    OTHER = "other", _("其他不合格情况")


class SpotCheckStatus(models.TextChoices):
    PLANNED = "planned", _("计划中")
    DONE = "done", _("已检查")


SPOT_CHECK_TRANSITIONS = {
    SpotCheckStatus.PLANNED: {SpotCheckStatus.DONE},
    SpotCheckStatus.DONE: set(),
}


class PenaltyStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    FINAL = "final", _("已生效")


PENALTY_TRANSITIONS = {
    PenaltyStatus.DRAFT: {PenaltyStatus.FINAL},
    PenaltyStatus.FINAL: set(),
}
# A final decision is never edited: a correction is a new decision.
PENALTY_EDITABLE_STATUSES = frozenset({PenaltyStatus.DRAFT})

# The steps of the Hangzhou plan, offered when a campaign is created; a campaign stores
# its own steps as rows, so a province may rename, add or drop steps.
DEFAULT_CAMPAIGN_STEPS = (_("自查自改"), _("执法检查"), _("总结验收"))
