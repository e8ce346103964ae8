from django.urls import path

from . import evidence_views, views

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/form2.xlsx", views.plan_export, name="plan-export"),
    path("checks/<int:pk>/", views.check_detail, name="check-detail"),
    path("checks/<int:pk>/record/", views.check_record, name="check-record"),
    path("checks/<int:pk>/evidence/<int:evidence_id>/", evidence_views.check_evidence, name="check-evidence"),
    path("checks/<int:pk>/penalty/", views.penalty_new, name="penalty-create"),
    path("findings/<int:pk>/ledger/", views.finding_ledger, name="finding-ledger"),
    path("penalties/", views.penalty_list, name="penalty-list"),
    path("penalties/<int:pk>/edit/", views.penalty_edit, name="penalty-edit"),
    path("penalties/<int:pk>/finalise/", views.penalty_final, name="penalty-finalise"),
    path("campaigns/", views.campaign_list, name="campaign-list"),
    path("campaigns/new/", views.campaign_new, name="campaign-create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign-detail"),
    path("campaigns/<int:pk>/form1.xlsx", views.campaign_form1, name="campaign-form1"),
    path("campaigns/<int:pk>/form2.xlsx", views.campaign_form2, name="campaign-form2"),
    path("duties/", views.duties, name="duties"),
    path("duties/<int:pk>/", views.self_inspection, name="self-inspection"),
]
