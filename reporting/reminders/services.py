"""Writes: the daily deadline scan, the provinces' reminder schedules, the beat entry.

The scan (:func:`deadlines_scan`) is safe to run any number of times, in parallel:

1. every source yields its open deadlines; each is matched against its province's
   schedule, and the stage due today (if any) becomes one row per recipient;
2. the rows are inserted with ``ON CONFLICT DO NOTHING`` on (subject, recipient, kind,
   due date, stage): what an earlier or a parallel run inserted is not inserted again;
3. each recipient with unsent rows gets a digest row, unique per (recipient, day);
4. digests are claimed in batches with ``SELECT ... FOR UPDATE SKIP LOCKED``; the claimer
   attaches the recipient's unsent rows, stores one in-app notification and marks the
   digest sent in one transaction; the e-mail copy goes out after commit, claimed again
   per notification, so nobody gets the same digest twice.

Rows a parallel run inserts after a recipient's digest went out wait for the next day's.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.accounts.models import User
from portal.audit.services import audit_create, audit_update, snapshot
from portal.notifications.selectors import institution_user_ids, staff_user_ids
from portal.notifications.services import Message, notifications_create
from portal.regions.models import Region, RegionLevel

from ..models import Reminder, ReminderDigest, ReminderSchedule
from .registry import (
    InstitutionStaff,
    OrganisationStaff,
    ProvinceStaff,
    Recipient,
    ResponsibleAuthority,
    Users,
    sources,
)
from .selectors import reminder_schedules
from .stages import CATCH_UP_DAYS, Schedule, days_left_label, stage_for

logger = logging.getLogger(__name__)

DIGEST_KIND = "reporting.deadline_digest"
INSERT_BATCH = 2000
PG_INSERT_BATCH = 10000
DIGEST_BATCH = 1000
DIGEST_LINES = 20


@dataclass
class ScanResult:
    today: date
    deadlines: int = 0  # open deadlines seen
    staged: int = 0  # of which at a reminder stage today
    reminders_sent: int = 0  # reminder rows this run put into a digest
    digests_sent: int = 0  # people this run notified
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return {**asdict(self), "today": self.today.isoformat()}


def deadlines_scan(*, today: date | None = None) -> ScanResult:
    """Find today's reminders, record each once, and send each person one digest."""
    started = time.monotonic()
    today = today or timezone.localdate()
    result = ScanResult(today=today)
    # Titles and digests are stored text; write them in the portal's language, not a caller's.
    with translation.override(settings.LANGUAGE_CODE):
        _insert(_collect(today, result), today)
        _digests_open(today)
        _digests_send(today, result)
    result.seconds = round(time.monotonic() - started, 3)
    logger.info("deadline scan %s: %s open deadlines, %s at a stage, %s reminders in %s digests, %.1f s",
                today, result.deadlines, result.staged, result.reminders_sent, result.digests_sent, result.seconds)
    return result


# The columns of a new reminder row as _collect returns them (scan date and time added on insert).
ROW_FIELDS = ("subject_type_id", "subject_id", "recipient_id", "kind", "due_date", "stage", "province_id", "title",
              "url")
_PG_ARRAY_TYPES = ("integer", "bigint", "bigint", "text", "date", "text", "bigint", "text", "text")


def _collect(today: date, result: ScanResult) -> list[tuple]:
    schedules = reminder_schedules()
    default = Schedule()
    staged = []
    for source in sources():
        for deadline in source.collect(today=today):
            result.deadlines += 1
            stage = stage_for(schedules.get(deadline.province_id, default), deadline.due_date, today)
            if stage is not None:
                staged.append((deadline, stage))
    result.staged = len(staged)
    users = recipients_resolve({r for deadline, _stage in staged for r in deadline.recipients})
    known = _recent_keys(today)
    content_types: dict = {}
    keyed = []
    for deadline, stage in staged:
        model, subject_id = deadline.subject
        type_id = content_types.get(model)
        if type_id is None:
            type_id = content_types[model] = ContentType.objects.get_for_model(model).pk
        # One row per person even when two recipient groups name them both.
        for uid in dict.fromkeys(uid for r in deadline.recipients for uid in users.get(r, ())):
            key = (type_id, subject_id, uid, deadline.kind, deadline.due_date, stage)
            if key not in known:
                keyed.append((key, deadline))
    # The same order in every run: two runs inserting the same keys wait for each other
    # on the unique index in one direction only, never in a cycle.
    keyed.sort(key=lambda pair: pair[0])
    return [(*key, deadline.province_id, deadline.title[:255], deadline.url) for key, deadline in keyed]


