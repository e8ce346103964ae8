from django.shortcuts import render

from portal.accounts.permissions import require_capability


@require_capability("portal.oversee")
def index(request):
    return render(request, "reporting/index.html")
