"""Who may do what: one table of capabilities, used by pages and the API alike.

A capability names an action ("accounts.manage_province"); the table says which
roles hold it. Object-level reach (tenant, jurisdiction, own institution) is then
decided by :func:`portal.accounts.scoping.restrict_queryset`.
Domain apps add their capabilities with :func:`register`.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from .choices import AUTHORITY_ROLES, Role

AUTHORITIES = frozenset(AUTHORITY_ROLES)
EVERY_SIGNED_IN = frozenset(set(Role) - {Role.NONE})

_CAPABILITIES: dict[str, frozenset[str]] = {}


def register(name: str, roles: Iterable[str]) -> None:
    _CAPABILITIES[name] = frozenset(roles)


register("portal.home", EVERY_SIGNED_IN)
register("portal.oversee", AUTHORITIES | {Role.NATIONAL})
register("accounts.manage_province", {Role.PROVINCE_ADMIN})
register("accounts.view_organisations", AUTHORITIES | {Role.NATIONAL})
register("audit.view", {Role.PROVINCE_ADMIN})
register("workdays.manage", set())  # platform administrators only (superusers)
register("workdays.view_warnings", {Role.PROVINCE_ADMIN})


def capabilities() -> dict[str, frozenset[str]]:
    return dict(_CAPABILITIES)


def has_capability(user, name: str) -> bool:
    if name not in _CAPABILITIES:
        raise KeyError(f"unknown capability {name!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in _CAPABILITIES[name]


def require_capability(name: str):
    """View decorator: anonymous visitors go to sign-in, others without it get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_capability(request.user, name):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.capability = name
        return wrapped

    return decorator


class IsPortalUser(BasePermission):
    """Default API permission: signed in, active and holding a role."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        capability = getattr(view, "capability", "portal.home")
        if isinstance(capability, dict):
            capability = capability.get(request.method, capability.get("*"))
        return has_capability(user, capability)


class PublicReadOnly(BasePermission):
    """Explicit opening of a public endpoint: anyone may read, nobody may write."""

    def has_permission(self, request, view):
        return request.method in ("GET", "HEAD", "OPTIONS")
