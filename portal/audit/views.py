from django.core.paginator import Paginator
from django.shortcuts import render

from portal.accounts.permissions import require_capability

from .selectors import audit_entries


@require_capability("audit.view")
def audit_list(request):
    entries, form = audit_entries(user=request.user, params=request.GET)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/list.html", {"page": page, "form": form, "query": query.urlencode()})
