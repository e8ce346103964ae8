"""Writes of the filing workflow. Each transition checks the table in choices.py,
locks the row, records the facts and audits; nothing here decides on merit.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.accounts.choices import OrgKind
from portal.accounts.models import Organisation, User
from portal.accounts.services import _sync_institution_perm
from portal.audit.services import audit, snapshot
from portal.workdays.services import add_working_days, working_days_between

from .choices import (
    APPLICATION_TRANSITIONS,
    FILING_TRANSITIONS,
    VERSION_EDITABLE,
    VERSION_OPEN,
    VERSION_TRANSITIONS,
    ApplicationStatus,
    FilingStatus,
    ItemStatus,
    VersionKind,
    VersionStatus,
)
from .completeness import check_version
from .models import (
    AccountApplication,
    Equipment,
    FiledItem,
    Filing,
    FilingVersion,
    QualityDocument,
    Room,
    StaffMember,
    Vehicle,
)

RECEIPT_WORKING_DAYS = 10
CHANGE_WORKING_DAYS = 10
LATE_FILING_WORKING_DAYS = 15


class TransitionError(ValidationError):
    """The record is not in a state that allows this step (HTTP 400/409)."""


def assert_transition(table: dict, current: str, target: str, *, label: str) -> None:
    if target not in table.get(current, set()):
        raise TransitionError(
            _("%(label)s当前状态为“%(current)s”，不能执行此操作。") % {"label": label, "current": current},
            code="invalid_transition",
        )


def normalise_credit_code(code: str) -> str:
    return (code or "").strip().upper()


def validate_credit_code(code: str, *, field: str = "credit_code") -> str:
    """GB 32100-2015: 18 characters; the last is a check character over the first 17."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    code = normalise_credit_code(code)
    if len(code) != 18 or any(c not in alphabet for c in code):
        raise ValidationError({field: _("统一社会信用代码应为18位数字或大写字母（不含I、O、Z、S、V）。")})
    total = sum(alphabet.index(c) * w for c, w in zip(code[:17], weights, strict=True))
    check = alphabet[(31 - total % 31) % 31]
    if code[17] != check:
        raise ValidationError({field: _("统一社会信用代码校验位不正确，请核对。")})
    return code


# ---- Account application -------------------------------------------------

@transaction.atomic
def application_submit(*, province, region, name: str, credit_code: str, licence_number: str, kind: str,
                       contact_name: str, contact_phone: str, contact_email: str, username: str,
                       password: str) -> AccountApplication:
    from django.contrib.auth.password_validation import validate_password

    code = validate_credit_code(credit_code)
    if region.province_id != province.pk:
        raise ValidationError({"region": _("所选区划不属于本省。")})
    if Organisation.objects.filter(credit_code=code).exists():
        raise ValidationError({"credit_code": _("该统一社会信用代码已开通账号，请直接登录或联系本单位管理员。")})
    if AccountApplication.objects.filter(credit_code=code, status=ApplicationStatus.PENDING).exists():
        raise ValidationError({"credit_code": _("该统一社会信用代码已有待审核的申请，请勿重复提交。")})
    if User.objects.filter(username__iexact=username).exists() or AccountApplication.objects.filter(
        username__iexact=username, status=ApplicationStatus.PENDING
    ).exists():
        raise ValidationError({"username": _("该用户名已被使用。")})
    validate_password(password, User(username=username, full_name=contact_name, email=contact_email))
    app = AccountApplication.objects.create(
        province=province, region=region, name=name.strip(), credit_code=code,
        licence_number=licence_number.strip(), kind=kind, contact_name=contact_name,
        contact_phone=contact_phone, contact_email=contact_email, username=username,
        password_hash=make_password(password),
    )
    audit(actor=None, obj=app, action="filing.application.submitted",
          new=snapshot(app, ["name", "credit_code", "licence_number", "kind", "region", "username"]))
    return app


