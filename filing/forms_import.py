from django import forms
from django.utils.translation import gettext_lazy as _

from portal.regions.models import Region, RegionLevel


class ImportUploadForm(forms.Form):
    """The file is checked by the import service, which reports every reason it cannot be read."""

    file = forms.FileField(label=_("Excel 文件（.xlsx，不超过 20 MB）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
    province = forms.ModelChoiceField(label=_("导入到省份"), queryset=Region.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.organisation_id and user.organisation.province_id:
            del self.fields["province"]
        else:
            # Platform administrators belong to no province and name the one they import for.
            self.fields["province"].queryset = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code")
