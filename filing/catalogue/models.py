"""National catalogues that filings refer to: exam categories, exam items by standard edition, diseases.

Catalogues are national data shared by every province, so they carry no province
and are not scoped: every signed-in role may read them ("catalogue.view"). An
edition is never rewritten once loaded; a revised standard (GBZ 188-2025, the
2025 disease catalogue) arrives as a new edition beside the old one, and a filing
keeps pointing at the items of the edition it was made under.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import EditionKind, EditionSource, ExamCategoryCode


class ExamCategory(models.Model):
    """One of the six exam categories (检查类别) an institution files for."""

    code = models.CharField(_("代码"), max_length=16, unique=True, choices=ExamCategoryCode.choices)
    name = models.CharField(_("名称"), max_length=64)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("检查类别")
        verbose_name_plural = _("检查类别")

    def __str__(self):
        return self.name

    @property
    def is_radiation(self) -> bool:
        return self.code == ExamCategoryCode.RADIATION


class CatalogueEdition(models.Model):
    """One edition of a standard or catalogue, e.g. GBZ 188-2014 or the 2013 occupational disease catalogue.

    ``series`` groups the editions of one standard ("GBZ188" for GBZ188-2014 and
    GBZ188-2025) so that the edition in force on a date can be chosen per standard.
    """

    code = models.CharField(_("版本代码"), max_length=32, unique=True)
    series = models.CharField(_("系列"), max_length=32, db_index=True)
    name = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=16, choices=EditionKind.choices)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    source = models.CharField(_("来源"), max_length=16, choices=EditionSource.choices,
                              default=EditionSource.BUILTIN)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        ordering = ["kind", "series", "-effective_from"]
        verbose_name = _("目录版本")
        verbose_name_plural = _("目录版本")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="catalogue_edition_dates_ordered",
            ),
        ]

    def __str__(self):
        return f"{self.code} {self.name}"

    def in_force_on(self, day) -> bool:
        return self.is_active and self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


class ExamItem(models.Model):
    """An exam item (检查项目) of one standard edition: a hazard factor or special operation and its clause."""

    edition = models.ForeignKey(CatalogueEdition, verbose_name=_("版本"), on_delete=models.PROTECT,
                                related_name="exam_items")
    category = models.ForeignKey(ExamCategory, verbose_name=_("检查类别"), on_delete=models.PROTECT,
                                 related_name="items")
    clause = models.CharField(_("条款号"), max_length=16)
    name = models.CharField(_("名称"), max_length=200)
    # f"{edition.code}:{clause}", unique across editions so a filing can store it as a stable key.
    code = models.CharField(_("代码"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["edition", "order"]
        verbose_name = _("检查项目")
        verbose_name_plural = _("检查项目")
        constraints = [
            models.UniqueConstraint(fields=["edition", "clause"], name="catalogue_item_clause_unique"),
        ]

    def __str__(self):
        return f"{self.clause} {self.name}"

    @property
    def is_radiation(self) -> bool:
        return self.category.is_radiation


class DiseaseCategory(models.Model):
    """A category of the occupational disease catalogue (职业病分类和目录), e.g. 1 职业性尘肺病及其他呼吸系统疾病."""

    edition = models.ForeignKey(CatalogueEdition, verbose_name=_("版本"), on_delete=models.PROTECT,
                                related_name="disease_categories")
    number = models.CharField(_("编号"), max_length=16)
    name = models.CharField(_("名称"), max_length=200)
    code = models.CharField(_("代码"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["edition", "order"]
        verbose_name = _("职业病类别")
        verbose_name_plural = _("职业病类别")
        constraints = [
            models.UniqueConstraint(fields=["edition", "number"], name="catalogue_disease_category_unique"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"


class Disease(models.Model):
    """One occupational disease of a catalogue edition, numbered within its category (1.1 矽肺)."""

    edition = models.ForeignKey(CatalogueEdition, verbose_name=_("版本"), on_delete=models.PROTECT,
                                related_name="diseases")
    category = models.ForeignKey(DiseaseCategory, verbose_name=_("类别"), on_delete=models.PROTECT,
                                 related_name="diseases")
    number = models.CharField(_("编号"), max_length=16)
    name = models.CharField(_("名称"), max_length=300)
    # The catalogue's own sub-heading inside a category (尘肺病 / 其他呼吸系统疾病), blank elsewhere.
    group = models.CharField(_("分组"), max_length=100, blank=True)
    code = models.CharField(_("代码"), max_length=64, unique=True)
    order = models.PositiveIntegerField(_("排序"), default=0)

    class Meta:
        ordering = ["edition", "order"]
        verbose_name = _("职业病")
        verbose_name_plural = _("职业病")
        constraints = [
            models.UniqueConstraint(fields=["edition", "number"], name="catalogue_disease_number_unique"),
        ]

    def __str__(self):
        return f"{self.number} {self.name}"