@transaction.atomic
def application_activate(*, application_id: int, actor) -> AccountApplication:
    app = AccountApplication.objects.select_for_update().get(pk=application_id)
    assert_transition(APPLICATION_TRANSITIONS, app.status, ApplicationStatus.ACTIVATED, label=_("账号申请"))
    if Organisation.objects.filter(credit_code=app.credit_code).exists():
        raise ValidationError({"credit_code": _("该统一社会信用代码已开通账号。")})
    if User.objects.filter(username__iexact=app.username).exists():
        raise ValidationError({"username": _("申请的用户名“%(name)s”已被占用，请通知申请人重新申请。")
                               % {"name": app.username}})
    org = Organisation.objects.create(
        name=app.name, kind=OrgKind.INSTITUTION, province=app.province, region=app.region,
        credit_code=app.credit_code, contact_name=app.contact_name, contact_phone=app.contact_phone,
    )
    user = User(username=app.username, full_name=app.contact_name, email=app.contact_email,
                phone=app.contact_phone, organisation=org, password=app.password_hash)
    user.save()
    _sync_institution_perm(user)
    app.status = ApplicationStatus.ACTIVATED
    app.organisation = org
    app.decided_by = actor
    app.decided_at = timezone.now()
    app.password_hash = ""
    app.save(update_fields=["status", "organisation", "decided_by", "decided_at", "password_hash"])
    audit(actor=actor, obj=app, action="filing.application.activated",
          old={"status": ApplicationStatus.PENDING}, new={"status": app.status, "organisation": org.pk})
    filing_start(institution=org, kind=app.kind, actor=actor, licence_number=app.licence_number)
    return app


@transaction.atomic
def application_refuse(*, application_id: int, actor, reason: str) -> AccountApplication:
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写未通过的原因。")})
    app = AccountApplication.objects.select_for_update().get(pk=application_id)
    assert_transition(APPLICATION_TRANSITIONS, app.status, ApplicationStatus.REFUSED, label=_("账号申请"))
    app.status = ApplicationStatus.REFUSED
    app.refusal_reason = reason.strip()
    app.decided_by = actor
    app.decided_at = timezone.now()
    app.password_hash = ""
    app.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at", "password_hash"])
    audit(actor=actor, obj=app, action="filing.application.refused",
          old={"status": ApplicationStatus.PENDING}, new={"status": app.status, "reason": app.refusal_reason})
    return app


# ---- Filing and versions ---------------------------------------------------

@transaction.atomic
def filing_start(*, institution: Organisation, kind: str, actor, licence_number: str = "") -> Filing:
    """Open the filing of one kind for an institution with an empty draft."""
    if institution.kind != OrgKind.INSTITUTION:
        raise ValidationError(_("只有检查/诊断机构可以备案。"))
    filing, created = Filing.objects.get_or_create(
        institution=institution, kind=kind,
        defaults={"province_id": institution.province_id, "region_id": institution.region_id},
    )
    if created:
        version = FilingVersion.objects.create(
            filing=filing, number=1, version_kind=VersionKind.INITIAL, name=institution.name,
            credit_code=institution.credit_code or "", licence_number=licence_number,
            region_id=institution.region_id, phone=institution.contact_phone, created_by=actor
            if getattr(actor, "is_authenticated", False) else None,
        )
        audit(actor=actor, obj=filing, action="filing.filing.created", new={"kind": kind, "version": version.pk})
    return filing


def open_version(filing: Filing) -> FilingVersion | None:
    return filing.versions.filter(status__in=VERSION_OPEN).order_by("-number").first()


def assert_editable(version: FilingVersion) -> None:
    if version.status not in VERSION_EDITABLE:
        raise TransitionError(_("该版本已提交或已受理，不能再修改。"), code="not_editable")


def _set_version_status(version: FilingVersion, target: str) -> str:
    assert_transition(VERSION_TRANSITIONS, version.status, target, label=_("备案版本"))
    old = version.status
    version.status = target
    return old


def _set_filing_status(filing: Filing, target: str) -> str | None:
    if filing.status == target:
        return None
    assert_transition(FILING_TRANSITIONS, filing.status, target, label=_("备案"))
    old = filing.status
    filing.status = target
    return old


@transaction.atomic
def version_submit(*, version_id: int, actor) -> FilingVersion:
    """Submit a complete draft; an incomplete one is refused with every deficiency at once."""
    version = FilingVersion.objects.select_for_update().select_related("filing").get(pk=version_id)
    filing = Filing.objects.select_for_update().get(pk=version.filing_id)
    # The state first: a version already submitted or decided is a wrong step, not an incomplete one.
    old = _set_version_status(version, VersionStatus.SUBMITTED)
    deficiencies = check_version(version)
    if deficiencies:
        by_field: dict[str, list] = {}
        for d in deficiencies:
            by_field.setdefault(d.field, []).append(ValidationError(d.message, code="incomplete"))
        raise ValidationError(by_field)
    now = timezone.now()
    today = timezone.localdate(now)
    version.submitted_at = now
    version.receipt_due_on = add_working_days(today, RECEIPT_WORKING_DAYS)
    if version.version_kind == VersionKind.INITIAL and version.exams_started_on:
        version.filed_late = working_days_between(version.exams_started_on, today) > LATE_FILING_WORKING_DAYS
    elif version.version_kind == VersionKind.CHANGE and version.changed_on:
        version.filed_late = working_days_between(version.changed_on, today) > CHANGE_WORKING_DAYS
    version.deficiencies = []
    version.save()
    if version.version_kind == VersionKind.INITIAL:
        _set_filing_status(filing, FilingStatus.SUBMITTED)
        filing.save(update_fields=["status", "updated_at"])
    audit(actor=actor, obj=version, action="filing.version.submitted", old={"status": old},
          new={"status": version.status, "receipt_due_on": version.receipt_due_on, "filed_late": version.filed_late})
    return version


