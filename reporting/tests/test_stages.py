"""Which stage a deadline is at on a given day (no database)."""

from datetime import date, timedelta

import pytest

from reporting.reminders.stages import Schedule, days_left_label, stage_for, stage_label

DUE = date(2026, 7, 31)


@pytest.mark.parametrize("days_left,stage", [
    (45, None), (31, None), (30, "before-30"), (29, "before-30"), (27, "before-30"), (26, None),
    (8, None), (7, "before-7"), (4, "before-7"), (3, None), (1, "before-1"), (0, "due"), (-1, "due"), (-3, "due"),
    (-4, None), (-6, None), (-7, "overdue-7"), (-10, "overdue-7"), (-11, None), (-14, "overdue-14"),
    (-70, "overdue-70"),
])
def test_default_schedule(days_left, stage):
    # A stage is due on its day and, if a scan was missed, up to three days late; never staler.
    assert stage_for(Schedule(), DUE, DUE - timedelta(days=days_left)) == stage


def test_a_province_schedule_without_overdue_or_due_day_reminders():
    schedule = Schedule(days_before=(14,), on_due_day=False, overdue_every_days=0)
    assert stage_for(schedule, DUE, DUE - timedelta(days=14)) == "before-14"
    assert stage_for(schedule, DUE, DUE - timedelta(days=7)) is None
    assert stage_for(schedule, DUE, DUE) is None
    assert stage_for(schedule, DUE, DUE + timedelta(days=7)) is None


def test_labels():
    assert stage_label("before-30") == "提前 30 天"
    assert stage_label("due") == "到期当日"
    assert stage_label("overdue-14") == "逾期 14 天"
    assert days_left_label(DUE, DUE - timedelta(days=3)) == "还有 3 天"
    assert days_left_label(DUE, DUE) == "今天到期"
    assert days_left_label(DUE, DUE + timedelta(days=8)) == "已逾期 8 天"
