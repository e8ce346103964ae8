from django.db import models
from django.utils.translation import gettext_lazy as _


class ExamCategoryCode(models.TextChoices):
    """The six exam categories an institution files for (职业健康检查类别)."""

    DUST = "dust", _("接触粉尘类")
    CHEMICAL = "chemical", _("接触化学因素类")
    PHYSICAL = "physical", _("接触物理因素类")
    BIOLOGICAL = "biological", _("接触生物因素类")
    RADIATION = "radiation", _("接触放射因素类")
    OTHER = "other", _("其他类（特殊作业等）")


class ExamType(models.TextChoices):
    """Kinds of occupational health examination (GBZ 188-2014 4.6)."""

    PRE_EMPLOYMENT = "pre_employment", _("上岗前")
    ON_DUTY = "on_duty", _("在岗期间")
    LEAVING = "leaving", _("离岗时")
    EMERGENCY = "emergency", _("应急")
    POST_LEAVING = "post_leaving", _("离岗后医学随访")


# The examinations every filed item covers; emergency and post-leaving follow-up apply only to some factors.
ROUTINE_EXAM_TYPES = frozenset({ExamType.PRE_EMPLOYMENT, ExamType.ON_DUTY, ExamType.LEAVING})


class EditionKind(models.TextChoices):
    EXAM_ITEMS = "exam_items", _("职业健康检查项目")
    DISEASES = "diseases", _("职业病分类和目录")


class EditionSource(models.TextChoices):
    BUILTIN = "builtin", _("系统内置")
    IMPORTED = "imported", _("Excel 导入")
