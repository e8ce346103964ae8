"""Filing (备案): the application for an account, the filing and its versions.

A filing is one institution's record for one kind (examination or diagnosis).
Everything the institution declares lives on a :class:`FilingVersion`; the first
accepted version makes the filing public, each accepted change replaces it as the
current version, and every version is kept for the history.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.accounts.scoping import ScopedQuerySet, ScopeSpec

from .choices import (
    ApplicationStatus,
    FilingStatus,
    InstitutionKind,
    ItemStatus,
    QualityDocumentType,
    StaffRole,
    Title,
    VersionKind,
    VersionStatus,
)


class AccountApplication(models.Model):
    """An institution asks the provincial QC center for an account."""

    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区划"))
    name = models.CharField(_("机构名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    licence_number = models.CharField(_("医疗机构执业许可证登记号"), max_length=64)
    kind = models.CharField(_("机构类型"), max_length=16, choices=InstitutionKind.choices)
    contact_name = models.CharField(_("联系人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=32)
    contact_email = models.EmailField(_("电子邮箱"))
    username = models.CharField(_("申请的用户名"), max_length=150)
    # The applicant chooses a password when applying; only its hash is kept, and cleared once decided.
    password_hash = models.CharField(max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ApplicationStatus.choices,
                              default=ApplicationStatus.PENDING, db_index=True)
    refusal_reason = models.TextField(_("未通过原因"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    organisation = models.ForeignKey("accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    scope = ScopeSpec(province="province", region="region", institution="organisation")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("账号申请")
        verbose_name_plural = _("账号申请")

    def __str__(self) -> str:
        return self.name


class Filing(models.Model):
    institution = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="filings",
                                    verbose_name=_("机构"))
    province = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=_("省份"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所在区划"))
    kind = models.CharField(_("机构类型"), max_length=16, choices=InstitutionKind.choices)
    filing_number = models.CharField(_("备案编号"), max_length=32, unique=True, null=True, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=FilingStatus.choices, default=FilingStatus.DRAFT,
                              db_index=True)
    current_version = models.ForeignKey("FilingVersion", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+", verbose_name=_("现行备案版本"))
    filed_on = models.DateField(_("备案日期"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("注销时间"), null=True, blank=True)
    cancellation_reason = models.TextField(_("注销原因"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="province", region="region", institution="institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        constraints = [
            models.UniqueConstraint(fields=["institution", "kind"], name="one_filing_per_institution_and_kind"),
        ]

    def __str__(self) -> str:
        return self.filing_number or f"{self.institution} ({self.get_kind_display()})"


class FilingVersion(models.Model):
    """Everything an institution declares in one submission: basic data, staff,
    premises, equipment, documents and items."""

    filing = models.ForeignKey(Filing, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("版本号"))
    version_kind = models.CharField(_("类型"), max_length=16, choices=VersionKind.choices,
                                    default=VersionKind.INITIAL)
    status = models.CharField(_("状态"), max_length=16, choices=VersionStatus.choices,
                              default=VersionStatus.DRAFT, db_index=True)
    # Basic data
    name = models.CharField(_("机构名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    licence_number = models.CharField(_("医疗机构执业许可证登记号"), max_length=64, blank=True)
    licence_copy = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("医疗机构执业许可证副本"))
    radiation_licence_number = models.CharField(_("放射诊疗许可证号"), max_length=64, blank=True)
    radiation_licence_copy = models.ForeignKey("core.StoredFile", null=True, blank=True,
                                               on_delete=models.PROTECT, related_name="+",
                                               verbose_name=_("放射诊疗许可证副本"))
    legal_representative = models.CharField(_("法定代表人"), max_length=64, blank=True)
    quality_manager = models.CharField(_("质量负责人"), max_length=64, blank=True)
    technical_manager = models.CharField(_("技术负责人"), max_length=64, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="+", verbose_name=_("所在区划"))
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    exams_started_on = models.DateField(_("开展职业健康检查（诊断）日期"), null=True, blank=True)
    total_area = models.DecimalField(_("总建筑面积（平方米）"), max_digits=10, decimal_places=2, null=True,
                                     blank=True)
    off_site = models.BooleanField(_("开展外出职业健康检查"), default=False)
    item_edition = models.ForeignKey("catalogue.CatalogueEdition", null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("项目依据标准版本"))
    # Change filing: when the change happened (10 working days to file it)
    change_summary = models.TextField(_("变更事项说明"), blank=True)
    changed_on = models.DateField(_("变更发生日期"), null=True, blank=True)
    # Workflow facts
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    receipt_due_on = models.DateField(_("回执期限"), null=True, blank=True)
    filed_late = models.BooleanField(_("逾期备案"), default=False,
                                     help_text=_("开展检查后超过15个工作日才提交备案。"))
    deficiencies = models.JSONField(_("一次性告知事项"), default=list, blank=True)
    return_reason = models.TextField(_("退回说明"), blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    receipt = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("备案回执"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope = ScopeSpec(province="filing__province", region="filing__region", institution="filing__institution")
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["filing", "-number"]
        verbose_name = _("备案版本")
        verbose_name_plural = _("备案版本")
        constraints = [models.UniqueConstraint(fields=["filing", "number"], name="filing_version_number")]

    def __str__(self) -> str:
        return f"{self.name} v{self.number}"


class StaffMember(models.Model):
    version = models.ForeignKey(FilingVersion, on_delete=models.CASCADE, related_name="staff")
    name = models.CharField(_("姓名"), max_length=64)
    role = models.CharField(_("岗位"), max_length=32, choices=StaffRole.choices)
    registration_number = models.CharField(_("执业证书编号"), max_length=64, blank=True)
    title = models.CharField(_("职称"), max_length=32, choices=Title.choices, default=Title.NONE)
    years_experience = models.PositiveSmallIntegerField(_("从事本工作年限"), default=0)
    diagnosis_qualification = models.JSONField(
        _("职业病诊断资格类别"), default=list, blank=True,
        help_text=_("取得职业病诊断资格的类别代码（与检查类别/职业病目录类别对应）。"),
    )
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return self.name


class StaffCertificate(models.Model):
    staff = models.ForeignKey(StaffMember, on_delete=models.CASCADE, related_name="certificates")
    name = models.CharField(_("证书名称"), max_length=100)
    number = models.CharField(_("证书编号"), max_length=64, blank=True)
    issued_on = models.DateField(_("发证日期"), null=True, blank=True)
    expires_on = models.DateField(_("有效期至"), null=True, blank=True)
    copy = models.ForeignKey("core.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Room(models.Model):
    version = models.ForeignKey(FilingVersion, on_delete=models.CASCADE, related_name="rooms")
    name = models.CharField(_("房间名称/用途"), max_length=100)
    area = models.DecimalField(_("面积（平方米）"), max_digits=8, decimal_places=2)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class Equipment(models.Model):
    version = models.ForeignKey(FilingVersion, on_delete=models.CASCADE, related_name="equipment")
    name = models.CharField(_("设备名称"), max_length=100)
    model = models.CharField(_("型号"), max_length=100, blank=True)
    serial_number = models.CharField(_("出厂编号"), max_length=100, blank=True)
    calibration_due_on = models.DateField(_("检定/校准有效期至"), null=True, blank=True)
    for_off_site = models.BooleanField(_("用于外出体检"), default=False)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("仪器设备")
        verbose_name_plural = _("仪器设备")

    def __str__(self) -> str:
        return self.name


class Vehicle(models.Model):
    version = models.ForeignKey(FilingVersion, on_delete=models.CASCADE, related_name="vehicles")
    plate_number = models.CharField(_("车牌号"), max_length=16)
    vehicle_type = models.CharField(_("车辆类型"), max_length=64, help_text=_("如：体检车、DR车、流动检验车"))
    equipment_onboard = models.CharField(_("车载设备"), max_length=255, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.plate_number


class QualityDocument(models.Model):
    version = models.ForeignKey(FilingVersion, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.CharField(_("文件类型"), max_length=32, choices=QualityDocumentType.choices)
    file = models.ForeignKey("core.StoredFile", on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["doc_type", "pk"]
        constraints = [models.UniqueConstraint(fields=["version", "doc_type"], name="one_document_per_type")]

    def __str__(self) -> str:
        return self.get_doc_type_display()


class FiledItem(models.Model):
    """One exam item (or, for diagnosis institutions, one disease) with its exam types.

    ``status`` is the item's capability as the public sees it; it is carried from
    version to version and changed only through filing's services.
    """

    version = models.ForeignKey(FilingVersion, on_delete=models.CASCADE, related_name="items")
    exam_item = models.ForeignKey("catalogue.ExamItem", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    disease = models.ForeignKey("catalogue.Disease", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    exam_types = models.JSONField(_("检查类型"), default=list, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ItemStatus.choices, default=ItemStatus.ACTIVE,
                              db_index=True)
    status_reason = models.CharField(_("状态说明"), max_length=255, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(exam_item__isnull=False, disease__isnull=True)
                           | models.Q(exam_item__isnull=True, disease__isnull=False)),
                name="filed_item_is_item_or_disease",
            ),
            models.UniqueConstraint(fields=["version", "exam_item"], name="filed_item_once"),
            models.UniqueConstraint(fields=["version", "disease"], name="filed_disease_once"),
        ]

    def __str__(self) -> str:
        return str(self.exam_item or self.disease)


from .models_import import *  # noqa
