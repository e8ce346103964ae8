from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from portal.regions.models import Region

from .choices import OrgKind
from .models import Organisation, User


class LoginForm(AuthenticationForm):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)


class TokenForm(forms.Form):
    token = forms.CharField(label=_("动态验证码"), max_length=8, min_length=6,
                            widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.code} {obj.full_name}"


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=200)
    kind = forms.ChoiceField(label=_("类型"), choices=[c for c in OrgKind.choices if c[0] != OrgKind.NATIONAL])
    region = RegionChoiceField(label=_("所在/管辖区划"), queryset=Region.objects.none())
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    contact_name = forms.CharField(label=_("联系人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)

    def __init__(self, *args, province: Region | None, **kwargs):
        """``province=None`` offers every region: a platform administrator works in any province."""
        super().__init__(*args, **kwargs)
        # Labels print the full name up to the province: county -> city -> province.
        regions = Region.objects.select_related("parent__parent")
        self.fields["region"].queryset = regions if province is None else regions.filter(province=province)


class UserCreateForm(forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    full_name = forms.CharField(label=_("姓名"), max_length=64)
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    phone = forms.CharField(label=_("手机号"), max_length=32, required=False)
    organisation = forms.ModelChoiceField(label=_("所属单位"), queryset=Organisation.objects.none())
    is_province_admin = forms.BooleanField(label=_("省级管理员"), required=False)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, strip=False)

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations


class UserEditForm(UserCreateForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["username"]
        del self.fields["password"]


class UserFilterForm(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False)


__all__ = ["LoginForm", "TokenForm", "OrganisationForm", "UserCreateForm", "UserEditForm", "User"]
