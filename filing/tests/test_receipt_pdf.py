"""The filing receipt (备案回执): a real PDF whose Chinese text reads back, served on demand."""

# ruff: noqa: F811  fixtures are imported from workflow_builders and named as test arguments

from __future__ import annotations

import pytest
from django.urls import reverse

from filing.models import Filing, FilingVersion
from filing.receipts import receipt_context
from filing.tests.workflow_builders import (  # noqa: F401  fixtures
    accepted_version,
    catalogues,
    institution_user,
    qc_user,
    submitted_version,
)
from portal.accounts.choices import Role
from portal.core.pdf import pdf_text

pytestmark = pytest.mark.django_db


def _read(response) -> bytes:
    return b"".join(response.streaming_content)


def test_receipt_pdf_carries_the_required_text(client, institution_user, qc_user):
    version = accepted_version(institution_user, qc_user, items=("GBZ188-2014:6.1", "GBZ188-2014:6.2"))
    filing = Filing.objects.get(pk=version.filing_id)
    client.force_login(institution_user)
    response = client.get(reverse("filing:receipt", args=[version.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = _read(response)
    assert data.startswith(b"%PDF-")
    text = pdf_text(data).replace(" ", "").replace("\n", "")
    for expected in ("备案回执", filing.institution.name, filing.filing_number, "不是行政许可", "矽尘",
                     version.credit_code, "王法人", "外出职业健康检查否"):
        assert expected in text, expected
    stored = FilingVersion.objects.get(pk=version.pk).receipt
    assert stored is not None and stored.sha256, "rendered on demand and kept"


def test_receipt_is_rendered_once_and_then_served_as_stored(client, institution_user, qc_user):
    version = accepted_version(institution_user, qc_user)
    client.force_login(qc_user)
    first = _read(client.get(reverse("filing:receipt", args=[version.pk])))
    receipt_id = FilingVersion.objects.get(pk=version.pk).receipt_id
    second = _read(client.get(reverse("filing:receipt", args=[version.pk])))
    assert first == second
    assert FilingVersion.objects.get(pk=version.pk).receipt_id == receipt_id


def test_receipt_links_to_the_public_directory_entry(institution_user, qc_user):
    version = accepted_version(institution_user, qc_user)
    context = receipt_context(FilingVersion.objects.select_related("filing__province").get(pk=version.pk))
    number = Filing.objects.get(pk=version.filing_id).filing_number
    assert context["public_url"].endswith(reverse("directory:detail", args=[number]))
    assert context["qr"].startswith("data:image/svg+xml")


def test_receipt_access(client, institution_user, qc_user, make_user):
    submitted = submitted_version(institution_user)
    client.force_login(institution_user)
    assert client.get(reverse("filing:receipt", args=[submitted.pk])).status_code == 404, "not accepted yet"
    version = accepted_version(make_user_with_code(make_user, 31), qc_user)
    assert client.get(reverse("filing:receipt", args=[version.pk])).status_code == 404, "another institution"
    client.force_login(make_user(Role.COMMISSION_COUNTY))
    assert client.get(reverse("filing:receipt", args=[version.pk])).status_code == 200
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert client.get(reverse("filing:receipt", args=[version.pk])).status_code == 404
    client.logout()
    assert client.get(reverse("filing:receipt", args=[version.pk])).status_code == 302


def make_user_with_code(make_user, n):
    from filing.tests.workflow_builders import credit_code

    user = make_user(Role.INSTITUTION)
    user.organisation.credit_code = credit_code(900_000 + n)
    user.organisation.save()
    return user


def test_accepting_renders_the_receipt_after_commit(institution_user, qc_user, django_capture_on_commit_callbacks):
    from filing import services

    version = submitted_version(institution_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.version_accept(version_id=version.pk, actor=qc_user)
    stored = FilingVersion.objects.get(pk=version.pk).receipt
    assert stored is not None and stored.content_type == "application/pdf"
    assert "备案回执" in pdf_text(stored.file.read())
