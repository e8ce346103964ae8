from django.db import models
from django.utils.translation import gettext_lazy as _


class InstitutionKind(models.TextChoices):
    EXAMINATION = "examination", _("职业健康检查机构")
    DIAGNOSIS = "diagnosis", _("职业病诊断机构")


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACTIVATED = "activated", _("已开通")
    REFUSED = "refused", _("未通过")


APPLICATION_TRANSITIONS = {
    ApplicationStatus.PENDING: {ApplicationStatus.ACTIVATED, ApplicationStatus.REFUSED},
    ApplicationStatus.ACTIVATED: set(),
    ApplicationStatus.REFUSED: set(),
}


class FilingStatus(models.TextChoices):
    """The filing as the public and the authorities know it."""

    DRAFT = "draft", _("填报中")
    SUBMITTED = "submitted", _("已提交待受理")
    RETURNED = "returned", _("已退回补正")
    ACCEPTED = "accepted", _("已备案")
    CANCELLED = "cancelled", _("已注销")


class VersionKind(models.TextChoices):
    INITIAL = "initial", _("首次备案")
    CHANGE = "change", _("变更备案")


class VersionStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    SUBMITTED = "submitted", _("已提交")
    RETURNED = "returned", _("已退回")
    ACCEPTED = "accepted", _("已受理")
    SUPERSEDED = "superseded", _("已被后续变更取代")
    WITHDRAWN = "withdrawn", _("已撤回")


# One table per workflow: which version status may follow which.
VERSION_TRANSITIONS = {
    VersionStatus.DRAFT: {VersionStatus.SUBMITTED, VersionStatus.WITHDRAWN},
    VersionStatus.SUBMITTED: {VersionStatus.ACCEPTED, VersionStatus.RETURNED},
    VersionStatus.RETURNED: {VersionStatus.SUBMITTED, VersionStatus.WITHDRAWN},
    VersionStatus.ACCEPTED: {VersionStatus.SUPERSEDED},
    VersionStatus.SUPERSEDED: set(),
    VersionStatus.WITHDRAWN: set(),
}
VERSION_EDITABLE = frozenset({VersionStatus.DRAFT, VersionStatus.RETURNED})
VERSION_OPEN = frozenset({VersionStatus.DRAFT, VersionStatus.SUBMITTED, VersionStatus.RETURNED})

FILING_TRANSITIONS = {
    FilingStatus.DRAFT: {FilingStatus.SUBMITTED, FilingStatus.CANCELLED},
    FilingStatus.SUBMITTED: {FilingStatus.ACCEPTED, FilingStatus.RETURNED},
    FilingStatus.RETURNED: {FilingStatus.SUBMITTED, FilingStatus.CANCELLED},
    FilingStatus.ACCEPTED: {FilingStatus.CANCELLED},
    FilingStatus.CANCELLED: set(),
}
PUBLIC_FILING_STATUSES = frozenset({FilingStatus.ACCEPTED})


class ItemStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    SUSPENDED = "suspended", _("暂停")
    NOT_CAPABLE = "not_capable", _("不具备能力")


class StaffRole(models.TextChoices):
    CHIEF_EXAMINER = "chief_examiner", _("主检医师")
    PHYSICIAN = "physician", _("执业医师")
    DIAGNOSIS_PHYSICIAN = "diagnosis_physician", _("职业病诊断医师")
    NURSE = "nurse", _("护士")
    RADIOLOGY = "radiology", _("放射/影像技术人员")
    LAB = "lab", _("检验技术人员")
    OTHER = "other", _("其他技术人员")


class Title(models.TextChoices):
    NONE = "none", _("无")
    JUNIOR = "junior", _("初级")
    INTERMEDIATE = "intermediate", _("中级")
    ASSOCIATE_SENIOR = "associate_senior", _("副高级")
    SENIOR = "senior", _("正高级")


TITLES_INTERMEDIATE_OR_ABOVE = frozenset({Title.INTERMEDIATE, Title.ASSOCIATE_SENIOR, Title.SENIOR})


class QualityDocumentType(models.TextChoices):
    """Required quality-management documents (a province may publish a longer list)."""

    QUALITY_MANUAL = "quality_manual", _("质量管理手册")
    PROCEDURES = "procedures", _("程序文件")
    RESPONSIBILITIES = "responsibilities", _("岗位职责")
    EXAM_PROCEDURES = "exam_procedures", _("职业健康检查工作程序与作业指导书")
    REPORT_REVIEW = "report_review", _("报告审核与签发制度")
    ARCHIVES = "archives", _("职业健康检查档案管理制度")
    INFORMATION_REPORTING = "information_reporting", _("信息报告制度")
    SUSPECTED_DISEASE = "suspected_disease", _("疑似职业病报告与告知制度")
    EQUIPMENT = "equipment", _("仪器设备管理制度")
    LAB_QC = "lab_qc", _("实验室质量控制制度")
    BIOSAFETY = "biosafety", _("生物安全与医疗废物管理制度")
    OFF_SITE = "off_site", _("外出职业健康检查管理制度")


REQUIRED_DOCUMENTS = [t for t in QualityDocumentType if t != QualityDocumentType.OFF_SITE]
