"""Deadlines of the filing workflow [Art.4] [241-1]."""

from __future__ import annotations

from datetime import date

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filing.choices import FilingStatus, VersionKind, VersionStatus
from filing.models import Equipment, FilingVersion, StaffCertificate
from filing.selectors import dated_certificates_in_force, dated_equipment_in_force
from filing.services import CHANGE_WORKING_DAYS
from portal.accounts.choices import OrgKind
from portal.notifications.selectors import StaffGroup
from portal.regions.models import RegionLevel
from portal.workdays.services import add_working_days

from ..registry import Deadline, InstitutionStaff, ProvinceStaff, deadline_source

RECEIPT_DUE = "filing.receipt_due"
CHANGE_DUE = "filing.change_due"
CERTIFICATE_EXPIRY = "filing.certificate_expiry"
CALIBRATION_EXPIRY = "filing.calibration_expiry"

# Who receives filings and issues the receipt.
FILING_RECEIVERS = (StaffGroup(OrgKind.QC_CENTER, RegionLevel.PROVINCE),
                    StaffGroup(OrgKind.HEALTH_COMMISSION, RegionLevel.PROVINCE))
# Rows are read in one fetch, not with .iterator(): PostgreSQL plans a server-side cursor
# for the first rows (cursor_tuple_fraction) and chose nested loops that took a minute on
# 25,000 certificates instead of a fifth of a second. A few tuples per deadline fit in memory.


def _filing_url() -> str:
    return reverse("filing:index")


@deadline_source(RECEIPT_DUE, gettext_lazy("备案回执期限"))
def receipt_due(*, today: date):
    """A submitted version is answered within 10 working days (``receipt_due_on``, set on submission)."""
    title, url = _("出具备案回执：%(name)s"), _filing_url()
    receivers: dict[int, tuple] = {}
    rows = (
        FilingVersion.objects.filter(status=VersionStatus.SUBMITTED, receipt_due_on__isnull=False)
        .exclude(filing__status=FilingStatus.CANCELLED)
        .order_by("pk")
        .values_list("pk", "receipt_due_on", "name", "filing__province_id")
    )
    for pk, due, name, province_id in rows:
        recipients = receivers.get(province_id)
        if recipients is None:
            recipients = receivers[province_id] = tuple(ProvinceStaff(province_id, g) for g in FILING_RECEIVERS)
        yield Deadline(kind=RECEIPT_DUE, subject=(FilingVersion, pk), due_date=due, province_id=province_id,
                       recipients=recipients, title=title % {"name": name}, url=url)


@deadline_source(CHANGE_DUE, gettext_lazy("变更备案期限"))
def change_due(*, today: date):
    """A change is filed within 10 working days of the day it happened, while the draft is open."""
    title, url = _("提交变更备案：%(name)s"), _filing_url()
    due_on: dict[date, date] = {}
    rows = (
        FilingVersion.objects.filter(version_kind=VersionKind.CHANGE, status=VersionStatus.DRAFT,
                                     changed_on__isnull=False)
        .exclude(filing__status=FilingStatus.CANCELLED)
        .order_by("pk")
        .values_list("pk", "changed_on", "name", "filing__province_id", "filing__institution_id")
    )
    for pk, changed_on, name, province_id, institution_id in rows:
        due = due_on.get(changed_on)
        if due is None:
            due = due_on[changed_on] = add_working_days(changed_on, CHANGE_WORKING_DAYS)
        yield Deadline(kind=CHANGE_DUE, subject=(FilingVersion, pk), due_date=due, province_id=province_id,
                       recipients=(InstitutionStaff(institution_id),), title=title % {"name": name}, url=url)


@deadline_source(CERTIFICATE_EXPIRY, gettext_lazy("人员证书到期"))
def certificate_expiry(*, today: date):
    """Certificates of the staff declared on a filing's current accepted version."""
    title, url = _("人员证书到期：%(staff)s 的 %(certificate)s（%(institution)s）"), _filing_url()
    rows = (
        dated_certificates_in_force()
        .order_by("pk")
        .values_list("pk", "expires_on", "name", "staff__name", "staff__version__name",
                     "staff__version__filing__province_id", "staff__version__filing__institution_id")
    )
    for pk, due, certificate, staff, institution, province_id, institution_id in rows:
        yield Deadline(kind=CERTIFICATE_EXPIRY, subject=(StaffCertificate, pk), due_date=due,
                       province_id=province_id, recipients=(InstitutionStaff(institution_id),),
                       title=title % {"staff": staff, "certificate": certificate, "institution": institution},
                       url=url)


@deadline_source(CALIBRATION_EXPIRY, gettext_lazy("仪器设备检定/校准到期"))
def calibration_expiry(*, today: date):
    """Calibration of the equipment declared on a filing's current accepted version."""
    title, url = _("仪器设备检定/校准到期：%(equipment)s（%(institution)s）"), _filing_url()
    rows = (
        dated_equipment_in_force()
        .order_by("pk")
        .values_list("pk", "calibration_due_on", "name", "serial_number", "version__name",
                     "version__filing__province_id", "version__filing__institution_id")
    )
    for pk, due, name, serial, institution, province_id, institution_id in rows:
        equipment = f"{name} {serial}".strip()
        yield Deadline(kind=CALIBRATION_EXPIRY, subject=(Equipment, pk), due_date=due, province_id=province_id,
                       recipients=(InstitutionStaff(institution_id),),
                       title=title % {"equipment": equipment, "institution": institution}, url=url)
