"""When a deadline is reminded of: the stages of a province's schedule.

A stage is named by its offset from the due date: ``before-30``, ``due``, ``overdue-14``.
It is part of a reminder's identity, so "30 days before" and "7 days before" are two
reminders while a second scan on the same day finds nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from django.utils.translation import gettext as _

DEFAULT_DAYS_BEFORE = (30, 7, 1)
DEFAULT_OVERDUE_EVERY_DAYS = 7
# A stage missed because no scan ran that day (a worker outage, a long weekend) is still sent
# up to this many days late; a deadline that first appears long after a stage does not get
# that stale stage, only the next one.
CATCH_UP_DAYS = 3


@dataclass(frozen=True)
class Schedule:
    days_before: tuple[int, ...] = DEFAULT_DAYS_BEFORE
    on_due_day: bool = True
    overdue_every_days: int = DEFAULT_OVERDUE_EVERY_DAYS  # 0: no reminders once overdue


def stage_for(schedule: Schedule, due_date: date, today: date) -> str | None:
    """The stage to remind of today: the latest stage already reached, if recent enough."""
    return _stage(schedule, (today - due_date).days)


@lru_cache(maxsize=8192)
def _stage(schedule: Schedule, elapsed: int) -> str | None:
    every = schedule.overdue_every_days
    if every and elapsed >= every:
        offset = elapsed // every * every
        name = f"overdue-{offset}"
    elif schedule.on_due_day and elapsed >= 0:
        offset, name = 0, "due"
    else:
        reached = [n for n in schedule.days_before if -n <= elapsed]
        if not reached:
            return None
        days = min(reached)
        offset, name = -days, f"before-{days}"
    return name if elapsed - offset <= CATCH_UP_DAYS else None


def stage_label(stage: str) -> str:
    if stage == "due":
        return _("到期当日")
    kind, _sep, days = stage.partition("-")
    if kind == "before":
        return _("提前 %(days)s 天") % {"days": days}
    if kind == "overdue":
        return _("逾期 %(days)s 天") % {"days": days}
    return stage


def days_left_label(due_date: date, today: date) -> str:
    left = (due_date - today).days
    if left > 0:
        return _("还有 %(days)s 天") % {"days": left}
    if left == 0:
        return _("今天到期")
    return _("已逾期 %(days)s 天") % {"days": -left}
