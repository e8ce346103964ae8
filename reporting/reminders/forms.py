import re

from django import forms
from django.utils.translation import gettext_lazy as _

from .services import MAX_OVERDUE_EVERY_DAYS


class ReminderScheduleForm(forms.Form):
    days_before = forms.CharField(
        label=_("提前提醒天数"), required=False, max_length=100,
        help_text=_("到期前多少天提醒，用逗号分隔，例如：30, 7, 1。"),
    )
    on_due_day = forms.BooleanField(label=_("到期当日提醒"), required=False)
    overdue_every_days = forms.IntegerField(
        label=_("逾期后每隔几天提醒"), min_value=0, max_value=MAX_OVERDUE_EVERY_DAYS,
        help_text=_("0 表示逾期后不再提醒。"),
    )

    def clean_days_before(self) -> list[int]:
        parts = [p for p in re.split(r"[\s,，、;；]+", self.cleaned_data["days_before"]) if p]
        if not all(p.isascii() and p.isdigit() for p in parts):
            raise forms.ValidationError(_("请填写正整数天数，用逗号分隔。"))
        return [int(p) for p in parts]
