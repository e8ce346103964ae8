"""Writing the audit trail. Services call :func:`audit` explicitly for every change."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from portal.core.request_context import current_request_meta

from .models import AuditEntry

SECRET_FIELDS = {"password", "key", "token", "secret", "otp_secret"}
MASK = "******"


def _mask(values: dict | None) -> dict | None:
    if values is None:
        return None
    return {k: (MASK if any(s in k.lower() for s in SECRET_FIELDS) else v) for k, v in values.items()}


def _jsonable(value: Any) -> Any:
    import json

    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, default=str))


def snapshot(obj: models.Model, fields: list[str] | None = None) -> dict:
    """A JSON-ready copy of a record's concrete fields (foreign keys as ids)."""
    data = {}
    for field in obj._meta.concrete_fields:
        if fields is not None and field.name not in fields:
            continue
        if isinstance(field, models.FileField):
            data[field.name] = getattr(obj, field.name).name or None
        else:
            data[field.attname if field.is_relation else field.name] = field.value_from_object(obj)
    return _jsonable(data)


def _province_of(obj) -> int | None:
    spec = getattr(type(obj), "scope", None)
    if spec is None or not spec.province:
        return None
    value = obj
    for part in spec.province.split("__"):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value.pk if isinstance(value, models.Model) else value


def audit(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    old: dict | None = None,
    new: dict | None = None,
    province_id: int | None = None,
) -> AuditEntry:
    meta = current_request_meta()
    actor_obj = actor if getattr(actor, "is_authenticated", False) else None
    if province_id is None and obj is not None:
        province_id = _province_of(obj)
    if province_id is None and actor_obj is not None and getattr(actor_obj, "organisation_id", None):
        province_id = actor_obj.organisation.province_id
    if old is not None and new is not None:
        # Keep only what changed: the row stays readable and small.
        changed = [k for k in set(old) | set(new) if old.get(k) != new.get(k)]
        old = {k: old.get(k) for k in sorted(changed)}
        new = {k: new.get(k) for k in sorted(changed)}
    return AuditEntry.objects.create(
        province_id=province_id,
        actor=actor_obj,
        actor_name=(str(actor_obj) if actor_obj else "system")[:150],
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:255] if obj is not None else "",
        old=_jsonable(_mask(old)),
        new=_jsonable(_mask(new)),
        request_id=meta.get("request_id", ""),
        ip_address=meta.get("ip"),
    )


def audit_create(*, actor, obj: models.Model, action: str | None = None) -> AuditEntry:
    return audit(actor=actor, obj=obj, action=action or f"{obj._meta.label_lower}.created", new=snapshot(obj))


def audit_delete(*, actor, obj: models.Model, action: str | None = None) -> AuditEntry:
    return audit(actor=actor, obj=obj, action=action or f"{obj._meta.label_lower}.deleted", old=snapshot(obj))


def audit_update(*, actor, obj: models.Model, before: dict, action: str | None = None) -> AuditEntry | None:
    after = snapshot(obj, fields=None)
    if {k: after.get(k) for k in before} == before:
        return None
    return audit(actor=actor, obj=obj, action=action or f"{obj._meta.label_lower}.updated",
                 old=before, new={k: after.get(k) for k in before})