def _insert(rows: list[tuple], today: date) -> None:
    """Insert the rows, skipping any key already stored (ON CONFLICT DO NOTHING), in one
    transaction: one commit rather than one per batch."""
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _insert_unnest(rows, today, now)
            return
        Reminder.objects.bulk_create(
            [Reminder(**dict(zip(ROW_FIELDS, row, strict=True)), scan_date=today, created_at=now) for row in rows],
            ignore_conflicts=True, batch_size=INSERT_BATCH,
        )


def _insert_unnest(rows: list[tuple], today: date, now) -> None:
    # What bulk_create(ignore_conflicts=True) does, as one INSERT ... SELECT FROM unnest(one
    # array per column) per batch: no model instance and no placeholder per value, which for
    # 70,000 rows saves several seconds of the daily scan.
    meta = Reminder._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(meta.get_field(name).column) for name in (*ROW_FIELDS, "scan_date", "created_at"))
    arrays = ", ".join(f"%s::{kind}[]" for kind in _PG_ARRAY_TYPES)
    sql = (f"INSERT INTO {quote(meta.db_table)} ({columns}) SELECT *, %s, %s FROM unnest({arrays}) "
           "ON CONFLICT DO NOTHING")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), PG_INSERT_BATCH):
            batch = rows[start:start + PG_INSERT_BATCH]
            cursor.execute(sql, [today, now, *(list(column) for column in zip(*batch, strict=True))])


def _recent_keys(today: date) -> set[tuple]:
    """Keys of the rows earlier scans could have written for a stage still current today.

    A stage is current for at most CATCH_UP_DAYS days after its day, so its row was written
    no earlier than that: leaving these out spares a re-run its inserts. The unique key, not
    this set, is what keeps a parallel run from writing a row twice.
    """
    return set(
        Reminder.objects.filter(scan_date__gte=today - timedelta(days=CATCH_UP_DAYS))
        .values_list("subject_type_id", "subject_id", "recipient_id", "kind", "due_date", "stage")
    )


def recipients_resolve(recipients: set[Recipient]) -> dict[Recipient, tuple[int, ...]]:
    """Active user ids for each recipient, in a few queries whatever the number of deadlines."""
    found: dict[Recipient, tuple[int, ...]] = {}
    by_type: dict[type, list] = defaultdict(list)
    for recipient in recipients:
        by_type[type(recipient)].append(recipient)
    if by_type[InstitutionStaff]:
        by_org = institution_user_ids(organisation_ids={r.organisation_id for r in by_type[InstitutionStaff]})
        found.update({r: tuple(by_org.get(r.organisation_id, ())) for r in by_type[InstitutionStaff]})
    if by_type[OrganisationStaff]:
        members: dict[int, list[int]] = defaultdict(list)
        rows = User.objects.filter(
            is_active=True, organisation__is_active=True,
            organisation_id__in={r.organisation_id for r in by_type[OrganisationStaff]},
        ).order_by("pk").values_list("organisation_id", "pk")
        for organisation_id, uid in rows:
            members[organisation_id].append(uid)
        found.update({r: tuple(members.get(r.organisation_id, ())) for r in by_type[OrganisationStaff]})
    if by_type[ProvinceStaff]:
        staff = staff_user_ids(province_ids={r.province_id for r in by_type[ProvinceStaff]},
                               groups={r.group for r in by_type[ProvinceStaff]})
        found.update({r: tuple(staff.get((r.province_id, r.group), ())) for r in by_type[ProvinceStaff]})
    if by_type[ResponsibleAuthority]:
        found.update(_responsible_authorities(by_type[ResponsibleAuthority]))
    if by_type[Users]:
        wanted = {uid for r in by_type[Users] for uid in r.user_ids}
        active = set(User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True))
        found.update({r: tuple(uid for uid in r.user_ids if uid in active) for r in by_type[Users]})
    return found


