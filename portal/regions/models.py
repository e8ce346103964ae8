from django.db import models
from django.utils.translation import gettext_lazy as _


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("省级")
    CITY = "city", _("市级")
    COUNTY = "county", _("县级")


class Region(models.Model):
    """One node of the GB/T 2260 tree.

    ``province`` is denormalised so that tenant filters never walk the tree;
    ``supervised_by_city`` records that the city (市/州) carries a county's
    occupational-health supervision (代管), which routing and jurisdiction honour.
    """

    code = models.CharField(_("区划代码"), max_length=6, unique=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.CharField(_("级别"), max_length=16, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("上级")
    )
    province = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("所属省份")
    )
    supervised_by_city = models.BooleanField(
        _("由市（州）代管职业卫生监督"),
        default=False,
        help_text=_("勾选后，本县（市、区）的外出体检告知等事项由上一级市（州）卫生健康行政部门受理。"),
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")

    def __str__(self) -> str:
        return self.name

    @property
    def full_name(self) -> str:
        parts = []
        node = self
        while node is not None:
            if node.name != "市辖区":
                parts.append(node.name)
            node = node.parent
        return "".join(reversed(parts))

    @property
    def responsible_region(self) -> "Region":
        """The region whose authority handles matters located here (delegation honoured)."""
        if self.level == RegionLevel.COUNTY and self.supervised_by_city and self.parent_id:
            return self.parent
        return self
