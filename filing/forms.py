"""Forms of the filing workflow. They check each field and hand plain values to the
services, which check again and write; no form saves a model itself."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core.uploads import validate_upload
from portal.regions.models import Region

from .choices import InstitutionKind, QualityDocumentType, StaffRole, Title
from .services import validate_credit_code


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.full_name


def _not_in_future(value, message):
    if value and value > timezone.localdate():
        raise ValidationError(message)
    return value


def _checked_upload(form, name):
    upload = form.cleaned_data.get(name)
    if upload:
        try:
            validate_upload(upload, field=name)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict[name]) from None
    return upload


NOT_NEGATIVE = MinValueValidator(Decimal("0"), message=_("面积不能为负数。"))
UPLOAD_HELP = _("PDF、JPG 或 PNG，不超过10 MB。")


# ---- Account application ------------------------------------------------------------------

class ProvinceChoiceForm(forms.Form):
    province = forms.ModelChoiceField(label=_("所在省份"), queryset=Region.objects.none(), to_field_name="code")

    def __init__(self, *args, provinces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces


class ApplicationForm(forms.Form):
    province = forms.ModelChoiceField(queryset=Region.objects.none(), to_field_name="code",
                                      widget=forms.HiddenInput)
    kind = forms.ChoiceField(label=_("机构类型"), choices=InstitutionKind.choices)
    name = forms.CharField(label=_("机构名称"), max_length=200)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18)
    licence_number = forms.CharField(label=_("医疗机构执业许可证登记号"), max_length=64)
    region = RegionChoiceField(label=_("所在区划"), queryset=Region.objects.none())
    contact_name = forms.CharField(label=_("联系人"), max_length=64)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32)
    contact_email = forms.EmailField(label=_("电子邮箱"))
    username = forms.RegexField(label=_("登录用户名"), max_length=150, regex=r"^[\w.@+-]+$",
                                error_messages={"invalid": _("用户名只能包含字母、数字和 @ . + - _。")})
    password = forms.CharField(label=_("登录密码"), strip=False, widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("再次输入密码"), strip=False, widget=forms.PasswordInput)

    def __init__(self, *args, provinces, province, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = provinces
        self.fields["province"].initial = province.code
        self.fields["region"].queryset = regions

    def clean_credit_code(self):
        try:
            return validate_credit_code(self.cleaned_data["credit_code"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["credit_code"]) from None

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("两次输入的密码不一致。"))
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


# ---- Draft sections ----------------------------------------------------------------------

class BasicForm(forms.Form):
    name = forms.CharField(label=_("机构名称"), max_length=200)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    licence_number = forms.CharField(label=_("医疗机构执业许可证登记号"), max_length=64, required=False)
    licence_copy = forms.FileField(label=_("医疗机构执业许可证副本"), required=False, help_text=UPLOAD_HELP)
    radiation_licence_number = forms.CharField(label=_("放射诊疗许可证号"), max_length=64, required=False,
                                               help_text=_("备案放射因素类项目时必填。"))
    radiation_licence_copy = forms.FileField(label=_("放射诊疗许可证副本"), required=False, help_text=UPLOAD_HELP)
    legal_representative = forms.CharField(label=_("法定代表人"), max_length=64, required=False)
    quality_manager = forms.CharField(label=_("质量负责人"), max_length=64, required=False)
    technical_manager = forms.CharField(label=_("技术负责人"), max_length=64, required=False)
    address = forms.CharField(label=_("地址"), max_length=255, required=False)
    region = RegionChoiceField(label=_("所在区划"), queryset=Region.objects.none(), required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    exams_started_on = forms.DateField(label=_("开展职业健康检查（诊断）日期"), required=False, widget=DateInput,
                                       help_text=_("应在开展工作之日起15个工作日内备案。"))

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions

    def clean_credit_code(self):
        code = self.cleaned_data["credit_code"].strip().upper()
        if code:
            try:
                validate_credit_code(code)
            except ValidationError as exc:
                raise ValidationError(exc.message_dict["credit_code"]) from None
        return code

    def clean_exams_started_on(self):
        return _not_in_future(self.cleaned_data["exams_started_on"], _("开展工作的日期不能晚于今天。"))

    def clean_licence_copy(self):
        return _checked_upload(self, "licence_copy")

    def clean_radiation_licence_copy(self):
        return _checked_upload(self, "radiation_licence_copy")


class RowForm(forms.Form):
    """One row of a list section; ``id`` names the existing row, blank for a new one."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)


class RowFormSet(forms.BaseFormSet):
    def rows(self) -> list[dict]:
        out = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            out.append({k: v for k, v in data.items() if k != "DELETE"})
        return out


def row_formset(form, extra: int = 1):
    return forms.formset_factory(form, formset=RowFormSet, extra=extra, can_delete=True)


