from django.shortcuts import render

from portal.accounts.permissions import require_capability


@require_capability("portal.home")
def index(request):
    return render(request, "filing/index.html")
