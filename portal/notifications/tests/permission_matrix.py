"""Permission-matrix entries for the notification pages (see tests/permission_matrix.py)."""

from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import NOT_ALLOWED, NOT_FOUND, REFUSED, Entry, expect, signed_in


def _institution_users_notification(ctx) -> str:
    from portal.notifications.services import notify

    ids = notify(users=[ctx.users[Role.INSTITUTION]], kind="tests.matrix", title="权限矩阵")
    return reverse("notifications:read", args=[ids[0]])


def _no_data(ctx, caller) -> dict:
    return {}


MATRIX = {
    "notifications:list": Entry(signed_in(), note="everyone lists their own notifications only"),
    "notifications:read": Entry(
        signed_in(NOT_ALLOWED), url=_institution_users_notification,
        post=expect(NOT_FOUND, institution=REFUSED), data=_no_data,
        note="POST only; the notification is the institution user's, everyone else gets 404. Reading one's "
             "own notification is not audited, so the owner's successful POST shows as 'refused'",
    ),
    "notifications:read-all": Entry(
        signed_in(NOT_ALLOWED), post=signed_in(REFUSED), data=_no_data,
        note="POST only; marks the caller's own notifications read, which is not audited",
    ),
}