def _responsible_authorities(recipients: list[ResponsibleAuthority]) -> dict[Recipient, tuple[int, ...]]:
    regions = Region.objects.filter(pk__in={r.region_id for r in recipients}).values_list(
        "pk", "level", "supervised_by_city", "parent_id")
    # The same rule as Region.responsible_region, for many regions at once.
    delegated_to = {pk: parent_id if level == RegionLevel.COUNTY and delegated and parent_id else pk
                    for pk, level, delegated, parent_id in regions}
    handled_by = {r: delegated_to.get(r.region_id) if r.honour_delegation else r.region_id for r in recipients}
    staff: dict[tuple[int, str], list[int]] = defaultdict(list)
    rows = User.objects.filter(
        is_active=True, organisation__is_active=True, organisation__region_id__in=set(handled_by.values()) - {None},
        organisation__kind__in={r.kind for r in recipients},
    ).order_by("pk").values_list("pk", "organisation__region_id", "organisation__kind")
    for uid, region_id, kind in rows:
        staff[(region_id, kind)].append(uid)
    return {r: tuple(staff.get((handled_by[r], r.kind), ())) for r in recipients}


def _unsent(today: date):
    # A row left unsent for longer than the catch-up window (its day's digest had already
    # gone out and the deadline has moved on) is kept on the list page but not mailed late.
    return Reminder.objects.filter(sent_at__isnull=True, scan_date__gte=today - timedelta(days=CATCH_UP_DAYS),
                                   scan_date__lte=today)


def _digests_open(today: date) -> None:
    recipients = _unsent(today).order_by("recipient_id").values_list("recipient_id", flat=True).distinct()
    ReminderDigest.objects.bulk_create(
        [ReminderDigest(recipient_id=uid, digest_date=today) for uid in recipients],
        ignore_conflicts=True, batch_size=INSERT_BATCH,
    )


def _digests_send(today: date, result: ScanResult) -> None:
    digest_type_id = ContentType.objects.get_for_model(ReminderDigest).pk
    url = f"{reverse('reporting:reminders')}?date={today.isoformat()}"
    dedupe_key = f"{DIGEST_KIND}:{today.isoformat()}"
    labels: dict[date, str] = {}
    while True:
        with transaction.atomic():
            batch = list(
                ReminderDigest.objects.select_for_update(skip_locked=True)
                .filter(digest_date=today, sent_at__isnull=True)
                .order_by("pk").values_list("pk", "recipient_id")[:DIGEST_BATCH]
            )
            if not batch:
                return
            now = timezone.now()
            digest_ids = [pk for pk, _uid in batch]
            people = [uid for _pk, uid in batch]
            result.reminders_sent += _unsent(today).filter(recipient_id__in=people).update(
                digest_id=Subquery(ReminderDigest.objects.filter(
                    recipient_id=OuterRef("recipient_id"), digest_date=today).values("pk")[:1]),
                sent_at=now,
            )
            lines: dict[int, list] = defaultdict(list)
            attached = (Reminder.objects.filter(recipient_id__in=people, digest_id__in=digest_ids)
                        .order_by("due_date", "pk")
                        .values_list("digest_id", "title", "due_date", "province_id"))
            for digest_id, title, due_date, province_id in attached:
                lines[digest_id].append((title, due_date, province_id))
            messages = [
                Message(recipient_id=uid, kind=DIGEST_KIND, title=_digest_title(len(lines[pk]), today),
                        body=_digest_body(lines[pk], today, labels), url=url, province_id=lines[pk][0][2],
                        subject_type_id=digest_type_id, subject_id=str(pk), dedupe_key=dedupe_key)
                for pk, uid in batch if lines[pk]
            ]
            notifications_create(messages=messages, email=True)
            ReminderDigest.objects.filter(pk__in=digest_ids).update(sent_at=now)
            result.digests_sent += len(messages)


def _digest_title(count: int, today: date) -> str:
    return _("期限提醒：%(count)s 项（%(date)s）") % {"count": count, "date": today.isoformat()}


