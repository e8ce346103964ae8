"""Entries of the database scheduler (django-celery-beat) that apps install as reference data."""

from __future__ import annotations


def periodic_task_install(*, name: str, task: str, description: str, crontab=None, interval=None) -> str:
    """Create or repair one beat entry; returns ``created``, ``updated`` or ``unchanged`` (with a note
    when an administrator has disabled it).

    Idempotent, so ``load_reference_data`` can run at every deployment; ``enabled`` is not among the
    fields it repairs, so an entry an administrator paused in the admin stays paused.
    """
    from django_celery_beat.models import PeriodicTask

    wanted = {"task": task, "crontab": crontab, "interval": interval, "solar": None, "clocked": None,
              "one_off": False, "args": "[]", "kwargs": "{}", "description": description}
    entry = PeriodicTask.objects.filter(name=name).first()
    if entry is None:
        entry = PeriodicTask.objects.create(name=name, **wanted)
        state = "created"
    elif any(getattr(entry, field) != value for field, value in wanted.items()):
        for field, value in wanted.items():
            setattr(entry, field, value)
        entry.save()
        state = "updated"
    else:
        state = "unchanged"
    return state if entry.enabled else f"{state}, disabled by an administrator"
