from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.permissions import require_capability

from .models import Notification
from .selectors import notifications_for
from .services import notification_mark_read, notifications_mark_all_read


@require_capability("portal.home")
def notification_list(request):
    notifications = notifications_for(user=request.user)
    unread_only = request.GET.get("unread") == "1"
    if unread_only:
        notifications = notifications.filter(read_at__isnull=True)
    page = Paginator(notifications.only("pk", "title", "body", "url", "created_at", "read_at"), 30).get_page(
        request.GET.get("page"))
    return render(request, "notifications/list.html", {
        "page": page, "unread_only": unread_only, "query": "unread=1" if unread_only else "",
    })


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return default


@require_capability("portal.home")
@require_POST
def notification_read(request, pk: int):
    """Mark one read; with ``open`` the reader is taken on to what it is about."""
    try:
        notification = notification_mark_read(user=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    if request.POST.get("open") and notification.url.startswith("/"):
        return redirect(notification.url)
    return redirect(_back(request, "notifications:list"))


@require_capability("portal.home")
@require_POST
def notification_read_all(request):
    count = notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("已将 %(count)s 条通知标为已读。") % {"count": count})
    return redirect(_back(request, "notifications:list"))