def _next_filing_number(filing: Filing, year: int) -> str:
    prefix = f"{filing.province.code}-{year}-"
    last = (
        Filing.objects.select_for_update().filter(filing_number__startswith=prefix)
        .aggregate(m=Max("filing_number"))["m"]
    )
    seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
    return f"{prefix}{seq:04d}"


@transaction.atomic
def version_accept(*, version_id: int, actor, queue_receipt: bool = True) -> FilingVersion:
    """Accept a submission. ``queue_receipt=False`` leaves the receipt to be rendered on download
    (render_receipt is idempotent): bulk loads such as the demo must not render hundreds of PDFs."""
    version = FilingVersion.objects.select_for_update().get(pk=version_id)
    filing = Filing.objects.select_for_update().select_related("province").get(pk=version.filing_id)
    old = _set_version_status(version, VersionStatus.ACCEPTED)
    now = timezone.now()
    version.decided_by, version.decided_at = actor, now
    version.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    previous = filing.current_version
    if previous is not None and previous.pk != version.pk:
        _carry_item_statuses(previous, version)
        previous.status = VersionStatus.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
    old_filing = filing.status
    _set_filing_status(filing, FilingStatus.ACCEPTED)
    if not filing.filing_number:
        for _attempt in range(3):
            filing.filing_number = _next_filing_number(filing, timezone.localdate(now).year)
            try:
                with transaction.atomic():
                    filing.save(update_fields=["filing_number"])
                break
            except IntegrityError:
                continue
    if filing.filed_on is None:
        filing.filed_on = timezone.localdate(now)
    filing.current_version = version
    filing.region_id = version.region_id or filing.region_id
    filing.save(update_fields=["status", "filing_number", "filed_on", "current_version", "region", "updated_at"])
    if version.name != filing.institution.name:
        Organisation.objects.filter(pk=filing.institution_id).update(name=version.name)
    audit(actor=actor, obj=version, action="filing.version.accepted", old={"status": old},
          new={"status": version.status, "filing_number": filing.filing_number})
    audit(actor=actor, obj=filing, action="filing.filing.accepted", old={"status": old_filing},
          new={"status": filing.status, "current_version": version.pk})
    from .events import filing_accepted

    filing_accepted.send(sender=Filing, filing_id=filing.pk, version_id=version.pk,
                         first_acceptance=previous is None, actor=actor)
    if queue_receipt:
        from .tasks import render_receipt

        # robust: a receipt that fails to render must not undo or hide the acceptance; it is rendered
        # again on download.
        transaction.on_commit(lambda: render_receipt.delay(version_id=version.pk), robust=True)
    return version


@transaction.atomic
def version_return(*, version_id: int, actor, deficiencies: list[str], note: str = "") -> FilingVersion:
    """Send a submission back with the complete list of what is missing (一次性告知)."""
    items = [d.strip() for d in deficiencies if d and d.strip()]
    if not items:
        raise ValidationError({"deficiencies": _("退回时须一次性列明全部需要补正的事项。")})
    version = FilingVersion.objects.select_for_update().get(pk=version_id)
    filing = Filing.objects.select_for_update().get(pk=version.filing_id)
    old = _set_version_status(version, VersionStatus.RETURNED)
    version.deficiencies = [{"section": "authority", "field": "", "message": m} for m in items]
    version.return_reason = note.strip()
    version.decided_by, version.decided_at = actor, timezone.now()
    version.save()
    if version.version_kind == VersionKind.INITIAL:
        _set_filing_status(filing, FilingStatus.RETURNED)
        filing.save(update_fields=["status", "updated_at"])
    audit(actor=actor, obj=version, action="filing.version.returned", old={"status": old},
          new={"status": version.status, "deficiencies": items})
    return version


