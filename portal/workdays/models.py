from django.db import models
from django.utils.translation import gettext_lazy as _


class YearSource(models.TextChoices):
    PACKAGE = "package", _("来自 chinesecalendar 数据包")
    MANUAL = "manual", _("管理员录入")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("法定节假日（休）")
    WORKDAY = "workday", _("调休上班日（班）")


class CalendarYear(models.Model):
    """A year whose statutory schedule is known. Without a row the calendar falls
    back to Monday–Friday for that year and warns administrators."""

    year = models.PositiveIntegerField(_("年份"), unique=True)
    source = models.CharField(_("来源"), max_length=16, choices=YearSource.choices)
    note = models.CharField(_("依据（通知文号等）"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("日历年度")
        verbose_name_plural = _("日历年度")

    def __str__(self) -> str:
        return str(self.year)


class SpecialDay(models.Model):
    """A date that differs from the Monday–Friday rule: a holiday or an adjusted working day (调休)."""

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=16, choices=DayKind.choices)
    name = models.CharField(_("名称"), max_length=64, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("特殊日期")
        verbose_name_plural = _("特殊日期")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"


class MissingYearLookup(models.Model):
    """Someone computed a deadline in a year the calendar does not know.

    ``times`` counts processes that loaded the year, not individual deadlines: the
    calendar records a missing year once per process, not on every call.
    """

    year = models.PositiveIntegerField(_("年份"), unique=True)
    first_asked_at = models.DateTimeField(_("首次用到"), auto_now_add=True)
    last_asked_at = models.DateTimeField(_("最近用到"), auto_now=True)
    times = models.PositiveIntegerField(_("次数"), default=0)

    class Meta:
        ordering = ["year"]
        verbose_name = _("缺少安排的年份")
        verbose_name_plural = _("缺少安排的年份")

    def __str__(self) -> str:
        return str(self.year)
