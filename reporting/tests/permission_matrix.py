"""Permission-matrix entries for the reporting pages (see tests/permission_matrix.py)."""

from django.urls import reverse

from tests.permission_matrix import PROVINCE_ADMIN, WRITTEN, Entry, only, signed_in


def _schedule_form(ctx, caller) -> dict:
    return {"days_before": "60, 14, 3", "on_due_day": "on", "overdue_every_days": "14"}


MATRIX = {
    "reporting:reminders": Entry(signed_in(), note="everyone lists their own reminders only"),
    "reporting:reminder-schedule": Entry(
        only(PROVINCE_ADMIN), url=reverse("reporting:reminder-schedule") + "?province=220000",
        post=only(PROVINCE_ADMIN, allowed=WRITTEN), data=_schedule_form,
        note="a provincial administrator edits their own province's schedule (the Liaoning one edits "
             "Liaoning's, whatever the query says); only a platform administrator chooses the province",
    ),
}
