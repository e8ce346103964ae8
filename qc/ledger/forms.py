"""Forms of the ledger pages. They parse input; the services decide and say what is wrong,
so text fields the services check are not required here (one message, the service's)."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import CaseReportKind, LedgerSource, LedgerStatus, Severity, VerificationMethod

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# The step forms sit side by side in narrow cards: let their fields take the card's width.
FIT = {"style": "width:100%;min-width:0"}
EVIDENCE_HELP = _("PDF、JPEG 或 PNG，每个文件不超过 10 MB，每次最多 10 个。")
ALL = _("全部")


def _blank(choices, label=ALL):
    return [("", label), *choices]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; type and size are checked by portal.core.uploads in the service."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}))
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", EVIDENCE_HELP)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class LedgerFilterForm(forms.Form):
    """Parses the list's filters. The list page writes its own filter markup from :meth:`choices`:
    rendering seventy region options through widget templates cost more than the query."""

    status = forms.ChoiceField(label=_("状态"), choices=_blank(LedgerStatus.choices), required=False)
    source = forms.ChoiceField(label=_("问题来源"), choices=_blank(LedgerSource.choices), required=False)
    severity = forms.ChoiceField(label=_("严重程度"), choices=_blank(Severity.choices), required=False)
    due_from = forms.DateField(label=_("整改期限自"), required=False, widget=DATE)
    due_to = forms.DateField(label=_("至"), required=False, widget=DATE)
    overdue_only = forms.BooleanField(label=_("仅逾期"), required=False)
    open_only = forms.BooleanField(label=_("仅未办结"), required=False)
    region = forms.TypedChoiceField(label=_("区划"), coerce=int, required=False, empty_value=None)
    institution_name = forms.CharField(label=_("机构名称"), required=False, max_length=100)
    institution_id = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        # One query for the regions, whether they are offered, checked or applied.
        self.regions = {r.pk: r for r in regions}
        self.fields["region"].choices = [("", ALL)] + [
            (r.pk, r.full_name if r.level == "county" else r.name) for r in self.regions.values()]

    def filters(self) -> dict:
        """The valid filters; a malformed one is dropped rather than failing the whole list."""
        if not self.is_bound:
            return {}
        self.is_valid()
        values = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        if values.get("region") is not None:
            region = values["region"] = self.regions[values["region"]]
            if region.level != "province":
                values["region_ids"] = (region.pk, *(r.pk for r in self.regions.values() if r.parent_id == region.pk))
        return values

    def selected(self) -> dict:
        """The submitted values as the page shows them again (strings)."""
        return {name: (self.data.get(name, "") if self.is_bound else "") for name in self.fields}


class EntryOpenForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("机构"), queryset=None)
    source = forms.ChoiceField(label=_("问题来源"), choices=[
        c for c in LedgerSource.choices if c[0] != LedgerSource.CASE_REPORT_CHECK])
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    description = forms.CharField(label=_("问题描述"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    requirement = forms.CharField(label=_("整改要求"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    due_on = forms.DateField(label=_("整改期限"), widget=DATE, required=False)
    responsible_name = forms.CharField(label=_("整改责任人"), max_length=64, required=False,
                                       help_text=_("机构负责整改的人员，可不填。"))

    def __init__(self, *args, institutions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions


class PlanForm(forms.Form):
    plan = forms.CharField(label=_("整改方案"), widget=forms.Textarea(attrs={"rows": 5, **FIT}), required=False,
                           help_text=_("写明整改措施、责任人和完成时间。"))
    evidence = MultipleFileField(label=_("附件"))


class FixForm(forms.Form):
    report = forms.CharField(label=_("整改完成情况"), widget=forms.Textarea(attrs={"rows": 5, **FIT}), required=False)
    evidence = MultipleFileField(label=_("整改完成的证明材料"))


class AcceptForm(forms.Form):
    note = forms.CharField(label=_("审核意见"), widget=forms.Textarea(attrs={"rows": 2, **FIT}), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("理由"), widget=forms.Textarea(attrs={"rows": 3, **FIT}), required=False)


class RefuseForm(ReasonForm):
    evidence = MultipleFileField(label=_("相关材料"))


class VerificationForm(forms.Form):
    verification_method = forms.ChoiceField(label=_("核查方式"), choices=_blank(VerificationMethod.choices, "—"),
                                            required=False, widget=forms.Select(attrs=FIT))
    verified_on = forms.DateField(label=_("核查日期"), widget=DATE, required=False)
    verification_note = forms.CharField(label=_("核查结论"), widget=forms.Textarea(attrs={"rows": 3, **FIT}),
                                        required=False)
    evidence = MultipleFileField(label=_("核查取得的材料"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"verified_on": timezone.localdate()})
        super().__init__(*args, **kwargs)


class CaseReportCheckForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("机构"), queryset=None)
    report_kind = forms.ChoiceField(label=_("报告卡类型"), choices=CaseReportKind.choices)
    report_number = forms.CharField(label=_("报告卡编号"), max_length=64, required=False)
    sample_date = forms.DateField(label=_("抽查日期"), widget=DATE, required=False)
    problems = forms.CharField(label=_("发现的问题"), widget=forms.Textarea(attrs={"rows": 5}), required=False,
                               help_text=_("每行一个问题；未发现问题的留空。"))
    note = forms.CharField(label=_("抽查说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, institutions, **kwargs):
        kwargs.setdefault("initial", {"sample_date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = institutions

    def problem_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("problems", "").splitlines() if line.strip()]


class OpenProblemsForm(forms.Form):
    problems = forms.TypedMultipleChoiceField(label=_("列入整改台账的问题"), coerce=int, required=False,
                                              widget=forms.CheckboxSelectMultiple)
    severity = forms.ChoiceField(label=_("严重程度"), choices=Severity.choices)
    requirement = forms.CharField(label=_("整改要求"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    due_on = forms.DateField(label=_("整改期限"), widget=DATE, required=False)
    responsible_name = forms.CharField(label=_("整改责任人"), max_length=64, required=False)

    def __init__(self, *args, problems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problems"].choices = [(p.pk, p.description) for p in problems]
