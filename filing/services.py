"""Writes of the filing workflow. Each transition checks the table in choices.py,
locks the row, records the facts and audits; nothing here decides on merit.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
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
    StaffCertificate,
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
    deficiencies = check_version(version)
    if deficiencies:
        raise ValidationError({d.field: d.message for d in deficiencies}, code="incomplete")
    old = _set_version_status(version, VersionStatus.SUBMITTED)
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
def version_accept(*, version_id: int, actor) -> FilingVersion:
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
    from .tasks import render_receipt

    transaction.on_commit(lambda: render_receipt.delay(version_id=version.pk))
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
    old = _set_filing_status(filing, FilingStatus.CANCELLED)
    filing.cancelled_at = timezone.now()
    filing.cancellation_reason = reason.strip()
    filing.save(update_fields=["status", "cancelled_at", "cancellation_reason", "updated_at"])
    for version in filing.versions.select_for_update().filter(status__in=VERSION_OPEN):
        version.status = VersionStatus.WITHDRAWN
        version.save(update_fields=["status", "updated_at"])
    audit(actor=actor, obj=filing, action="filing.filing.cancelled", old={"status": old},
          new={"status": filing.status, "reason": filing.cancellation_reason})
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
    rows = FiledItem.objects.select_for_update().filter(
        version__filing=filing, version__status__in=[VersionStatus.ACCEPTED, *VERSION_OPEN],
    )
    rows = rows.filter(exam_item__code=item_code) | rows.filter(disease__code=item_code)
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
