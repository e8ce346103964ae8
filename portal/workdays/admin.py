from django.contrib import admin

from .models import CalendarYear, MissingYearLookup, SpecialDay


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown for inspection only: schedules change through the calendar pages, which
    validate a whole year and write the audit trail."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarYear)
class CalendarYearAdmin(ReadOnlyAdmin):
    list_display = ["year", "source", "note", "updated_at"]
    list_filter = ["source"]
    search_fields = ["year", "note"]


@admin.register(SpecialDay)
class SpecialDayAdmin(ReadOnlyAdmin):
    list_display = ["date", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]


@admin.register(MissingYearLookup)
class MissingYearLookupAdmin(ReadOnlyAdmin):
    list_display = ["year", "times", "first_asked_at", "last_asked_at"]
