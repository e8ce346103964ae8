from __future__ import annotations

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.permissions import has_capability


class TransitionError(ValidationError):
    """The record is not in a state that allows this step."""


def today() -> date:
    return timezone.localdate()


def assert_transition(table: dict, current: str, target: str, *, label: str) -> None:
    if target not in table.get(current, set()):
        raise TransitionError(
            _("%(label)s当前状态为“%(current)s”，不能执行此操作。") % {"label": label, "current": current},
            code="invalid_transition",
        )


def check_capability(actor, capability: str) -> None:
    """``actor=None`` is the system (a signal receiver, the demo); a person needs the capability."""
    if actor is not None and not has_capability(actor, capability):
        raise PermissionDenied


def check_province(actor, province_id: int) -> None:
    if actor is None or actor.is_superuser:
        return
    org = actor.organisation
    if org is None or org.province_id != province_id:
        raise PermissionDenied


def raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)
