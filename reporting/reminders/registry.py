"""What a deadline source yields, who it names as recipients, and the registry of sources.

A source is a function ``source(*, today) -> Iterable[Deadline]`` registered with
:func:`deadline_source`. It reads its rows in bulk (``values_list`` over one queryset,
never a query per row) and names recipients by role, not by user: the scan resolves
every recipient of every deadline in a handful of queries.

Sources live in :mod:`reporting.reminders.sources`, one module per domain app, since
reporting is the one app that may read all the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from django.db import models
from django.urls import reverse

from portal.notifications.selectors import StaffGroup


@dataclass(frozen=True, slots=True)
class InstitutionStaff:
    """Everyone who acts for the institution (its contacts)."""

    organisation_id: int


@dataclass(frozen=True, slots=True)
class ProvinceStaff:
    """The staff of a province's organisations of one kind and level (the provincial QC center...)."""

    province_id: int
    group: StaffGroup


@dataclass(frozen=True, slots=True)
class OrganisationStaff:
    """The staff of one named organisation: the QC center a plan item names, the body that
    opened a rectification entry."""

    organisation_id: int


@dataclass(frozen=True, slots=True)
class ResponsibleAuthority:
    """The staff of the authority of ``kind`` that handles matters located in a region,
    county delegation to the city (代管) honoured.

    ``honour_delegation=False`` names the authority of the region itself: for a region that
    already is the result of routing (an off-site notice's ``routed_region``), so that a
    delegation switched on or off after the routing does not move the reminder away from the
    one authority that may act on it.
    """

    region_id: int
    kind: str
    honour_delegation: bool = True


@dataclass(frozen=True, slots=True)
class Users:
    """Named people, such as the inspector assigned to a verification."""

    user_ids: tuple[int, ...]


Recipient = InstitutionStaff | OrganisationStaff | ProvinceStaff | ResponsibleAuthority | Users


@dataclass(frozen=True, slots=True)
class Deadline:
    """One open deadline: something (``subject``: model and id) is due on ``due_date``."""

    kind: str
    subject: tuple[type[models.Model], int]
    due_date: date
    province_id: int
    recipients: tuple[Recipient, ...]
    title: str
    url: str = ""


@dataclass(frozen=True)
class DeadlineSource:
    kind: str
    label: str
    collect: Callable[..., Iterable[Deadline]]


_SOURCES: dict[str, DeadlineSource] = {}


def deadline_source(kind: str, label: str):
    """Register ``fn(*, today)`` as the source of deadlines of ``kind``."""

    def decorator(fn):
        if kind in _SOURCES and _SOURCES[kind].collect is not fn:
            raise ValueError(f"deadline source {kind!r} is registered twice")
        _SOURCES[kind] = DeadlineSource(kind=kind, label=label, collect=fn)
        return fn

    return decorator


def sources() -> list[DeadlineSource]:
    from . import sources as _load  # noqa: F401  the modules register themselves on import

    return [_SOURCES[kind] for kind in sorted(_SOURCES)]


def detail_url(name: str) -> Callable[[int], str]:
    """``url(pk)`` for a detail URL pattern taking one integer, reversed once: a source
    building tens of thousands of links would spend seconds in ``reverse()``."""
    prefix, _sep, suffix = reverse(name, args=[_URL_SENTINEL]).rpartition(str(_URL_SENTINEL))
    return lambda pk: f"{prefix}{pk}{suffix}"


_URL_SENTINEL = 987654321


def kind_label(kind: str) -> str:
    source = _SOURCES.get(kind)
    return str(source.label) if source else kind
