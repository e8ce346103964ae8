"""Downloading the files kept with a spot-check: whoever may read the check, nobody else."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from inspections.supervision.services import spot_check_record
from portal.accounts.choices import Role

from .builders import checked_on, plan_for

PDF = b"%PDF-1.4\n% inspection record\n"
NAME = "现场检查笔录.pdf"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def recorded(supervisor, institution_user):
    check = plan_for(supervisor, [institution_user.organisation]).checks.get()
    check = spot_check_record(actor=supervisor, check_id=check.pk, checked_on=checked_on(), inspectors="赵强",
                              findings=[{"category": "chief_examiner", "description": "主检医师未取得资格"}],
                              evidence=[SimpleUploadedFile(NAME, PDF, content_type="application/pdf")])
    evidence = check.evidence.get()
    return check, evidence, reverse("supervision:check-evidence", args=[check.pk, evidence.pk])


def _get(user, url):
    client = Client()
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize("role", [Role.SUPERVISION, Role.QC_CENTER, Role.COMMISSION_PROVINCE, Role.NATIONAL])
def test_readers_of_the_check_download_it_with_the_original_name(recorded, make_user, role):
    response = _get(make_user(role), recorded[2])
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment;") and quote(NAME) in response[
        "Content-Disposition"]


def test_the_check_page_links_the_file(recorded, supervisor):
    check, _evidence, url = recorded
    assert url in _get(supervisor, reverse("supervision:check-detail", args=[check.pk])).content.decode()


def test_institutions_are_refused(recorded, institution_user):
    assert _get(institution_user, recorded[2]).status_code == 403


def test_city_county_and_other_province_get_404(recorded, make_user):
    # The check belongs to the provincial body's plan: lower levels and Liaoning do not reach it.
    for user in (make_user(Role.COMMISSION_CITY), make_user(Role.COMMISSION_COUNTY),
                 make_user(Role.SUPERVISION, province_code="210000")):
        assert _get(user, recorded[2]).status_code == 404


def test_evidence_of_another_check_is_not_served_through_this_one(recorded, supervisor, other_institution):
    check, evidence, _url = recorded
    other = plan_for(supervisor, [other_institution], name="另一计划").checks.get()
    assert _get(supervisor, reverse("supervision:check-evidence", args=[other.pk, evidence.pk])).status_code == 404
    assert _get(supervisor, reverse("supervision:check-evidence", args=[check.pk, 987654])).status_code == 404
