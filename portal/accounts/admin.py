"""Platform administrators' view of accounts. Provincial administrators use the portal's own pages."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "province", "region", "credit_code", "is_active"]
    list_filter = ["kind", "is_active", "province"]
    list_select_related = ["province", "region"]
    search_fields = ["name", "credit_code"]
    raw_id_fields = ["province", "region"]


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    list_display = ["username", "full_name", "organisation", "is_province_admin", "is_active", "is_superuser"]
    list_filter = ["is_active", "is_province_admin", "is_superuser", "organisation__kind"]
    list_select_related = ["organisation"]
    search_fields = ["username", "full_name", "email"]
    raw_id_fields = ["organisation"]
    fieldsets = [
        *UserAdmin.fieldsets,
        (_("单位"), {"fields": ["organisation", "full_name", "phone", "is_province_admin"]}),
    ]
