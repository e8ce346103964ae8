"""Writes: send notifications (in-app, and by e-mail after commit) and mark them read.

Any app may call :func:`notify` or :func:`notify_authority`; bulk senders (the daily
deadline digest) build :class:`Message` rows and call :func:`notifications_create`.
Notifications are not audited: each one is the consequence of a domain action that
its own service has audited, and reading one's own messages is nobody else's business.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Notification
from .selectors import ROLE_GROUPS, notifications_for, staff_user_ids

logger = logging.getLogger(__name__)
EMAIL_BATCH = 500


@dataclass(frozen=True)
class Message:
    recipient_id: int
    kind: str
    title: str
    body: str = ""
    url: str = ""
    province_id: int | None = None
    subject_type_id: int | None = None
    subject_id: str = ""
    dedupe_key: str = ""


def _row(message: Message) -> Notification:
    return Notification(
        recipient_id=message.recipient_id, kind=message.kind, title=message.title[:255], body=message.body,
        url=message.url, province_id=message.province_id, subject_type_id=message.subject_type_id,
        subject_id=message.subject_id, dedupe_key=message.dedupe_key,
    )


def notifications_create(*, messages: Sequence[Message], email: bool = False) -> list[int]:
    """Store the messages in bulk and return the ids of their rows.

    A message whose (recipient, ``dedupe_key``) is already stored is not stored again, so
    a retried caller sends nothing twice. With ``email`` the e-mail copies are sent by a
    task after commit; a copy already claimed by an earlier send is never sent again.
    """
    keyed = [m for m in messages if m.dedupe_key]
    plain = [m for m in messages if not m.dedupe_key]
    ids: list[int] = []
    if plain:
        ids += [row.pk for row in Notification.objects.bulk_create([_row(m) for m in plain], batch_size=1000)]
    if keyed:
        # ON CONFLICT DO NOTHING returns no ids; read back the rows for the requested pairs.
        Notification.objects.bulk_create([_row(m) for m in keyed], batch_size=1000, ignore_conflicts=True)
        wanted = {(m.recipient_id, m.dedupe_key) for m in keyed}
        stored = Notification.objects.filter(
            recipient_id__in={m.recipient_id for m in keyed}, dedupe_key__in={m.dedupe_key for m in keyed},
        ).values_list("pk", "recipient_id", "dedupe_key")
        ids += [pk for pk, recipient_id, key in stored if (recipient_id, key) in wanted]
    if email and ids:
        from .tasks import send_notification_emails

        transaction.on_commit(lambda: send_notification_emails.delay(notification_ids=ids))
    return ids


def _subject_fields(subject: models.Model | None) -> dict:
    if subject is None:
        return {}
    return {"subject_type_id": ContentType.objects.get_for_model(subject).pk, "subject_id": str(subject.pk)}


def notify(*, users: Iterable, kind: str, title: str, body: str = "", url: str = "",
           province_id: int | None = None, subject: models.Model | None = None, dedupe_key: str = "",
           email: bool = False) -> list[int]:
    """The same notification to each of ``users`` (users or user ids; inactive ones are skipped)."""
    from portal.accounts.models import User

    wanted = {getattr(u, "pk", u) for u in users}
    if not wanted:
        return []
    active = User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True).order_by("pk")
    extra = _subject_fields(subject)
    messages = [Message(recipient_id=pk, kind=kind, title=title, body=body, url=url, province_id=province_id,
                        dedupe_key=dedupe_key, **extra) for pk in active]
    return notifications_create(messages=messages, email=email)


def notify_authority(*, province_id: int, kind: str, title: str, roles: Iterable[str] = (),
                     organisations: Iterable = (), body: str = "", url: str = "",
                     subject: models.Model | None = None, dedupe_key: str = "", email: bool = False) -> list[int]:
    """Tell authorities of one province at once: the staff of the organisations that ``roles``
    name (``Role.COMMISSION_PROVINCE``, ``Role.DISEASE_CONTROL``...) and of ``organisations``
    (organisations or ids, kept only if they belong to the province)."""
    from portal.accounts.models import User

    groups = {group for role in roles for group in ROLE_GROUPS[role]}
    user_ids = {uid for ids in staff_user_ids(province_ids=[province_id], groups=groups).values() for uid in ids}
    org_ids = {getattr(o, "pk", o) for o in organisations}
    if org_ids:
        user_ids |= set(User.objects.filter(
            organisation_id__in=org_ids, organisation__province_id=province_id, organisation__is_active=True,
        ).values_list("pk", flat=True))
    return notify(users=user_ids, kind=kind, title=title, body=body, url=url, province_id=province_id,
                  subject=subject, dedupe_key=dedupe_key, email=email)


def notification_mark_read(*, user, notification_id: int) -> Notification:
    """Mark one of the user's own notifications read; anyone else's raises DoesNotExist."""
    notification = notifications_for(user=user).get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
    return notification


def notifications_mark_all_read(*, user) -> int:
    return notifications_for(user=user).filter(read_at__isnull=True).update(read_at=timezone.now())


def _claim_for_email(ids: Collection[int]) -> list[int]:
    """Mark the unsent copies as sent before sending: of two workers, only one gets each."""
    with transaction.atomic():
        claimed = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=ids, emailed_at__isnull=True, recipient__is_active=True)
            .exclude(recipient__email="")
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=claimed).update(emailed_at=timezone.now())
    return claimed


def _email(row: dict) -> EmailMessage:
    url = row["url"]
    link = f"{settings.PUBLIC_BASE_URL}{url}" if url.startswith("/") else url
    text = render_to_string("notifications/email.txt", {"title": row["title"], "body": row["body"], "link": link})
    subject = " ".join(row["title"].split())
    return EmailMessage(subject=subject, body=text, to=[row["recipient__email"]])


def notification_emails_send(*, notification_ids: Collection[int]) -> int:
    """Send the e-mail copy of each notification at most once; returns how many went out.

    A mail-server failure releases the copies not yet sent and raises ConnectionError, so
    that the task's retry sends those and only those.
    """
    ids = sorted(set(notification_ids))
    sent = 0
    for start in range(0, len(ids), EMAIL_BATCH):
        claimed = _claim_for_email(ids[start:start + EMAIL_BATCH])
        if not claimed:
            continue
        rows = list(Notification.objects.filter(pk__in=claimed)
                    .values("pk", "title", "body", "url", "recipient__email").order_by("pk"))
        done: list[int] = []
        connection = get_connection()
        try:
            connection.open()
            for row in rows:
                connection.send_messages([_email(row)])
                done.append(row["pk"])
        except OSError as exc:
            finished = set(done)
            pending = [row["pk"] for row in rows if row["pk"] not in finished]
            Notification.objects.filter(pk__in=pending).update(emailed_at=None)
            logger.warning("notification e-mail failed after %s of %s: %s", len(done), len(rows), exc)
            raise ConnectionError(f"mail server: {exc}") from exc
        finally:
            connection.close()
        sent += len(done)
    return sent