def _digest_body(lines: list[tuple], today: date, labels: dict[date, str] | None = None) -> str:
    """``labels``: "7 days left" by due date, shared by the digests of one scan (a translated
    string per line, tens of thousands of lines, took seconds)."""
    labels = {} if labels is None else labels
    body = []
    for title, due, _province in lines[:DIGEST_LINES]:
        label = labels.get(due)
        if label is None:
            label = labels[due] = days_left_label(due, today)
        body.append(f"· {due.isoformat()} {title}（{label}）")
    if len(lines) > DIGEST_LINES:
        body.append(_("……另有 %(more)s 项，请登录平台查看。") % {"more": len(lines) - DIGEST_LINES})
    return "\n".join(body)


# ---- The provinces' schedules -------------------------------------------------------------

MAX_DAYS_BEFORE = 365
MAX_STAGES_BEFORE = 10
MAX_OVERDUE_EVERY_DAYS = 90
SCHEDULE_FIELDS = ["days_before", "on_due_day", "overdue_every_days"]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def reminder_schedule_validate(*, days_before, on_due_day: bool, overdue_every_days) -> list[int]:
    """The offsets, checked and sorted (largest first); raises field-keyed errors."""
    errors: dict[str, str] = {}
    days = list(days_before)
    if not all(_is_int(d) and 1 <= d <= MAX_DAYS_BEFORE for d in days):
        errors["days_before"] = _("提前提醒天数须为 1 至 %(max)s 之间的正整数。") % {"max": MAX_DAYS_BEFORE}
    elif len(set(days)) != len(days):
        errors["days_before"] = _("提前提醒天数不能重复。")
    elif len(days) > MAX_STAGES_BEFORE:
        errors["days_before"] = _("提前提醒最多设置 %(max)s 次。") % {"max": MAX_STAGES_BEFORE}
    if not (_is_int(overdue_every_days) and 0 <= overdue_every_days <= MAX_OVERDUE_EVERY_DAYS):
        errors["overdue_every_days"] = _("逾期提醒间隔须为 0 至 %(max)s 之间的整数（0 表示逾期后不再提醒）。") % {
            "max": MAX_OVERDUE_EVERY_DAYS}
    if not errors and not days and not on_due_day and not overdue_every_days:
        errors["days_before"] = _("至少保留一种提醒。")
    if errors:
        raise ValidationError(errors)
    return sorted(days, reverse=True)


@transaction.atomic
def reminder_schedule_update(*, province: Region, days_before, on_due_day: bool, overdue_every_days: int,
                             actor) -> ReminderSchedule:
    if province.level != RegionLevel.PROVINCE:
        raise ValidationError(_("期限提醒按省设置。"))
    days = reminder_schedule_validate(days_before=days_before, on_due_day=on_due_day,
                                      overdue_every_days=overdue_every_days)
    values = {"days_before": days, "on_due_day": bool(on_due_day), "overdue_every_days": overdue_every_days}
    schedule = ReminderSchedule.objects.select_for_update().filter(province=province).first()
    if schedule is None:
        schedule = ReminderSchedule.objects.create(province=province, **values)
        audit_create(actor=actor, obj=schedule, action="reporting.reminder_schedule.created")
        return schedule
    before = snapshot(schedule, SCHEDULE_FIELDS)
    for field, value in values.items():
        setattr(schedule, field, value)
    schedule.save(update_fields=[*SCHEDULE_FIELDS, "updated_at"])
    audit_update(actor=actor, obj=schedule, before=before, action="reporting.reminder_schedule.updated")
    return schedule


# ---- The beat entry -----------------------------------------------------------------------

SCAN_TASK = "reporting.tasks.scan_deadlines"
SCAN_ENTRY_NAME = "reporting: daily deadline reminders"
SCAN_HOUR = 7
SCAN_TIMEZONE = "Asia/Shanghai"


def beat_schedule_install() -> str:
    """Create or repair the daily 07:00 (Asia/Shanghai) entry the database scheduler reads."""
    from django_celery_beat.models import CrontabSchedule

    from portal.core.beat import periodic_task_install

    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="0", hour=str(SCAN_HOUR), day_of_week="*", day_of_month="*", month_of_year="*",
        timezone=ZoneInfo(SCAN_TIMEZONE),
    )
    state = periodic_task_install(
        name=SCAN_ENTRY_NAME, task=SCAN_TASK, crontab=crontab,
        description="Scan every open deadline and send the day's reminders (reporting.reminders).")
    return f"reminders: daily deadline scan at {SCAN_HOUR:02d}:00 {SCAN_TIMEZONE} ({state})"