class StaffForm(RowForm):
    name = forms.CharField(label=_("姓名"), max_length=64)
    role = forms.ChoiceField(label=_("岗位"), choices=[("", "—"), *StaffRole.choices])
    registration_number = forms.CharField(label=_("执业证书编号"), max_length=64, required=False)
    title = forms.ChoiceField(label=_("职称"), choices=Title.choices, initial=Title.NONE)
    years_experience = forms.IntegerField(label=_("从事本工作年限"), min_value=0, max_value=70, initial=0,
                                          error_messages={"min_value": _("年限不能为负数。")})
    diagnosis_qualification = forms.MultipleChoiceField(label=_("职业病诊断资格类别"), required=False,
                                                        widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, qualification_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["diagnosis_qualification"].choices = qualification_choices


StaffFormSet = row_formset(StaffForm)


class CertificateForm(RowForm):
    name = forms.CharField(label=_("证书名称"), max_length=100,
                           help_text=_("如：职业病诊断医师资格证书、主检医师培训合格证明"))
    number = forms.CharField(label=_("证书编号"), max_length=64, required=False)
    issued_on = forms.DateField(label=_("发证日期"), required=False, widget=DateInput)
    expires_on = forms.DateField(label=_("有效期至"), required=False, widget=DateInput)
    copy = forms.FileField(label=_("证书扫描件"), required=False, help_text=UPLOAD_HELP)

    def clean_issued_on(self):
        return _not_in_future(self.cleaned_data["issued_on"], _("发证日期不能晚于今天。"))

    def clean_copy(self):
        return _checked_upload(self, "copy")

    def clean(self):
        data = super().clean()
        issued, expires = data.get("issued_on"), data.get("expires_on")
        if issued and expires and expires < issued:
            self.add_error("expires_on", _("有效期不能早于发证日期。"))
        return data


CertificateFormSet = row_formset(CertificateForm)


class PremisesForm(forms.Form):
    total_area = forms.DecimalField(label=_("总建筑面积（平方米）"), max_digits=10, decimal_places=2,
                                    required=False, validators=[NOT_NEGATIVE],
                                    help_text=_("不少于400平方米。"))


class RoomForm(RowForm):
    name = forms.CharField(label=_("房间名称/用途"), max_length=100)
    area = forms.DecimalField(label=_("面积（平方米）"), max_digits=8, decimal_places=2, validators=[NOT_NEGATIVE])


RoomFormSet = row_formset(RoomForm, extra=2)


class EquipmentForm(RowForm):
    name = forms.CharField(label=_("设备名称"), max_length=100)
    model = forms.CharField(label=_("型号"), max_length=100, required=False)
    serial_number = forms.CharField(label=_("出厂编号"), max_length=100, required=False)
    calibration_due_on = forms.DateField(label=_("检定/校准有效期至"), required=False, widget=DateInput)
    for_off_site = forms.BooleanField(label=_("用于外出体检"), required=False)


EquipmentFormSet = row_formset(EquipmentForm, extra=2)


class VehicleForm(RowForm):
    plate_number = forms.CharField(label=_("车牌号"), max_length=16)
    vehicle_type = forms.CharField(label=_("车辆类型"), max_length=64)
    equipment_onboard = forms.CharField(label=_("车载设备"), max_length=255, required=False)


VehicleFormSet = row_formset(VehicleForm)


class DocumentsForm(forms.Form):
    """One optional upload per document type; a type left empty keeps what was uploaded before."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for doc_type in QualityDocumentType:
            self.fields[doc_type.value] = forms.FileField(label=doc_type.label, required=False)

    def clean(self):
        data = super().clean()
        for name in list(self.fields):
            upload = data.get(name)
            if upload:
                try:
                    validate_upload(upload, field=name)
                except ValidationError as exc:
                    self.add_error(name, exc.message_dict[name])
        return data

    def uploads(self) -> dict:
        return {name: f for name, f in self.cleaned_data.items() if f}


class ItemsForm(forms.Form):
    """Items arrive as ``item`` = "<category code>|<item code>" with exam types in ``types-<item code>``.

    The values are passed on unchanged: the service names an item that does not
    belong to its category or edition.
    """

    off_site = forms.BooleanField(label=_("开展外出职业健康检查"), required=False)

    def clean(self):
        data = super().clean()
        items = []
        for value in self.data.getlist("item"):
            category, sep, code = value.partition("|")
            if not sep or not code:
                raise ValidationError(_("提交的项目“%(value)s”格式不正确。") % {"value": value})
            items.append({"category": category, "code": code, "exam_types": self.data.getlist(f"types-{code}")})
        data["items"] = items
        return data


# ---- Workflow steps ------------------------------------------------------------------------

class StartForm(forms.Form):
    kind = forms.ChoiceField(label=_("备案类型"), choices=InstitutionKind.choices)


class ChangeForm(forms.Form):
    changed_on = forms.DateField(label=_("变更发生日期"), widget=DateInput,
                                 help_text=_("应在变更之日起10个工作日内办理变更备案。"))
    summary = forms.CharField(label=_("变更事项说明"), widget=forms.Textarea(attrs={"rows": 4}), max_length=4000,
                              help_text=_("如：增加备案项目、主检医师变动、地址变更等。"))

    def clean_changed_on(self):
        return _not_in_future(self.cleaned_data["changed_on"], _("变更发生日期不能晚于今天。"))


class ReturnForm(forms.Form):
    deficiencies = forms.CharField(
        label=_("需要补正的事项（每行一项）"), widget=forms.Textarea(attrs={"rows": 10}), max_length=20000,
        help_text=_("一次性告知：列明全部需要补正的事项。已根据自动检查结果预先填写，可修改。"),
        error_messages={"required": _("退回时须一次性列明全部需要补正的事项。")},
    )
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                           max_length=2000)

    def clean_deficiencies(self):
        lines = [line.strip() for line in self.cleaned_data["deficiencies"].splitlines() if line.strip()]
        if not lines:
            raise ValidationError(_("退回时须一次性列明全部需要补正的事项。"))
        return lines


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("注销原因"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    confirm = forms.BooleanField(label=_("我确认注销本备案：注销后机构将从公开名录中移除，历史记录仍予保留。"),
                                 error_messages={"required": _("请勾选确认。")})
