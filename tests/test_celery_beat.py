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


@pytest.fixture
def default_queue(queue):
    """Tasks queued with .delay() go to this run's own queue, which only the test's worker reads."""
    from portal.celery import app

    saved = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = saved


@pytest.mark.worker
def test_beat_publishes_a_scheduled_list_on_a_worker_when_its_time_comes(
        broker, transactional_db, queue, not_eager, make_user, worker, beat):
    from datetime import timedelta

    from django.utils import timezone
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    from reporting.publications.choices import PublicationKind, PublicationStatus
    from reporting.publications.models import Publication
    from reporting.publications.services import publication_schedule

    commission = make_user(Role.COMMISSION_PROVINCE)
    publication = publication_schedule(actor=commission, kind=PublicationKind.FILED_INSTITUTIONS,
                                       data_as_of=timezone.localdate(),
                                       scheduled_for=timezone.now() + timedelta(seconds=3))
    every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="test: publish due", task="reporting.publications.tasks.publish_due_publications",
                                interval=every_second, queue=queue)

    published = Publication.objects.filter(pk=publication.pk, status=PublicationStatus.PUBLISHED)
    _wait_for(published.exists, worker, beat, what="published list")
    publication.refresh_from_db()
    assert publication.published_at >= publication.scheduled_for
    assert publication.number and publication.pdf and publication.xlsx
    time.sleep(2)  # beat keeps sending the task: nothing is published twice
    assert Publication.objects.filter(province=publication.province, status=PublicationStatus.PUBLISHED).count() == 1


@pytest.mark.worker
def test_the_yearly_report_is_generated_by_a_worker(broker, transactional_db, default_queue, not_eager,
                                                     make_user, worker):
    from datetime import date

    from portal.core.pdf import pdf_text
    from reporting.annual.choices import ReportStatus
    from reporting.annual.models import ProvincialReport
    from reporting.annual.services import report_generation_request, report_open

    commission = make_user(Role.COMMISSION_PROVINCE)
    report = report_open(province=commission.organisation.province, year=2025, actor=commission,
                         today=date(2026, 1, 5))
    report_generation_request(report_id=report.pk, actor=commission)  # queued at commit (autocommit here)

    ready = ProvincialReport.objects.filter(pk=report.pk, status=ReportStatus.READY)
    _wait_for(ready.exists, worker, what="generated report")
    report.refresh_from_db()
    assert "2025" in pdf_text(report.pdf_file.file.read())
    assert "generate_provincial_report" in worker.log_path.read_text()
