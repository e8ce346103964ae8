"""Celery beat with the database scheduler and a real worker, against Redis and PostgreSQL.

The production path of the daily deadline scan: beat reads its entry from the database, sends
the task through the broker, a separate worker runs it, and the reminders land in the database.
"""

import time

import pytest

from portal.accounts.choices import Role
from reporting.models import Reminder

TIMEOUT_SECONDS = 90


def _wait_for(predicate, *processes, what: str):
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not predicate():
        for process in processes:
            assert process.poll() is None, f"a process exited early:\n{process.log_path.read_text()}"
        assert time.monotonic() < deadline, f"no {what} after {TIMEOUT_SECONDS} s; logs:\n" + "\n".join(
            p.log_path.read_text() for p in processes)
        time.sleep(0.5)


@pytest.mark.worker
def test_beat_sends_the_deadline_scan_to_a_worker_which_writes_the_reminders(
        broker, transactional_db, queue, not_eager, make_user, worker, beat):
    from datetime import date

    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from filing.choices import FilingStatus, InstitutionKind, VersionStatus
    from filing.models import Filing, FilingVersion
    from reporting.reminders.services import SCAN_TASK, beat_schedule_install

    qc_user = make_user(Role.QC_CENTER, email="zk@example.org")
    institution = make_user(Role.INSTITUTION).organisation
    filing = Filing.objects.create(institution=institution, province_id=institution.province_id,
                                   region_id=institution.region_id, kind=InstitutionKind.EXAMINATION,
                                   status=FilingStatus.SUBMITTED)
    version = FilingVersion.objects.create(filing=filing, number=1, status=VersionStatus.SUBMITTED,
                                           name=institution.name, credit_code="",
                                           receipt_due_on=date(2026, 6, 16))
    assert "created" in beat_schedule_install()  # the daily 07:00 entry, as load_reference_data makes it
    # The same task every second on this run's own queue, for a fixed day one day before the due date.
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="test: deadline scan", task=SCAN_TASK, interval=every_second,
                                kwargs='{"today": "2026-06-15"}', queue=queue)

    mine = Reminder.objects.filter(recipient=qc_user, subject_id=version.pk)
    _wait_for(mine.exists, worker, beat, what="reminder")
    time.sleep(3)  # beat keeps sending the scan every second: the reminder stays one row
    assert mine.count() == 1
    reminder = mine.get()
    assert reminder.due_date == date(2026, 6, 16)
    assert "reporting.tasks.scan_deadlines" in worker.log_path.read_text()
    assert "Scheduler: Sending due task test: deadline scan" in beat.log_path.read_text()
