from django.shortcuts import render

from portal.accounts.permissions import has_capability, require_capability


@require_capability("portal.oversee")
def index(request):
    """The hub of reporting: what each authority may open here depends on its capabilities."""
    user = request.user
    return render(request, "reporting/index.html", {
        "can_publications": has_capability(user, "publications.view"),
        "can_publish": has_capability(user, "publications.manage"),
        "can_annual": has_capability(user, "annual.view"),
        "can_compare": has_capability(user, "annual.compare"),
        "can_schedule": has_capability(user, "reporting.manage_reminders"),
    })
