from django.urls import path

from . import evidence_views, views

app_name = "inspections"
urlpatterns = [
    path("", views.index, name="index"),
    path("verifications/", views.verification_list, name="verification-list"),
    path("verifications/<int:pk>/", views.verification_detail, name="verification-detail"),
    path("verifications/<int:pk>/schedule/", views.verification_schedule, name="verification-schedule"),
    path("verifications/<int:pk>/start/", views.verification_start, name="verification-start"),
    path("verifications/<int:pk>/answer/", views.verification_answer, name="verification-answer"),
    path("verifications/<int:pk>/sign-off/", views.verification_sign_off, name="verification-sign-off"),
    path("verifications/<int:pk>/evidence/<int:file_id>/", evidence_views.verification_evidence,
         name="verification-evidence"),
    path("checklists/", views.checklist_list, name="checklist-list"),
    path("checklists/<int:pk>/", views.checklist_detail, name="checklist-detail"),
    path("checklists/<int:pk>/publish/", views.checklist_publish, name="checklist-publish"),
    path("off-site/", views.notification_list, name="notification-list"),
    path("off-site/upcoming/", views.upcoming, name="upcoming"),
    path("off-site/calendar/", views.off_site_calendar, name="off-site-calendar"),
    path("off-site/new/", views.notification_create, name="notification-create"),
    path("off-site/<int:pk>/", views.notification_detail, name="notification-detail"),
    path("off-site/<int:pk>/acknowledge/", views.notification_acknowledge, name="notification-acknowledge"),
    path("off-site/<int:pk>/visit/", views.notification_plan_visit, name="notification-plan-visit"),
    path("off-site/<int:pk>/pdf/", views.notification_pdf, name="notification-pdf"),
]
