"""Reads: a person's own reminders, and each province's reminder schedule."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from ..models import Reminder, ReminderSchedule
from .stages import Schedule


def schedule_from_row(row: ReminderSchedule | None) -> Schedule:
    if row is None:
        return Schedule()
    return Schedule(days_before=tuple(sorted({int(d) for d in row.days_before}, reverse=True)),
                    on_due_day=row.on_due_day, overdue_every_days=row.overdue_every_days)


def reminder_schedules() -> dict[int, Schedule]:
    """Every province's own schedule; provinces missing here use ``Schedule()``."""
    return {row.province_id: schedule_from_row(row) for row in ReminderSchedule.objects.all()}


def reminder_schedule_for(*, province_id: int) -> ReminderSchedule | None:
    return ReminderSchedule.objects.filter(province_id=province_id).first()


def reminders_for(*, user, digest_date: date | None = None) -> QuerySet[Reminder]:
    """The user's own reminders, newest first; anyone else's are not there."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Reminder.objects.none()
    qs = Reminder.objects.filter(recipient_id=user.pk)
    if digest_date is not None:
        qs = qs.filter(digest__digest_date=digest_date)
    return qs.order_by("-scan_date", "due_date", "pk")
