"""Writes of publications: schedule, publish (snapshot, then PDF and Excel), cancel, withdraw.

Publishing is safe to run any number of times, from the "publish now" task and from any
number of beat processes at once: the row is claimed with ``SELECT ... FOR UPDATE SKIP
LOCKED`` and only a scheduled one whose time has come is published. The snapshot, the number
and the files are written in one transaction: a publication is either published with all of
them or not at all (then marked failed, with the reason).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.accounts.permissions import has_capability
from portal.audit.services import audit, audit_create
from portal.regions.models import RegionLevel

from .choices import (
    MAX_SCHEDULE_DAYS,
    NUMBER_WORDS,
    PROVINCE_ABBREVIATIONS,
    PUBLICATION_TRANSITIONS,
    PublicationKind,
    PublicationStatus,
)
from .kinds import KINDS, iter_rows
from .models import Publication, PublicationRow, PublicationSequence

logger = logging.getLogger(__name__)

ROW_BATCH = 1000
# A "publish now" may lag the form by the time the request takes; earlier than this is the past.
SCHEDULE_GRACE = timedelta(minutes=1)


class TransitionError(ValidationError):
    """The publication is not in a state that allows this step."""


def assert_transition(publication: Publication, *, to: str) -> None:
    if to not in PUBLICATION_TRANSITIONS.get(publication.status, set()):
        raise TransitionError(
            _("该公示当前状态为“%(status)s”，不能执行此操作。")
            % {"status": PublicationStatus(publication.status).label},
            code="invalid_transition",
        )


def _authority_of(actor):
    """The provincial commission the actor publishes for, or PermissionDenied."""
    if not has_capability(actor, "publications.manage"):
        raise PermissionDenied
    org = actor.organisation
    if org is None or not org.is_active or org.province_id is None or org.region is None \
            or org.region.level != RegionLevel.PROVINCE:
        raise PermissionDenied(_("只有省级卫生健康行政部门的用户可以发布公示。"))
    return org


def publication_number(*, province_code: str, kind: str, year: int, sequence: int) -> str:
    """"吉卫职健质控公示〔2026〕3号": the province's short name, the kind's word, year and sequence."""
    abbreviation = PROVINCE_ABBREVIATIONS.get(province_code[:2], "")
    return f"{abbreviation}卫职健{NUMBER_WORDS[kind]}〔{year}〕{sequence}号"


def publication_title(*, province_name: str, kind: str) -> str:
    return f"{province_name}{PublicationKind(kind).label}"


# ---- Scheduling ------------------------------------------------------------------------------

@transaction.atomic
def publication_schedule(*, actor, kind: str, data_as_of: date, next_update_on: date | None = None,
                         scheduled_for: datetime | None = None, notes: str = "", submission_key=None,
                         now: datetime | None = None) -> Publication:
    """Schedule one publication of the actor's province, now (``scheduled_for`` None) or later.

    The same form sent twice (same ``submission_key``) gives back the publication the first
    one made; a second scheduled publication of the same kind and date is refused.
    """
    authority = _authority_of(actor)
    now = now or timezone.now()
    if submission_key is not None:
        existing = Publication.objects.filter(submission_key=submission_key, created_by=actor).first()
        if existing is not None:
            return existing
    when = scheduled_for or now
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [_("请选择公示类型。")]
    if scheduled_for is not None and scheduled_for < now - SCHEDULE_GRACE:
        errors["scheduled_for"] = [_("计划发布时间不能早于现在。")]
    elif when > now + timedelta(days=MAX_SCHEDULE_DAYS):
        errors["scheduled_for"] = [_("计划发布时间不能晚于一年以后。")]
    publish_day = timezone.localdate(when)
    if not isinstance(data_as_of, date):
        errors["data_as_of"] = [_("请填写数据截止日期。")]
    elif data_as_of > publish_day:
        errors["data_as_of"] = [_("数据截止日期不能晚于发布日期（%(day)s）。") % {"day": publish_day.isoformat()}]
    if next_update_on is not None and next_update_on <= publish_day:
        errors["next_update_on"] = [_("下次更新日期应晚于发布日期（%(day)s）。") % {"day": publish_day.isoformat()}]
    if not errors and Publication.objects.filter(province_id=authority.province_id, kind=kind, data_as_of=data_as_of,
                                                 status=PublicationStatus.SCHEDULED).exists():
        errors["kind"] = [_("已有一份相同类型、相同数据截止日期的公示等待发布。")]
    if errors:
        raise ValidationError(errors)
    province = authority.province
    publication = Publication(
        province=province, kind=kind, title=publication_title(province_name=province.name, kind=kind),
        authority=authority, authority_name=authority.name, data_as_of=data_as_of, next_update_on=next_update_on,
        notes=(notes or "").strip(), status=PublicationStatus.SCHEDULED, scheduled_for=when,
        submission_key=submission_key, created_by=actor,
    )
    try:
        with transaction.atomic():
            publication.save()
    except IntegrityError:
        # The same form, sent twice at the same moment: the other request made it.
        return Publication.objects.get(submission_key=submission_key)
    audit_create(actor=actor, obj=publication, action="publications.scheduled")
    if when <= now:
        from .tasks import publish_publication

        transaction.on_commit(lambda: publish_publication.delay(publication_id=publication.pk))
    return publication


def _locked(publication_id: int) -> Publication:
    return Publication.objects.select_for_update(of=("self",)).get(pk=publication_id)


@transaction.atomic
def publication_cancel(*, publication_id: int, actor) -> Publication:
    """Cancel a scheduled (or failed) publication: it is never published; no number is used."""
    authority = _authority_of(actor)
    publication = _locked(publication_id)
    if publication.province_id != authority.province_id:
        raise PermissionDenied
    assert_transition(publication, to=PublicationStatus.CANCELLED)
    old = publication.status
    publication.status = PublicationStatus.CANCELLED
    publication.cancelled_at = timezone.now()
    publication.save(update_fields=["status", "cancelled_at", "updated_at"])
    audit(actor=actor, obj=publication, action="publications.cancelled", old={"status": old},
          new={"status": publication.status})
    return publication


@transaction.atomic
def publication_withdraw(*, publication_id: int, actor, reason: str) -> Publication:
    """Take a published list off the public site; its snapshot stays on record, unchanged."""
    authority = _authority_of(actor)
    publication = _locked(publication_id)
    if publication.province_id != authority.province_id:
        raise PermissionDenied
    assert_transition(publication, to=PublicationStatus.WITHDRAWN)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("请填写撤回原因。")]})
    publication.status = PublicationStatus.WITHDRAWN
    publication.withdrawn_at = timezone.now()
    publication.withdrawal_reason = reason.strip()
    publication.save(update_fields=["status", "withdrawn_at", "withdrawal_reason", "updated_at"])
    audit(actor=actor, obj=publication, action="publications.withdrawn", old={"status": PublicationStatus.PUBLISHED},
          new={"status": publication.status, "reason": publication.withdrawal_reason})
    return publication


# ---- Publishing ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Renderers:
    """The rendering module's entry points; tests may swap in quicker ones."""

    column: type
    sheet: type
    render_pdf: object
    render_xlsx: object


