"""Forms of the supervision pages: they parse input; the services decide and validate."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qc.ledger.choices import Severity

from .choices import DEFAULT_CAMPAIGN_STEPS, FindingCategory

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class InstitutionChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.region.name}）" if obj.region_id else obj.name


class PlanForm(forms.Form):
    name = forms.CharField(label=_("计划名称"), max_length=200)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    institutions = InstitutionChoiceField(label=_("抽查机构"), queryset=None,
                                          widget=forms.CheckboxSelectMultiple)
    campaign = forms.ModelChoiceField(label=_("所属专项治理"), queryset=None, required=False)

    def __init__(self, *args, institutions, campaigns, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institutions"].queryset = institutions
        self.fields["campaign"].queryset = campaigns
        self.fields["year"].initial = timezone.localdate().year


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class CheckRecordForm(forms.Form):
    """The inspection's date and people, then one box per 附表2 category: each line is one finding."""

    checked_on = forms.DateField(label=_("检查日期"), widget=DATE)
    inspectors = forms.CharField(label=_("检查人员"), max_length=200)
    note = forms.CharField(label=_("检查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = MultipleFileField(label=_("检查资料（PDF、JPG、PNG）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in FindingCategory.choices:
            self.fields[f"finding_{value}"] = forms.CharField(
                label=label, required=False, widget=forms.Textarea(attrs={"rows": 2}),
                help_text=_("每行一个问题；没有则留空。"))

    def findings(self) -> list[dict]:
        rows = []
        for value in FindingCategory.values:
            for line in (self.cleaned_data.get(f"finding_{value}") or "").splitlines():
                if line.strip():
                    rows.append({"category": value, "description": line.strip()})
        return rows


class LedgerOpenForm(forms.Form):
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    requirement = forms.CharField(label=_("整改要求"), widget=forms.Textarea(attrs={"rows": 2}))
    due_on = forms.DateField(label=_("整改期限"), widget=DATE)
    responsible_name = forms.CharField(label=_("整改责任人"), max_length=64, required=False)


class PenaltyForm(forms.Form):
    warning = forms.BooleanField(label=_("警告"), required=False)
    fine = forms.DecimalField(label=_("罚款（万元）"), required=False, max_digits=9, decimal_places=4)
    decision_number = forms.CharField(label=_("处罚决定书文号"), max_length=100)
    decided_on = forms.DateField(label=_("处罚决定日期"), widget=DATE)


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("专项治理名称"), max_length=200)
    period_start = forms.DateField(label=_("开始日期"), widget=DATE)
    period_end = forms.DateField(label=_("结束日期"), widget=DATE)


class StepForm(forms.Form):
    name = forms.CharField(label=_("阶段名称"), max_length=64, required=False)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE, required=False)
    ends_on = forms.DateField(label=_("结束日期"), widget=DATE, required=False)


StepFormSet = forms.formset_factory(StepForm, extra=0, max_num=10)


def step_formset(data=None) -> forms.BaseFormSet:
    initial = [{"name": str(name)} for name in DEFAULT_CAMPAIGN_STEPS]
    return StepFormSet(data, prefix="steps", initial=None if data else initial)


def steps_from(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms
            if f.cleaned_data and any(f.cleaned_data.get(k) for k in ("name", "starts_on", "ends_on"))]


class SelfInspectionForm(forms.Form):
    off_site = forms.TypedChoiceField(label=_("外出体检（是/否）"), choices=[("1", _("是")), ("0", _("否"))],
                                      coerce=lambda v: v == "1", widget=forms.RadioSelect)
    employers_examined = forms.IntegerField(label=_("职业健康检查家数"))
    workers_examined = forms.IntegerField(label=_("职业健康检查人数"))
    report = forms.FileField(label=_("自查报告（PDF、JPG、PNG）"), required=False)


class ProblemForm(forms.Form):
    description = forms.CharField(label=_("自查发现问题"), required=False,
                                  widget=forms.TextInput(attrs={"size": 60}))
    fix_on = forms.DateField(label=_("整改日期"), widget=DATE, required=False)


ProblemFormSet = forms.formset_factory(ProblemForm, extra=3, max_num=50)


def problems_from(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms
            if f.cleaned_data and (f.cleaned_data.get("description") or f.cleaned_data.get("fix_on"))]