def _clone_children(source: FilingVersion, target: FilingVersion) -> None:
    for staff in source.staff.prefetch_related("certificates"):
        certs = list(staff.certificates.all())
        staff.pk = None
        staff.version = target
        staff.save()
        for cert in certs:
            cert.pk = None
            cert.staff = staff
            cert.save()
    for model in (Room, Equipment, Vehicle, QualityDocument, FiledItem):
        rows = list(model.objects.filter(version=source))
        for row in rows:
            row.pk = None
            row.version = target
        model.objects.bulk_create(rows)


def _carry_item_statuses(previous: FilingVersion, new: FilingVersion) -> None:
    """Suspensions and findings of incapacity outlive a change filing."""
    old = {(i.exam_item_id, i.disease_id): i for i in previous.items.exclude(status=ItemStatus.ACTIVE)}
    for item in new.items.all():
        prior = old.get((item.exam_item_id, item.disease_id))
        if prior and (item.status, item.status_reason) != (prior.status, prior.status_reason):
            item.status, item.status_reason = prior.status, prior.status_reason
            item.status_changed_at = prior.status_changed_at
            item.save(update_fields=["status", "status_reason", "status_changed_at"])


@transaction.atomic
def change_start(*, filing_id: int, actor, changed_on, summary: str) -> FilingVersion:
    """Open a change filing as a copy of the accepted version; the accepted one stays public."""
    filing = Filing.objects.select_for_update().get(pk=filing_id)
    errors = {}
    if filing.status != FilingStatus.ACCEPTED or filing.current_version_id is None:
        raise TransitionError(_("只有已备案的机构可以办理变更。"), code="invalid_transition")
    if open_version(filing) is not None:
        raise TransitionError(_("已有未完成的变更，请先提交或撤回。"), code="change_open")
    if changed_on is None:
        errors["changed_on"] = _("请填写变更发生日期。")
    elif changed_on > timezone.localdate():
        errors["changed_on"] = _("变更发生日期不能晚于今天。")
    if not (summary or "").strip():
        errors["change_summary"] = _("请说明变更事项。")
    if errors:
        raise ValidationError(errors)
    source = filing.current_version
    number = filing.versions.aggregate(m=Max("number"))["m"] + 1
    new = FilingVersion.objects.get(pk=source.pk)
    new.pk = None
    new.number = number
    new.version_kind = VersionKind.CHANGE
    new.status = VersionStatus.DRAFT
    new.change_summary = summary.strip()
    new.changed_on = changed_on
    new.submitted_at = new.decided_at = new.decided_by = new.receipt = None
    new.receipt_due_on = None
    new.filed_late = False
    new.deficiencies = []
    new.return_reason = ""
    new.created_by = actor
    new.save()
    _clone_children(source, new)
    audit(actor=actor, obj=new, action="filing.change.started",
          new={"version": number, "changed_on": changed_on, "summary": new.change_summary})
    return new


@transaction.atomic
def version_withdraw(*, version_id: int, actor) -> FilingVersion:
    version = FilingVersion.objects.select_for_update().get(pk=version_id)
    if version.version_kind != VersionKind.CHANGE:
        raise TransitionError(_("首次备案不能撤回，可申请注销。"), code="invalid_transition")
    old = _set_version_status(version, VersionStatus.WITHDRAWN)
    version.save(update_fields=["status", "updated_at"])
    audit(actor=actor, obj=version, action="filing.change.withdrawn", old={"status": old},
          new={"status": version.status})
    return version