def renderers() -> Renderers:
    # Imported when publishing: the module starts WeasyPrint workers, which pages never need.
    from . import rendering

    return Renderers(rendering.Column, rendering.Sheet, rendering.render_pdf, rendering.render_xlsx)


def publication_publish(*, publication_id: int, now: datetime | None = None) -> Publication | None:
    """Publish one scheduled publication whose time has come; anything else is left as it is.

    Returns None when another process holds the row (it is publishing it), else the row as it
    now stands. A failure marks the publication failed and keeps nothing of the attempt.
    """
    return _publish_one(publication_id, now or timezone.now())[0]


def _publish_one(publication_id: int, now: datetime) -> tuple[Publication | None, bool]:
    """(the row, whether this call published it)."""
    with transaction.atomic():
        publication = (Publication.objects.select_for_update(skip_locked=True, of=("self",))
                       .select_related("province").filter(pk=publication_id).first())
        if publication is None or publication.status != PublicationStatus.SCHEDULED \
                or publication.scheduled_for > now:
            return publication, False
        try:
            with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
                _publish(publication, now)
        except Exception as exc:  # noqa: BLE001  any failure is recorded on the row, which is not tried again
            logger.exception("publishing publication %s failed", publication.pk)
            _discard_files(publication)
            publication = Publication.objects.select_related("province").get(pk=publication_id)
            publication.status = PublicationStatus.FAILED
            publication.failure_reason = f"{type(exc).__name__}: {exc}"[:2000]
            publication.save(update_fields=["status", "failure_reason", "updated_at"])
            audit(actor=None, obj=publication, action="publications.failed",
                  old={"status": PublicationStatus.SCHEDULED},
                  new={"status": publication.status, "reason": publication.failure_reason})
            return publication, False
    return publication, True


def _discard_files(publication: Publication) -> None:
    # Files written before the attempt failed belong to nothing: the row was rolled back.
    for field in (publication.pdf, publication.xlsx):
        if field.name:
            field.storage.delete(field.name)


