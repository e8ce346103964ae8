from django import forms
from django.utils.translation import gettext_lazy as _

from filing.catalogue.choices import ExamType
from portal.accounts.choices import OrgKind
from portal.accounts.models import User
from portal.regions.models import Region, RegionLevel

from .choices import Answer, VerificationOutcome


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class ScheduleForm(forms.Form):
    scheduled_on = forms.DateField(label=_("核查日期"), widget=forms.DateInput(attrs={"type": "date"}))
    team = forms.ModelMultipleChoiceField(label=_("核查组成员"), queryset=User.objects.none(),
                                          widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("安排说明"), required=False, max_length=255)

    def __init__(self, *args, province_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = User.objects.filter(
            is_active=True, organisation__kind=OrgKind.QC_CENTER, organisation__province_id=province_id,
            organisation__is_active=True).order_by("full_name", "username")


class AnswerForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    answer = forms.ChoiceField(label=_("核查结果"), choices=Answer.choices)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence = MultipleFileField(label=_("佐证照片或文件"), required=False)


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_("核查结论"), choices=VerificationOutcome.choices)
    note = forms.CharField(label=_("结论说明"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    reason = forms.CharField(label=_("更正理由"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ChecklistImportForm(forms.Form):
    name = forms.CharField(label=_("核查表名称"), max_length=200)
    file = forms.FileField(label=_("Excel 文件（核查环节、编号、核查内容、核查方法、关键项）"))


class AcknowledgeForm(forms.Form):
    note = forms.CharField(label=_("确认意见"), required=False, max_length=500)


class VisitForm(forms.Form):
    visit_on = forms.DateField(label=_("拟现场监督日期"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("现场监督安排"), required=False, max_length=500)


class NotificationForm(forms.Form):
    employer_name = forms.CharField(label=_("用人单位名称"), max_length=200)
    employer_credit_code = forms.CharField(label=_("用人单位统一社会信用代码"), max_length=18)
    employer_address = forms.CharField(label=_("用人单位地址"), max_length=255)
    employer_region = forms.ModelChoiceField(label=_("用人单位所在县（市、区）"), queryset=Region.objects.none())
    work_site = forms.CharField(label=_("体检地点"), max_length=255)
    work_site_region = forms.ModelChoiceField(label=_("体检地点所在县（市、区）"), queryset=Region.objects.none())
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    expected_workers = forms.IntegerField(label=_("预计体检人数"), min_value=1)
    items = forms.MultipleChoiceField(label=_("检查项目"), widget=forms.CheckboxSelectMultiple)
    exam_types = forms.MultipleChoiceField(label=_("检查类型"), choices=ExamType.choices,
                                           widget=forms.CheckboxSelectMultiple)
    staff = forms.MultipleChoiceField(label=_("现场人员（主检医师、医师、放射及检验人员）"),
                                      widget=forms.CheckboxSelectMultiple)
    vehicles = forms.MultipleChoiceField(label=_("车辆"), widget=forms.CheckboxSelectMultiple)
    equipment = forms.MultipleChoiceField(label=_("仪器设备"), widget=forms.CheckboxSelectMultiple)
    sample_handling = forms.CharField(label=_("样品采集、保存与运送"), widget=forms.Textarea(attrs={"rows": 2}))
    biosafety = forms.CharField(label=_("放射防护与生物安全措施"), widget=forms.Textarea(attrs={"rows": 2}))
    contact_name = forms.CharField(label=_("联系人"), max_length=64)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32)

    def __init__(self, *args, province_id, version, **kwargs):
        super().__init__(*args, **kwargs)
        counties = Region.objects.filter(province_id=province_id, level=RegionLevel.COUNTY)
        self.fields["employer_region"].queryset = counties
        self.fields["work_site_region"].queryset = counties
        if version is not None:
            self.fields["items"].choices = [
                (i.exam_item.code, i.exam_item.name)
                for i in version.items.filter(exam_item__isnull=False).select_related("exam_item")]
            self.fields["staff"].choices = [(s.pk, f"{s.name}（{s.get_role_display()}）") for s in version.staff.all()]
            self.fields["vehicles"].choices = [(v.pk, f"{v.plate_number} {v.vehicle_type}")
                                               for v in version.vehicles.all()]
            self.fields["equipment"].choices = [(e.pk, e.name) for e in version.equipment.filter(for_off_site=True)]