@transaction.atomic
def filing_cancel(*, filing_id: int, actor, reason: str) -> Filing:
    """注销: the filing leaves the directory; its versions stay for the history."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("请填写注销原因。")})
    filing = Filing.objects.select_for_update().get(pk=filing_id)
    # Cancelling twice is a wrong step (the helper treats "already there" as nothing to do).
    assert_transition(FILING_TRANSITIONS, filing.status, FilingStatus.CANCELLED, label=_("备案"))
    old = _set_filing_status(filing, FilingStatus.CANCELLED)
    filing.cancelled_at = timezone.now()
    filing.cancellation_reason = reason.strip()
    filing.save(update_fields=["status", "cancelled_at", "cancellation_reason", "updated_at"])
    for version in filing.versions.select_for_update().filter(status__in=VERSION_OPEN):
        version.status = VersionStatus.WITHDRAWN
        version.save(update_fields=["status", "updated_at"])
    audit(actor=actor, obj=filing, action="filing.filing.cancelled", old={"status": old},
          new={"status": filing.status, "reason": filing.cancellation_reason})
    from .events import filing_cancelled

    filing_cancelled.send(sender=Filing, filing_id=filing.pk, actor=actor)
    return filing


@transaction.atomic
def filed_item_set_status(*, filing_id: int, item_code: str, status: str, reason: str, actor) -> FiledItem:
    """The one door through which QC and inspections change an item's public status."""
    if status not in ItemStatus.values:
        raise ValidationError({"status": _("未知的项目状态。")})
    if status != ItemStatus.ACTIVE and not (reason or "").strip():
        raise ValidationError({"reason": _("暂停或认定不具备能力时须说明原因。")})
    filing = Filing.objects.select_for_update().get(pk=filing_id)
    if filing.current_version_id is None:
        raise TransitionError(_("该机构尚未备案。"), code="not_filed")
    # of=("self",): the item/disease lookups are outer joins, which PostgreSQL will not lock.
    rows = FiledItem.objects.select_for_update(of=("self",)).filter(
        Q(exam_item__code=item_code) | Q(disease__code=item_code),
        version__filing=filing, version__status__in=[VersionStatus.ACCEPTED, *VERSION_OPEN],
    )
    current = [r for r in rows if r.version_id == filing.current_version_id]
    if not current:
        raise ValidationError({"item": _("项目 %(code)s 不在该机构的备案项目中。") % {"code": item_code}})
    old = current[0].status
    now = timezone.now()
    for row in rows:
        row.status, row.status_reason, row.status_changed_at = status, (reason or "").strip(), now
        row.save(update_fields=["status", "status_reason", "status_changed_at"])
    audit(actor=actor, obj=filing, action="filing.item.status_changed",
          old={"item": item_code, "status": old}, new={"item": item_code, "status": status, "reason": reason})
    return current[0]


# ---- Draft sections ---------------------------------------------------------
# Each section of a draft saves on its own. The caller has fetched the version from
# the user's restricted queryset; here the row is locked, must still be editable, and
# every value is checked again so that nothing invalid is half-saved.

BASIC_FIELDS = [
    "name", "credit_code", "licence_number", "licence_copy", "radiation_licence_number", "radiation_licence_copy",
    "legal_representative", "quality_manager", "technical_manager", "address", "region", "phone",
    "exams_started_on",
]


def _lock_editable(version_id: int) -> FilingVersion:
    version = (
        FilingVersion.objects.select_for_update(of=("self",)).select_related("filing").get(pk=version_id)
    )
    assert_editable(version)
    return version


