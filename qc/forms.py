import re
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from filing.catalogue.choices import ExamCategoryCode
from portal.regions.models import Region, RegionLevel

from . import selectors
from .choices import (
    MAX_RESPONSE_DAYS,
    MIN_RESPONSE_DAYS,
    Applicability,
    AssessmentKind,
    CoverageRule,
    WorkSampleAveraging,
)
from .services import BandSpec

PASS_WORDS = {"合格", "是", "通过", "yes", "y", "true", "1", "√", "pass"}
FAIL_WORDS = {"不合格", "否", "不通过", "no", "n", "false", "0", "×", "fail"}


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Show a service's field-keyed errors on the form's fields, the rest above it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class ProvinceField(forms.ModelChoiceField):
    """Only platform administrators, who belong to no province, choose one."""

    def __init__(self, **kwargs):
        super().__init__(queryset=Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code"),
                         label=_("省份"), **kwargs)


def province_of(user):
    org = getattr(user, "organisation", None)
    return org.province if org is not None and org.province_id else None


class SheetImportForm(forms.Form):
    file = forms.FileField(label=_("评分表 Excel 文件（.xlsx，不超过 2 MB）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if province_of(user) is None:
            self.fields["province"] = ProvinceField()


class IndicatorForm(forms.Form):
    title = forms.CharField(label=_("指标"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    max_points = forms.DecimalField(label=_("分值"), max_digits=5, decimal_places=1, min_value=Decimal("0.1"),
                                    widget=forms.NumberInput(attrs={"step": "0.1"}))
    deduction_rule = forms.CharField(label=_("扣分标准"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    deduction_per_occurrence = forms.DecimalField(label=_("每处扣分"), required=False, max_digits=5,
                                                  decimal_places=1, widget=forms.NumberInput(attrs={"step": "0.1"}))
    is_key = forms.BooleanField(label=_("关键项（★）"), required=False)
    applicability = forms.ChoiceField(label=_("适用条件"), choices=Applicability.choices)
    applicable_category = forms.ChoiceField(label=_("限定类别"), required=False,
                                            choices=[("", "—"), *ExamCategoryCode.choices])


def parse_bands(text: str) -> list[BandSpec]:
    """One band a line: "优秀 90 合格", "不合格,0,不合格" (label, lowest score, passing or not)."""
    bands = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        parts = [p for p in re.split(r"[\s,，、;；]+", line) if p]
        if len(parts) != 3:
            raise ValidationError(_("第 %(n)s 行应为“等级 最低分 合格/不合格”三项，如“优秀 90 合格”。") % {"n": number})
        label, score, verdict = parts
        try:
            min_score = Decimal(score)
        except InvalidOperation:
            raise ValidationError(_("第 %(n)s 行的最低分「%(v)s」不是数字。") % {"n": number, "v": score}) from None
        if verdict.lower() in PASS_WORDS:
            passed = True
        elif verdict.lower() in FAIL_WORDS:
            passed = False
        else:
            raise ValidationError(_("第 %(n)s 行第三项应为“合格”或“不合格”。") % {"n": number})
        bands.append(BandSpec(label, min_score, passed))
    return bands


def bands_text(bands) -> str:
    return "\n".join(f"{b.label} {b.min_score.normalize():f} {'合格' if b.passed else '不合格'}"
                     for b in sorted(bands, key=lambda b: b.min_score, reverse=True))


RESPONSE_DAYS_ERROR = format_lazy(_("机构反馈期限应为 {low}–{high} 个工作日的整数。"), low=MIN_RESPONSE_DAYS,
                                  high=MAX_RESPONSE_DAYS)


class SchemeForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("名称"), max_length=200)
    institution_weight = forms.DecimalField(label=_("机构综合权重（%）"), max_digits=5, decimal_places=2)
    work_sample_weight = forms.DecimalField(label=_("工作样本权重（%）"), max_digits=5, decimal_places=2)
    work_sample_averaging = forms.ChoiceField(label=_("多类别工作样本合成方式"), choices=WorkSampleAveraging.choices)
    key_item_fails = forms.BooleanField(label=_("关键项不合格即考核不合格"), required=False)
    key_item_pass_ratio = forms.DecimalField(
        label=_("关键项合格得分率"), max_digits=3, decimal_places=2,
        help_text=_("关键项得分低于“分值×得分率”即为不合格；1.00 表示关键项有任何扣分即不合格。"))
    response_days = forms.IntegerField(
        label=_("机构反馈期限（工作日）"), min_value=MIN_RESPONSE_DAYS, max_value=MAX_RESPONSE_DAYS,
        error_messages={key: RESPONSE_DAYS_ERROR for key in ("invalid", "min_value", "max_value")},
        help_text=_("考核结果送达机构后，机构可在此期限内就事实错误提出异议；修改只影响此后送达的结果。"))
    coverage_rule = forms.ChoiceField(label=_("年度覆盖要求"), choices=CoverageRule.choices,
                                      error_messages={"invalid_choice": _("未知的年度覆盖要求。")})
    bands = forms.CharField(
        label=_("等级划分"), widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("每行一个等级：等级名称、最低分、合格或不合格，如“优秀 90 合格”“不合格 0 不合格”。"))

    def __init__(self, *args, user, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["year"]
        elif province_of(user) is None:
            self.fields["province"] = ProvinceField()

    def clean_bands(self):
        return parse_bands(self.cleaned_data["bands"])


class AssessmentCreateForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("被考核机构"), queryset=None)
    year = forms.IntegerField(label=_("考核年度"), min_value=2000, max_value=2100)
    assessed_on = forms.DateField(label=_("考核日期"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    kind = forms.ChoiceField(label=_("类型"), choices=AssessmentKind.choices)
    team = forms.ModelMultipleChoiceField(label=_("考核组成员"), queryset=None, required=False,
                                          widget=forms.CheckboxSelectMultiple)
    categories = forms.MultipleChoiceField(
        label=_("考核的检查类别"), choices=ExamCategoryCode.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("不选表示考核机构备案的全部类别，每个类别一张工作样本评分表。"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = selectors.assessable_institutions(user)
        province = province_of(user)
        self.fields["team"].queryset = selectors.qc_team_candidates(province.pk if province else None)
        self.fields["team"].label_from_instance = lambda u: f"{u}（{u.organisation.name}）"
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["assessed_on"].initial = today
        if user.pk and self.fields["team"].queryset.filter(pk=user.pk).exists():
            self.fields["team"].initial = [user.pk]


class LineForm(forms.Form):
    """One line on its own page, where evidence is uploaded."""

    deducted = forms.CharField(label=_("扣分"), required=False, max_length=16)
    occurrences = forms.CharField(label=_("问题处数"), required=False, max_length=8)
    note = forms.CharField(label=_("扣分说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label=_("佐证材料（PDF、JPG、PNG，不超过 10 MB）"), required=False)
    clear_evidence = forms.BooleanField(label=_("删除已上传的佐证材料"), required=False)


class SelfAssessmentForm(forms.Form):
    """An institution opens a self-assessment of itself on the province's current sheets."""

    institution = forms.ModelChoiceField(label=_("机构"), queryset=None)
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    assessed_on = forms.DateField(label=_("自查日期"),
                                  widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, user, **kwargs):
        from portal.accounts.models import Organisation
        from portal.accounts.scoping import institution_ids_for

        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = Organisation.objects.filter(
            pk__in=institution_ids_for(user)).order_by("name")
        today = timezone.localdate()
        self.fields["year"].initial = today.year
        self.fields["assessed_on"].initial = today


class PlanCreateForm(forms.Form):
    year = forms.IntegerField(label=_("年度"), min_value=2000, max_value=2100)
    notes = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year
        if province_of(user) is None:
            self.fields["province"] = ProvinceField()


class PlanItemForm(forms.Form):
    institution = forms.ModelChoiceField(label=_("机构"), queryset=None)
    planned_month = forms.IntegerField(label=_("计划月份"), min_value=1, max_value=12)
    assessed_by = forms.ModelChoiceField(label=_("考核单位"), queryset=None)
    complaints = forms.IntegerField(label=_("投诉举报件数"), min_value=0, required=False)
    workers_examined = forms.IntegerField(label=_("上年体检人数"), min_value=0, required=False)
    is_extra = forms.BooleanField(label=_("加密考核"), required=False)

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["institution"].queryset = selectors.province_institutions(plan.province_id)
        self.fields["assessed_by"].queryset = selectors.qc_centers(plan.province_id)
