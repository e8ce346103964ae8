"""The institution's self-assessment carries evidence line by line, as the QC team's does, and the QC
center sees it beside its own assessment."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from portal.accounts.choices import Role
from portal.core.models import StoredFile
from qc import services
from qc.choices import AssessmentKind
from qc.models import Score

from .helpers import leaves

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def setting(make_assessment, make_user, province, qc_user):
    official = make_assessment(("dust",))
    institution = make_user(Role.INSTITUTION, organisation=official.institution)
    own = services.assessment_create(province=province, institution=official.institution, year=2026,
                                     assessed_on=date(2026, 4, 1), actor=institution, kind=AssessmentKind.SELF)
    sheet, line = leaves(own)["3.2.1"]
    return {"official": official, "own": own, "sheet": sheet, "line": line, "institution": institution,
            "url": reverse("qc:self-line", args=[own.pk, sheet.pk, line.pk])}


def test_the_institution_uploads_evidence_on_a_line_of_its_self_assessment(setting):
    client = _client(setting["institution"])
    page = client.get(setting["url"])
    assert page.status_code == 200 and "3.2.1" in page.content.decode()
    response = client.post(setting["url"], {"deducted": "1", "note": "一台DR检定证书过期", "status_seen": "draft",
                                            "evidence": SimpleUploadedFile("检定证书.pdf", b"%PDF-1.4 self")})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("qc:self-detail", args=[setting["own"].pk]))
    score = Score.objects.get(assessment_sheet=setting["sheet"])
    assert (str(score.deducted), score.note, score.evidence.original_name) == ("1.0", "一台DR检定证书过期", "检定证书.pdf")

    detail = client.get(reverse("qc:self-detail", args=[setting["own"].pk])).content.decode()
    download_url = reverse("qc:self-evidence", args=[setting["own"].pk, score.pk])
    assert download_url in detail and "上传佐证" in detail
    download = client.get(download_url)
    assert b"".join(download.streaming_content) == b"%PDF-1.4 self"

    # Saving the line again without a file keeps the evidence; the scoring page's bulk save keeps it too.
    client.post(setting["url"], {"deducted": "1.5", "note": "两台", "status_seen": "draft"})
    row = f"{setting['sheet'].pk}-{setting['line'].pk}"
    client.post(reverse("qc:self-detail", args=[setting["own"].pk]),
                {f"d-{row}": "2", f"n-{row}": "两台", "status_seen": "draft"})
    score.refresh_from_db()
    assert str(score.deducted) == "2.0" and score.evidence.original_name == "检定证书.pdf"


def test_a_file_of_the_wrong_type_is_refused_and_nothing_is_saved(setting):
    client = _client(setting["institution"])
    response = client.post(setting["url"], {"deducted": "2", "note": "附件", "status_seen": "draft",
                                            "evidence": SimpleUploadedFile("检定证书.pdf", b"MZ\x90\x00 not a pdf")})
    assert response.status_code == 400
    assert "文件“检定证书.pdf”的类型不受支持或内容与扩展名不符，只接受：.pdf、.jpg、.jpeg、.png。" in response.content.decode()
    assert not Score.objects.filter(assessment_sheet__assessment=setting["own"]).exists()
    assert not StoredFile.objects.exists()
    setting["own"].refresh_from_db()
    assert str(setting["own"].total_score) == "100.0"


def test_another_institution_and_the_wrong_roles_cannot_reach_it(setting, make_user, qc_user):
    _client(setting["institution"]).post(setting["url"], {
        "deducted": "1", "status_seen": "draft", "evidence": SimpleUploadedFile("证书.pdf", b"%PDF-1.4 self")})
    score = Score.objects.get(assessment_sheet=setting["sheet"])
    evidence = reverse("qc:self-evidence", args=[setting["own"].pk, score.pk])
    stranger = _client(make_user(Role.INSTITUTION))
    assert stranger.get(setting["url"]).status_code == 404
    assert stranger.post(setting["url"], {"deducted": "3", "status_seen": "draft"}).status_code == 404
    assert stranger.get(evidence).status_code == 404
    assert _client(qc_user).get(evidence).status_code == 403  # the QC center reads it through its own pages
    # The QC center may look at the self-assessment's line but never score it.
    qc_line = reverse("qc:assessment-line", args=[setting["own"].pk, setting["sheet"].pk, setting["line"].pk])
    assert _client(qc_user).post(qc_line, {"deducted": "5"}).status_code == 403
    score.refresh_from_db()
    assert str(score.deducted) == "1.0"


def test_the_qc_center_sees_the_self_assessment_and_its_evidence_beside_its_own(setting, qc_user, make_user):
    _client(setting["institution"]).post(setting["url"], {
        "deducted": "1", "note": "一台DR检定证书过期", "status_seen": "draft",
        "evidence": SimpleUploadedFile("检定证书.pdf", b"%PDF-1.4 self")})
    score = Score.objects.get(assessment_sheet=setting["sheet"])
    qc = _client(qc_user)
    page = qc.get(reverse("qc:assessment-detail", args=[setting["official"].pk])).content.decode()
    download_url = reverse("qc:score-evidence", args=[setting["own"].pk, score.pk])
    assert 'data-testid="self-beside"' in page
    assert "扣 1.0 分，一台DR检定证书过期" in page and download_url in page
    assert reverse("qc:assessment-detail", args=[setting["own"].pk]) in page
    assert b"".join(qc.get(download_url).streaming_content) == b"%PDF-1.4 self"
    # The self-assessment's own page, read-only for the QC center, links the same file.
    own_page = qc.get(reverse("qc:assessment-detail", args=[setting["own"].pk])).content.decode()
    assert download_url in own_page and 'id="qc-score-form"' not in own_page
    other_province = _client(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert other_province.get(download_url).status_code == 404