def _raise_if(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _row_error(errors: dict, key: str, row: int, message) -> None:
    errors.setdefault(key, []).append(_("第%(row)s行：%(message)s") % {"row": row, "message": message})


def _check_ids(errors: dict, key: str, rows: list[dict], existing_ids: set[int]) -> None:
    """Row ids sent back by a form must be rows of this very version (never another institution's)."""
    for row in rows:
        if row.get("id") and row["id"] not in existing_ids:
            errors.setdefault(key, []).append(_("提交的数据已过期，请刷新页面后重试。"))
            return


def _sync_rows(manager, rows: list[dict], fields: list[str], **extra) -> tuple[int, int, int]:
    """Update the rows named by id, create the new ones, delete the rest. Returns (added, changed, removed)."""
    existing = {obj.pk: obj for obj in manager.all()}
    kept, added, changed = set(), 0, 0
    for position, row in enumerate(rows):
        values = {f: row[f] for f in fields if f in row}
        values.update({k: (v(position) if callable(v) else v) for k, v in extra.items()})
        obj = existing.get(row.get("id"))
        if obj is None:
            manager.create(**values)
            added += 1
            continue
        kept.add(obj.pk)
        if any(getattr(obj, f) != v for f, v in values.items()):
            for f, v in values.items():
                setattr(obj, f, v)
            obj.save(update_fields=list(values))
            changed += 1
    removed = [pk for pk in existing if pk not in kept]
    if removed:
        manager.filter(pk__in=removed).delete()
    return added, changed, len(removed)


@transaction.atomic
def version_save_basic(*, version_id: int, actor, name: str, credit_code: str, licence_number: str,
                       radiation_licence_number: str, legal_representative: str, quality_manager: str,
                       technical_manager: str, address: str, region, phone: str, exams_started_on,
                       licence_copy=None, radiation_licence_copy=None) -> FilingVersion:
    """Basic data and licence copies. Uploaded copies are stored only when everything else is valid."""
    from portal.core.uploads import store_upload, validate_upload
    from portal.regions.models import RegionLevel

    version = _lock_editable(version_id)
    filing = version.filing
    errors: dict = {}
    if not (name or "").strip():
        errors["name"] = _("请填写机构名称。")
    code = normalise_credit_code(credit_code)
    if code:
        try:
            code = validate_credit_code(code)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            if Organisation.objects.filter(credit_code=code).exclude(pk=filing.institution_id).exists():
                errors["credit_code"] = _("该统一社会信用代码已被其他机构使用，请核对。")
    if region is not None and (region.province_id != filing.province_id or region.level == RegionLevel.PROVINCE):
        errors["region"] = _("请选择本省内的市或县（区）。")
    if exams_started_on and exams_started_on > timezone.localdate():
        errors["exams_started_on"] = _("开展工作的日期不能晚于今天。")
    for field, upload in (("licence_copy", licence_copy), ("radiation_licence_copy", radiation_licence_copy)):
        if upload is not None:
            try:
                validate_upload(upload, field=field)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    _raise_if(errors)
    old = snapshot(version, BASIC_FIELDS)
    version.name, version.credit_code, version.licence_number = name.strip(), code, licence_number.strip()
    version.radiation_licence_number = radiation_licence_number.strip()
    version.legal_representative = legal_representative.strip()
    version.quality_manager, version.technical_manager = quality_manager.strip(), technical_manager.strip()
    version.address, version.region, version.phone = address.strip(), region, phone.strip()
    version.exams_started_on = exams_started_on
    if licence_copy is not None:
        version.licence_copy = store_upload(licence_copy, actor=actor, province_id=filing.province_id,
                                            field="licence_copy")
    if radiation_licence_copy is not None:
        version.radiation_licence_copy = store_upload(radiation_licence_copy, actor=actor,
                                                      province_id=filing.province_id,
                                                      field="radiation_licence_copy")
    version.save()
    audit(actor=actor, obj=version, action="filing.version.basic_saved", old=old,
          new=snapshot(version, BASIC_FIELDS))
    return version


STAFF_FIELDS = ["name", "role", "registration_number", "title", "years_experience", "diagnosis_qualification"]


@transaction.atomic
def version_save_staff(*, version_id: int, actor, staff: list[dict]) -> FilingVersion:
    """The staff list as a whole: rows with an ``id`` are updated, new rows added, missing rows removed."""
    from .choices import StaffRole, Title

    version = _lock_editable(version_id)
    errors: dict = {}
    _check_ids(errors, "staff", staff, set(version.staff.values_list("pk", flat=True)))
    for row_no, row in enumerate(staff, start=1):
        if not (row.get("name") or "").strip():
            _row_error(errors, "staff", row_no, _("请填写姓名。"))
        if row.get("role") not in StaffRole.values:
            _row_error(errors, "staff", row_no, _("岗位无效。"))
        if row.get("title", Title.NONE) not in Title.values:
            _row_error(errors, "staff", row_no, _("职称无效。"))
        years = row.get("years_experience") or 0
        if not isinstance(years, int) or years < 0 or years > 70:
            _row_error(errors, "staff", row_no, _("从事本工作年限应为0到70之间的整数。"))
    _raise_if(errors)
    before = version.staff.count()
    added, changed, removed = _sync_rows(
        version.staff, [{**r, "name": r["name"].strip(), "diagnosis_qualification":
                         sorted(set(r.get("diagnosis_qualification") or []))} for r in staff],
        STAFF_FIELDS, order=lambda i: i,
    )
    audit(actor=actor, obj=version, action="filing.version.staff_saved", old={"count": before},
          new={"count": len(staff), "added": added, "changed": changed, "removed": removed})
    return version


@transaction.atomic
def staff_save_certificates(*, version_id: int, staff_id: int, actor, certificates: list[dict]) -> StaffMember:
    """A staff member's training and qualification certificates; a new copy never replaces a stored file."""
    from portal.core.uploads import store_upload, validate_upload

    version = _lock_editable(version_id)
    member = version.staff.get(pk=staff_id)
    errors: dict = {}
    _check_ids(errors, "certificates", certificates, set(member.certificates.values_list("pk", flat=True)))
    today = timezone.localdate()
    for row_no, row in enumerate(certificates, start=1):
        if not (row.get("name") or "").strip():
            _row_error(errors, "certificates", row_no, _("请填写证书名称。"))
        issued, expires = row.get("issued_on"), row.get("expires_on")
        if issued and issued > today:
            _row_error(errors, "certificates", row_no, _("发证日期不能晚于今天。"))
        if issued and expires and expires < issued:
            _row_error(errors, "certificates", row_no, _("有效期不能早于发证日期。"))
        if row.get("copy") is not None:
            try:
                validate_upload(row["copy"], field="copy")
            except ValidationError as exc:
                _row_error(errors, "certificates", row_no, " ".join(exc.messages))
    _raise_if(errors)
    rows = []
    for row in certificates:
        values = {k: row.get(k) for k in ("id", "name", "number", "issued_on", "expires_on")}
        values["name"], values["number"] = values["name"].strip(), (values["number"] or "").strip()
        if row.get("copy") is not None:
            values["copy"] = store_upload(row["copy"], actor=actor, province_id=version.filing.province_id,
                                          field="copy")
        rows.append(values)
    added, changed, removed = _sync_rows(member.certificates, rows,
                                         ["name", "number", "issued_on", "expires_on", "copy"])
    audit(actor=actor, obj=version, action="filing.version.certificates_saved",
          new={"staff": member.name, "added": added, "changed": changed, "removed": removed})
    return member


@transaction.atomic
def version_save_premises(*, version_id: int, actor, total_area, rooms: list[dict]) -> FilingVersion:
    version = _lock_editable(version_id)
    errors: dict = {}
    if total_area is not None and total_area < 0:
        errors["total_area"] = _("总建筑面积不能为负数。")
    _check_ids(errors, "rooms", rooms, set(version.rooms.values_list("pk", flat=True)))
    for row_no, row in enumerate(rooms, start=1):
        if not (row.get("name") or "").strip():
            _row_error(errors, "rooms", row_no, _("请填写房间名称/用途。"))
        if row.get("area") is None:
            _row_error(errors, "rooms", row_no, _("请填写面积。"))
        elif row["area"] < 0:
            _row_error(errors, "rooms", row_no, _("面积不能为负数。"))
    _raise_if(errors)
    old = {"total_area": version.total_area, "rooms": version.rooms.count()}
    version.total_area = total_area
    version.save(update_fields=["total_area", "updated_at"])
    added, changed, removed = _sync_rows(version.rooms, [{**r, "name": r["name"].strip()} for r in rooms],
                                         ["name", "area"])
    audit(actor=actor, obj=version, action="filing.version.premises_saved", old=old,
          new={"total_area": total_area, "rooms": len(rooms), "added": added, "changed": changed,
               "removed": removed})
    return version


EQUIPMENT_FIELDS = ["name", "model", "serial_number", "calibration_due_on", "for_off_site"]
VEHICLE_FIELDS = ["plate_number", "vehicle_type", "equipment_onboard"]


@transaction.atomic
def version_save_equipment(*, version_id: int, actor, equipment: list[dict], vehicles: list[dict]) -> FilingVersion:
    version = _lock_editable(version_id)
    errors: dict = {}
    _check_ids(errors, "equipment", equipment, set(version.equipment.values_list("pk", flat=True)))
    _check_ids(errors, "vehicles", vehicles, set(version.vehicles.values_list("pk", flat=True)))
    for row_no, row in enumerate(equipment, start=1):
        if not (row.get("name") or "").strip():
            _row_error(errors, "equipment", row_no, _("请填写设备名称。"))
    plates = set()
    for row_no, row in enumerate(vehicles, start=1):
        plate = (row.get("plate_number") or "").strip().upper()
        if not plate:
            _row_error(errors, "vehicles", row_no, _("请填写车牌号。"))
        elif plate in plates:
            _row_error(errors, "vehicles", row_no, _("车牌号重复。"))
        plates.add(plate)
        if not (row.get("vehicle_type") or "").strip():
            _row_error(errors, "vehicles", row_no, _("请填写车辆类型。"))
    _raise_if(errors)
    old = {"equipment": version.equipment.count(), "vehicles": version.vehicles.count()}
    eq = _sync_rows(version.equipment, [{**r, "name": r["name"].strip()} for r in equipment], EQUIPMENT_FIELDS)
    ve = _sync_rows(version.vehicles, [{**r, "plate_number": r["plate_number"].strip().upper()} for r in vehicles],
                    VEHICLE_FIELDS)
    audit(actor=actor, obj=version, action="filing.version.equipment_saved", old=old,
          new={"equipment": len(equipment), "vehicles": len(vehicles), "equipment_changes": list(eq),
               "vehicle_changes": list(ve)})
    return version


@transaction.atomic
def version_save_documents(*, version_id: int, actor, uploads: dict) -> FilingVersion:
    """Quality-management documents by type. All uploads are checked before any is stored."""
    from portal.core.uploads import store_upload, validate_upload

    from .choices import QualityDocumentType

    version = _lock_editable(version_id)
    errors: dict = {}
    for doc_type, upload in uploads.items():
        if doc_type not in QualityDocumentType.values:
            errors[doc_type] = _("未知的文件类型。")
            continue
        try:
            validate_upload(upload, field=doc_type)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    _raise_if(errors)
    stored = {}
    for doc_type, upload in uploads.items():
        file = store_upload(upload, actor=actor, province_id=version.filing.province_id, field=doc_type)
        QualityDocument.objects.update_or_create(version=version, doc_type=doc_type, defaults={"file": file})
        stored[doc_type] = file.sha256
    if stored:
        audit(actor=actor, obj=version, action="filing.version.documents_saved", new={"documents": stored})
    return version


@transaction.atomic
def version_save_items(*, version_id: int, actor, off_site: bool, items: list[dict]) -> FilingVersion:
    """Filed items with their exam types, and the off-site flag.

    Each row names the category it was chosen under: an item of another category, or
    of an edition not in force (and not already filed), is refused by name. Rows kept
    from before keep their public status (suspended / not capable).
    """
    from .catalogue.choices import EditionKind, ExamType
    from .catalogue.models import Disease, ExamItem
    from .catalogue.selectors import current_edition, current_editions
    from .choices import InstitutionKind

    version = _lock_editable(version_id)
    is_exam = version.filing.kind == InstitutionKind.EXAMINATION
    errors: list[str] = []
    existing = list(version.items.select_related("exam_item", "disease"))
    wanted = {}
    for row in items:
        wanted.setdefault(row["code"], row)
    if is_exam:
        allowed = {e.pk for e in current_editions(EditionKind.EXAM_ITEMS)}
        allowed |= {i.exam_item.edition_id for i in existing if i.exam_item_id}
        found = {e.code: e for e in ExamItem.objects.filter(code__in=list(wanted)).select_related("category")}
        main = current_edition(EditionKind.EXAM_ITEMS)
    else:
        allowed = {e.pk for e in current_editions(EditionKind.DISEASES)}
        allowed |= {i.disease.edition_id for i in existing if i.disease_id}
        found = {d.code: d for d in Disease.objects.filter(code__in=list(wanted)).select_related("category")}
        main = current_edition(EditionKind.DISEASES)
    chosen = {}
    for code, row in wanted.items():
        entry = found.get(code)
        if entry is None or entry.edition_id not in allowed:
            errors.append(_("项目“%(code)s”不在可备案的目录版本中。") % {"code": code})
            continue
        if entry.category.code != row.get("category"):
            errors.append(_("项目“%(name)s”不属于所选类别，它属于“%(category)s”。")
                          % {"name": entry.name, "category": entry.category.name})
            continue
        types = list(dict.fromkeys(row.get("exam_types") or [])) if is_exam else []
        bad = [t for t in types if t not in ExamType.values]
        if bad:
            errors.append(_("项目“%(name)s”的检查类型无效：%(types)s。") % {"name": entry.name, "types": "、".join(bad)})
            continue
        chosen[entry.pk] = (entry, [t for t in ExamType.values if t in types])
    if errors:
        raise ValidationError({"items": errors})
    key = "exam_item_id" if is_exam else "disease_id"
    current = {getattr(i, key): i for i in existing}
    removed = [i.pk for k, i in current.items() if k not in chosen]
    FiledItem.objects.filter(pk__in=removed).delete()
    added = changed = 0
    for pk, (_entry, types) in chosen.items():
        row = current.get(pk)
        if row is None:
            FiledItem.objects.create(version=version, **{key: pk}, exam_types=types)
            added += 1
        elif row.exam_types != types:
            row.exam_types = types
            row.save(update_fields=["exam_types"])
            changed += 1
    old = {"off_site": version.off_site, "item_edition": version.item_edition_id}
    version.off_site = bool(off_site)
    if main is not None and (version.item_edition_id is None or not existing):
        version.item_edition = main
    version.save(update_fields=["off_site", "item_edition", "updated_at"])
    audit(actor=actor, obj=version, action="filing.version.items_saved", old=old,
          new={"off_site": version.off_site, "item_edition": version.item_edition_id, "items": len(chosen),
               "added": added, "changed": changed, "removed": len(removed)})
    return version
