from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import PublicationKind

NOW, LATER = "now", "later"


class PublicationForm(forms.Form):
    kind = forms.ChoiceField(label=_("公示类型"), choices=[("", "---------"), *PublicationKind.choices])
    data_as_of = forms.DateField(label=_("数据截止日期"), widget=forms.DateInput(attrs={"type": "date"},
                                                                          format="%Y-%m-%d"))
    next_update_on = forms.DateField(label=_("下次更新日期"), required=False,
                                     widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    when = forms.ChoiceField(label=_("发布时间"), choices=[(NOW, _("立即发布")), (LATER, _("定时发布"))],
                             initial=NOW, widget=forms.RadioSelect)
    scheduled_for = forms.DateTimeField(label=_("计划发布时间"), required=False,
                                        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                        widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                   format="%Y-%m-%dT%H:%M"),
                                        help_text=_("选择“定时发布”时填写（北京时间）。"))
    notes = forms.CharField(label=_("说明"), required=False, max_length=2000,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("印在名单表头下方，例如公示期和反馈渠道。"))
    submission_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("when") == LATER and not data.get("scheduled_for"):
            self.add_error("scheduled_for", _("定时发布请填写计划发布时间。"))
        if data.get("when") == NOW:
            data["scheduled_for"] = None
        return data


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


def today_initial() -> dict:
    return {"data_as_of": timezone.localdate()}
