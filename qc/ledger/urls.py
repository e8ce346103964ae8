from django.urls import path

from . import views

app_name = "ledger"

urlpatterns = [
    path("", views.entry_list, name="list"),
    path("mine/", views.my_rectifications, name="mine"),
    path("export/", views.entry_export, name="export"),
    path("institutions/", views.institution_summary, name="institutions"),
    path("new/", views.entry_open, name="open"),
    path("<int:pk>/", views.entry_detail, name="detail"),
    path("<int:pk>/plan/", views.submit_plan, name="submit-plan"),
    path("<int:pk>/fix/", views.submit_fix, name="submit-fix"),
    path("<int:pk>/accept/", views.accept_plan, name="accept-plan"),
    path("<int:pk>/return/", views.return_entry, name="return"),
    path("<int:pk>/close/", views.close_entry, name="close"),
    path("<int:pk>/fail/", views.mark_failed, name="mark-failed"),
    path("<int:pk>/refuse/", views.mark_refused, name="mark-refused"),
    path("<int:pk>/files/<int:file_pk>/", views.evidence_file, name="evidence"),
    path("checks/", views.check_list, name="check-list"),
    path("checks/new/", views.check_create, name="check-create"),
    path("checks/<int:pk>/", views.check_detail, name="check-detail"),
    path("checks/<int:pk>/open/", views.check_open_entries, name="check-open-entries"),
]
