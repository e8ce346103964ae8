from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import NOTE_MAX_LENGTH, CaseKind


class YearForm(forms.Form):
    year = forms.IntegerField(label=_("报告年度"), min_value=2000, max_value=9999)


class TypicalCaseForm(forms.Form):
    """The case is checked by the service against the report's province and year, not by the choices."""

    kind = forms.ChoiceField(label=_("类型"), choices=CaseKind.choices)
    object_id = forms.IntegerField(label=_("案例"), min_value=1,
                                   error_messages={"required": _("请选择案例。")})
    note = forms.CharField(label=_("案例说明"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2}))
