"""Read-only admin pages: catalogue changes go through the services, which validate and audit."""

from django.contrib import admin

from .models import CatalogueEdition, Disease, DiseaseCategory, ExamCategory, ExamItem


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ExamCategory)
class ExamCategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "order")


@admin.register(CatalogueEdition)
class CatalogueEditionAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "kind", "effective_from", "effective_to", "is_active", "source")
    list_filter = ("kind", "is_active", "source")


@admin.register(ExamItem)
class ExamItemAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "category", "edition")
    list_filter = ("edition", "category")
    search_fields = ("code", "name")
    list_select_related = ("category", "edition")


@admin.register(DiseaseCategory)
class DiseaseCategoryAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "edition")
    list_filter = ("edition",)
    list_select_related = ("edition",)


@admin.register(Disease)
class DiseaseAdmin(ReadOnlyAdmin):
    list_display = ("code", "name", "category", "edition")
    list_filter = ("edition",)
    search_fields = ("code", "name")
    list_select_related = ("category", "edition")
