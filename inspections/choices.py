"""Statuses and vocabularies of on-site verification (现场核查) and off-site examination notices
(外出职业健康检查告知) [241-1] [JL-1.2] [JL-1.3] [JL-3]."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# Every newly filed institution is verified on site within 3 months of filing [241-1] [JL-1.3].
VERIFICATION_DUE_MONTHS = 3
# An off-site job is notified in writing at least 5 working days before it starts [JL-3].
NOTICE_WORKING_DAYS = 5
# Working days an institution gets to rectify a finding of the verification.
FINDING_RECTIFICATION_WORKING_DAYS = 20


class VerificationStatus(models.TextChoices):
    OPEN = "open", _("待安排")
    SCHEDULED = "scheduled", _("已安排")
    IN_PROGRESS = "in_progress", _("核查中")
    SIGNED_OFF = "signed_off", _("已签发")
    WITHDRAWN = "withdrawn", _("已终止（备案已注销）")


# The one table of the verification workflow; rescheduling keeps a case scheduled. A case not yet
# signed off ends when its filing is cancelled: there is no longer a filing to verify.
VERIFICATION_TRANSITIONS = {
    VerificationStatus.OPEN: {VerificationStatus.SCHEDULED, VerificationStatus.WITHDRAWN},
    VerificationStatus.SCHEDULED: {VerificationStatus.SCHEDULED, VerificationStatus.IN_PROGRESS,
                                   VerificationStatus.WITHDRAWN},
    VerificationStatus.IN_PROGRESS: {VerificationStatus.SIGNED_OFF, VerificationStatus.WITHDRAWN},
    VerificationStatus.SIGNED_OFF: set(),
    VerificationStatus.WITHDRAWN: set(),
}
VERIFICATION_PENDING = frozenset({VerificationStatus.OPEN, VerificationStatus.SCHEDULED,
                                  VerificationStatus.IN_PROGRESS})


class VerificationOutcome(models.TextChoices):
    FIT = "fit", _("符合备案条件")
    FIT_EXCEPT = "fit_except", _("符合备案条件，部分项目不具备能力")
    NOT_FIT = "not_fit", _("不符合备案条件")


# Outcomes that let a newly filed institution examine off site [JL-1.2].
OUTCOMES_PASSED = frozenset({VerificationOutcome.FIT, VerificationOutcome.FIT_EXCEPT})


class ChecklistSection(models.TextChoices):
    """The key links the rules name [241-1] [JL-1.3], plus the consistency check."""

    CHIEF_EXAMINER = "chief_examiner", _("主检医师培训与考核")
    EQUIPMENT = "equipment", _("仪器设备配备及检定校准")
    PREMISES = "premises", _("工作场所条件")
    QUALITY = "quality", _("质量管理体系与制度")
    REPORTING = "reporting", _("信息报告")
    CONSISTENCY = "consistency", _("备案信息一致性核查")


class ChecklistVersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")
    RETIRED = "retired", _("已停用")


CHECKLIST_TRANSITIONS = {
    ChecklistVersionStatus.DRAFT: {ChecklistVersionStatus.PUBLISHED},
    ChecklistVersionStatus.PUBLISHED: {ChecklistVersionStatus.RETIRED},
    ChecklistVersionStatus.RETIRED: set(),
}


class Answer(models.TextChoices):
    CONFORMING = "conforming", _("符合")
    NOT_CONFORMING = "not_conforming", _("不符合")
    NOT_APPLICABLE = "not_applicable", _("不适用")


class NotificationStatus(models.TextChoices):
    SUBMITTED = "submitted", _("已告知，待确认")
    ACKNOWLEDGED = "acknowledged", _("已确认收悉")


NOTIFICATION_TRANSITIONS = {
    NotificationStatus.SUBMITTED: {NotificationStatus.ACKNOWLEDGED},
    NotificationStatus.ACKNOWLEDGED: set(),
}
