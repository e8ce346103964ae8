from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CatalogueEdition


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel 文件（.xlsx，不超过 5 MB）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))


class EditionForm(forms.ModelForm):
    class Meta:
        model = CatalogueEdition
        fields = ["name", "effective_from", "effective_to", "is_active"]
        widgets = {
            "effective_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "effective_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
