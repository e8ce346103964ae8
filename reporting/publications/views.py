"""Authority pages: the province's publications, scheduling one, cancelling and withdrawing.

Every authority of a province reads its publications (the national level every province's);
the provincial health commission schedules, cancels and withdraws. Detail pages fetch from
the scoped queryset, so another province's publication is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.permissions import has_capability, require_capability

from . import selectors, services
from .choices import PublicationStatus
from .forms import PublicationForm, WithdrawForm, today_initial

PAGE_SIZE = 30
PREVIEW_ROWS = 20


def _can_manage(user, publication=None) -> bool:
    if not has_capability(user, "publications.manage") or user.organisation is None:
        return False
    return publication is None or publication.province_id == user.organisation.province_id


@require_capability("publications.view")
def publication_list(request):
    qs = selectors.publications_for(request.user).only(*selectors.LIST_FIELDS).order_by("-scheduled_for", "-pk")
    status = request.GET.get("status", "")
    if status in PublicationStatus.values:
        qs = qs.filter(status=status)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "publications/authority/list.html", {
        "page": page, "statuses": PublicationStatus.choices, "status": status,
        "query": f"status={status}" if status else "",
        "can_manage": _can_manage(request.user),
    })


@require_capability("publications.manage")
def publication_create(request):
    form = PublicationForm(request.POST or None,
                           initial={**today_initial(), "submission_key": services.new_submission_key()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            publication = services.publication_schedule(
                actor=request.user, kind=data["kind"], data_as_of=data["data_as_of"],
                next_update_on=data["next_update_on"], scheduled_for=data["scheduled_for"], notes=data["notes"],
                submission_key=data["submission_key"])
        except PermissionDenied as exc:
            form.add_error(None, str(exc) or _("只有省级卫生健康行政部门的用户可以发布公示。"))
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            publication.refresh_from_db(fields=["status", "number"])  # "now" may be published already
            if publication.status == PublicationStatus.PUBLISHED:
                messages.success(request, _("已发布：%(number)s。") % {"number": publication.number})
            else:
                messages.success(request, _("已安排发布，发布完成后将生成文号、PDF 和 Excel 文件。"))
            return redirect("reporting:publications:detail", pk=publication.pk)
    return render(request, "publications/authority/form.html", {
        "form": form, "can_publish": request.user.organisation is not None,
    })


@require_capability("publications.view")
def publication_detail(request, pk: int):
    publication = get_object_or_404(selectors.publications_for(request.user).select_related("created_by"), pk=pk)
    preview = None
    if publication.status == PublicationStatus.SCHEDULED:
        preview = selectors.preview_count(publication)
    keys = [column["key"] for column in publication.columns]
    rows = [(row.position, [row.data.get(key) for key in keys])
            for row in selectors.publication_rows(publication)[:PREVIEW_ROWS]]
    return render(request, "publications/authority/detail.html", {
        "publication": publication, "preview": preview, "rows": rows, "columns": publication.columns,
        "can_manage": _can_manage(request.user, publication), "withdraw_form": WithdrawForm(),
        "preview_rows": PREVIEW_ROWS,
    })


def _step(request, pk: int, call, success: str):
    publication = get_object_or_404(selectors.publications_for(request.user), pk=pk)
    if not _can_manage(request.user, publication):
        raise PermissionDenied
    try:
        call(publication)
    except ValidationError as exc:
        for errors in exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages]:
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, success)
    return redirect(reverse("reporting:publications:detail", args=[publication.pk]))


@require_POST
@require_capability("publications.manage")
def publication_cancel(request, pk: int):
    return _step(request, pk, lambda p: services.publication_cancel(publication_id=p.pk, actor=request.user),
                 _("已取消发布。"))


@require_POST
@require_capability("publications.manage")
def publication_withdraw(request, pk: int):
    reason = request.POST.get("reason", "")
    return _step(request, pk, lambda p: services.publication_withdraw(publication_id=p.pk, actor=request.user,
                                                                      reason=reason),
                 _("已撤回，该公示不再在公开网站显示。"))
