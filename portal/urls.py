from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("", include("portal.core.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("portal.accounts.urls")),
    path("audit/", include("portal.audit.urls")),
    path("regions/", include("portal.regions.urls")),
    path("calendar/", include("portal.workdays.urls")),
    path("notifications/", include("portal.notifications.urls")),
    path("catalogue/", include("filing.catalogue.urls")),
    path("filing/", include("filing.urls")),
    path("directory/", include("filing.urls_public")),
    path("inspections/", include("inspections.urls")),
    path("supervision/", include("inspections.supervision.urls")),
    path("qc/", include("qc.urls")),
    path("ledger/", include("qc.ledger.urls")),
    path("reporting/", include("reporting.urls")),
    path("publications/", include("reporting.publications.urls_public")),
    path("reports/", include("reporting.annual.urls")),
    path("dashboard/", include("reporting.dashboards.urls")),
    path("api/v1/", include("portal.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
]

# Uploaded documents are never served directly: views check permissions and stream them.