def _next_sequence(publication: Publication, year: int) -> int:
    counter, _created = PublicationSequence.objects.get_or_create(
        province_id=publication.province_id, kind=publication.kind, year=year)
    counter = PublicationSequence.objects.select_for_update().get(pk=counter.pk)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last


def _publish(publication: Publication, now: datetime) -> None:
    kind = KINDS[publication.kind]
    year = timezone.localdate(now).year
    sequence = _next_sequence(publication, year)
    publication.year, publication.sequence = year, sequence
    publication.number = publication_number(province_code=publication.province.code, kind=publication.kind,
                                            year=year, sequence=sequence)
    publication.published_at = now
    publication.published_by = publication.created_by
    publication.columns = [column.as_json() for column in kind.columns]
    render = renderers()
    notes = "\n".join(text for text in (str(kind.notes or ""), publication.notes) if text)
    sheet = render.sheet(
        title=publication.title, number=publication.number, authority=publication.authority_name,
        kind_label=kind.label, data_as_of=publication.data_as_of, next_update_on=publication.next_update_on,
        published_at=timezone.localtime(now),
        columns=[render.column(key=c["key"], label=c["label"], width=c["width"]) for c in publication.columns],
        notes=notes,
    )
    rows: list[dict] = []

    def read_rows() -> Iterator[dict]:
        # Read as the PDF's chunks are written, once its workers are starting; kept for the rest.
        for row in iter_rows(publication.kind, province_id=publication.province_id, as_of=publication.data_as_of):
            rows.append(row)
            yield row

    with tempfile.TemporaryDirectory(prefix="publication-") as work:
        pdf_path, xlsx_path = Path(work) / "list.pdf", Path(work) / "list.xlsx"

        def while_rendering() -> None:
            # The snapshot rows and the workbook, while the workers lay the PDF out: on two cores
            # the list is published about a second sooner than one step after the other.
            for start in range(0, len(rows), ROW_BATCH):
                PublicationRow.objects.bulk_create(
                    PublicationRow(publication=publication, position=start + n, data=row)
                    for n, row in enumerate(rows[start:start + ROW_BATCH], start=1))
            render.render_xlsx(sheet, rows, xlsx_path)

        publication.pdf_pages = render.render_pdf(sheet, read_rows(), pdf_path, while_rendering=while_rendering)
        publication.row_count = len(rows)
        with pdf_path.open("rb") as pdf, xlsx_path.open("rb") as xlsx:
            publication.pdf.save("list.pdf", File(pdf), save=False)
            publication.xlsx.save("list.xlsx", File(xlsx), save=False)
    publication.status = PublicationStatus.PUBLISHED
    publication.save()
    audit(actor=None, obj=publication, action="publications.published", old={"status": PublicationStatus.SCHEDULED},
          new={"status": publication.status, "number": publication.number, "row_count": publication.row_count,
               "data_as_of": publication.data_as_of.isoformat()})


def publications_publish_due(*, now: datetime | None = None) -> int:
    """Publish every scheduled publication whose time has come; the beat task's body.

    Any number of these may run at once: each row is claimed under SKIP LOCKED, and one already
    published is left alone.
    """
    now = now or timezone.now()
    due = list(Publication.objects.filter(status=PublicationStatus.SCHEDULED, scheduled_for__lte=now)
               .order_by("scheduled_for", "pk").values_list("pk", flat=True))
    return sum(_publish_one(pk, now)[1] for pk in due)


# ---- The beat entry --------------------------------------------------------------------------

PUBLISH_TASK = "reporting.publications.tasks.publish_due_publications"
PUBLISH_ENTRY_NAME = "publications: publish scheduled publications"
PUBLISH_EVERY_MINUTES = 5


def beat_schedule_install() -> str:
    """Create or repair the every-five-minutes entry the database scheduler reads."""
    from django_celery_beat.models import IntervalSchedule

    from portal.core.beat import periodic_task_install

    interval, _created = IntervalSchedule.objects.get_or_create(every=PUBLISH_EVERY_MINUTES,
                                                                period=IntervalSchedule.MINUTES)
    state = periodic_task_install(
        name=PUBLISH_ENTRY_NAME, task=PUBLISH_TASK, interval=interval,
        description="Publish the scheduled publications whose time has come (reporting.publications).")
    return f"publications: scheduled publishing every {PUBLISH_EVERY_MINUTES} minutes ({state})"


def new_submission_key() -> uuid.UUID:
    return uuid.uuid4()
