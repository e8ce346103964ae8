from django import forms
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("操作人"), required=False)
    action = forms.CharField(label=_("操作"), required=False)
    record = forms.CharField(label=_("记录"), required=False)
    date_from = forms.DateField(label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


def audit_entries(*, user, params):
    """Audit rows of the user's province, filtered; the form carries any bad input back."""
    qs = AuditEntry.objects.restrict(user).select_related("content_type")
    form = AuditFilterForm(params or None)
    if form.is_valid():
        data = form.cleaned_data
        if data["actor"]:
            qs = qs.filter(actor_name__icontains=data["actor"])
        if data["action"]:
            qs = qs.filter(action__icontains=data["action"])
        if data["record"]:
            qs = qs.filter(object_repr__icontains=data["record"])
        if data["date_from"]:
            qs = qs.filter(created_at__date__gte=data["date_from"])
        if data["date_to"]:
            qs = qs.filter(created_at__date__lte=data["date_to"])
    return qs.order_by("-created_at", "-id"), form
