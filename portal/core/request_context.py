"""Request facts (id, client address) that the audit trail records, without passing
the request through every service call."""

from contextvars import ContextVar

_meta: ContextVar[dict | None] = ContextVar("portal_request_meta", default=None)


def current_request_meta() -> dict:
    return _meta.get() or {}


def set_request_meta(meta: dict):
    return _meta.set(meta)


def reset_request_meta(token) -> None:
    _meta.reset(token)
