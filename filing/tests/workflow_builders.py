"""Building filings in a given state for the workflow tests, through the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from filing import services
from filing.catalogue.services import catalogue_load_builtin
from filing.choices import REQUIRED_DOCUMENTS, InstitutionKind, QualityDocumentType, StaffRole, Title
from portal.accounts.choices import Role
from portal.regions.models import Region

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_code(n: int) -> str:
    """A valid unified social credit code (GB 32100-2015 check character) for sequence ``n``."""
    body = f"91220102MA{n % 10_000_000:07d}"
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(body, CREDIT_WEIGHTS, strict=True))
    return body + CREDIT_ALPHABET[(31 - total % 31) % 31]


def pdf_upload(name: str = "文件.pdf", size: int | None = None) -> SimpleUploadedFile:
    body = b"%PDF-1.4\n% test document\n"
    if size is not None:
        body = body + b"0" * (size - len(body))
    return SimpleUploadedFile(name, body, content_type="application/pdf")


def exe_upload(name: str = "virus.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00\x03\x00\x00\x00", content_type="application/pdf")


def start_draft(user, kind: str = InstitutionKind.EXAMINATION):
    filing = services.filing_start(institution=user.organisation, kind=kind, actor=user)
    return services.open_version(filing)


def fill_basic(version, user, **overrides):
    values = dict(
        name=user.organisation.name, credit_code=user.organisation.credit_code or "",
        licence_number="PDY00001X22010217A1001", radiation_licence_number="",
        legal_representative="王法人", quality_manager="李质量", technical_manager="赵技术",
        address="人民大街100号", region=Region.objects.get(code="220102"), phone="0431-88880000",
        exams_started_on=timezone.localdate() - timedelta(days=3), licence_copy=pdf_upload("执业许可证.pdf"),
    )
    values.update(overrides)
    return services.version_save_basic(version_id=version.pk, actor=user, **values)


CHIEF = {"name": "张主检", "role": StaffRole.CHIEF_EXAMINER, "registration_number": "110220000000001",
         "title": Title.INTERMEDIATE, "years_experience": 5, "diagnosis_qualification": ["dust", "chemical"]}
NURSE = {"name": "刘护士", "role": StaffRole.NURSE, "registration_number": "N2022001", "title": Title.JUNIOR,
         "years_experience": 2, "diagnosis_qualification": []}


def fill_complete(version, user, *, items=("GBZ188-2014:6.1",), off_site=False):
    """Every section of an examination filing, complete; returns the version."""
    from filing.catalogue.models import ExamItem

    if not version.name or not version.legal_representative:
        fill_basic(version, user)
    services.version_save_staff(version_id=version.pk, actor=user, staff=[CHIEF, NURSE])
    services.version_save_premises(version_id=version.pk, actor=user, total_area=500,
                                   rooms=[{"name": "内科检查室", "area": 12}, {"name": "听力测试室", "area": 8}])
    due = timezone.localdate() + timedelta(days=300)
    services.version_save_equipment(
        version_id=version.pk, actor=user,
        equipment=[{"name": "DR", "model": "X1", "serial_number": "S1", "calibration_due_on": due,
                    "for_off_site": off_site}],
        vehicles=[{"plate_number": "吉A12345", "vehicle_type": "体检车", "equipment_onboard": "DR"}] if off_site else [],
    )
    docs = list(REQUIRED_DOCUMENTS) + ([QualityDocumentType.OFF_SITE] if off_site else [])
    services.version_save_documents(version_id=version.pk, actor=user,
                                    uploads={d.value: pdf_upload(f"{d.value}.pdf") for d in docs})
    rows = [{"category": item.category.code, "code": item.code, "exam_types": ["pre_employment", "on_duty"]}
            for item in ExamItem.objects.filter(code__in=items).select_related("category")]
    services.version_save_items(version_id=version.pk, actor=user, off_site=off_site, items=rows)
    version.refresh_from_db()
    return version


def submitted_version(user, **kwargs):
    version = fill_complete(start_draft(user), user, **kwargs)
    return services.version_submit(version_id=version.pk, actor=user)


def accepted_version(user, decider, **kwargs):
    version = submitted_version(user, **kwargs)
    return services.version_accept(version_id=version.pk, actor=decider)


# ---- Fixtures (imported by the test modules that use them) ----------------------------------

@pytest.fixture
def catalogues(db):
    catalogue_load_builtin()


@pytest.fixture
def institution_user(make_user, catalogues):
    """An institution in Nanguan district (Changchun, Jilin) with a valid credit code."""
    user = make_user(Role.INSTITUTION)
    org = user.organisation
    org.credit_code = credit_code(org.pk)
    org.save(update_fields=["credit_code"])
    return user


@pytest.fixture
def qc_user(make_user):
    return make_user(Role.QC_CENTER)


@pytest.fixture
def past_date():
    return date(2020, 3, 2)
