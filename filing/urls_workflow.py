"""/filing/...: account applications, the institution's draft, the authorities' queue and decisions.

Included by filing/urls.py inside the "filing" namespace.
"""

from django.urls import path

from . import views, views_workflow

urlpatterns = [
    # Account application: anyone applies, the provincial QC center decides.
    path("apply/", views.apply, name="apply"),
    path("apply/done/", views.apply_done, name="apply-done"),
    path("applications/", views.application_list, name="application-list"),
    path("applications/<int:pk>/", views.application_detail, name="application-detail"),
    path("applications/<int:pk>/activate/", views.application_activate_view, name="application-activate"),
    path("applications/<int:pk>/refuse/", views.application_refuse_view, name="application-refuse"),
    # The filing and its versions.
    path("start/", views_workflow.start, name="start"),
    path("<int:pk>/", views_workflow.filing_detail, name="detail"),
    path("<int:pk>/history/", views_workflow.history, name="history"),
    path("<int:pk>/change/", views_workflow.change, name="change"),
    path("<int:pk>/cancel/", views_workflow.cancel, name="cancel"),
    path("versions/<int:pk>/", views_workflow.version_detail, name="version-detail"),
    path("versions/<int:pk>/files/<int:file_pk>/", views_workflow.version_file, name="version-file"),
    path("versions/<int:pk>/receipt/", views_workflow.receipt, name="receipt"),
    # The institution's draft, one section at a time; then the completeness check and submission.
    path("versions/<int:pk>/basic/", views_workflow.edit_basic, name="edit-basic"),
    path("versions/<int:pk>/staff/", views_workflow.edit_staff, name="edit-staff"),
    path("versions/<int:pk>/staff/<int:staff_pk>/certificates/", views_workflow.edit_certificates,
         name="edit-certificates"),
    path("versions/<int:pk>/premises/", views_workflow.edit_premises, name="edit-premises"),
    path("versions/<int:pk>/equipment/", views_workflow.edit_equipment, name="edit-equipment"),
    path("versions/<int:pk>/documents/", views_workflow.edit_documents, name="edit-documents"),
    path("versions/<int:pk>/items/", views_workflow.edit_items, name="edit-items"),
    path("versions/<int:pk>/completeness/", views_workflow.completeness, name="completeness"),
    path("versions/<int:pk>/submit/", views_workflow.submit, name="submit"),
    path("versions/<int:pk>/withdraw/", views_workflow.withdraw, name="withdraw"),
    # The authorities' queue and decisions.
    path("queue/", views_workflow.queue, name="queue"),
    path("versions/<int:pk>/accept/", views_workflow.accept, name="accept"),
    path("versions/<int:pk>/return/", views_workflow.return_version, name="return"),
]
