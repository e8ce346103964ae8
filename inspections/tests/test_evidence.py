"""Downloading checklist evidence: the provincial verifiers and supervisors, the institution
for its own case; another institution, another province, a wrong file id all get 404, and
roles without the right 403. The file comes back as stored, under its Chinese name."""

# ruff: noqa: F811

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from filing.tests.workflow_builders import accepted_version, pdf_upload
from inspections.choices import Answer
from inspections.services import verification as vs
from portal.accounts.choices import Role

from .helpers import PNG, case_of, png, started

NAME = "现场照片-隔声室.png"


@pytest.fixture
def with_evidence(accepted, qc_user, checklist):
    case = started(case_of(accepted), qc_user)
    line = checklist.lines.first()
    answer = vs.verification_answer(case_id=case.pk, actor=qc_user, line_id=line.pk, answer=Answer.NOT_CONFORMING,
                                    note="隔声室本底噪声超标", evidence=[png(NAME), pdf_upload("检测报告.pdf")])
    stored = answer.evidence.get(original_name=NAME)
    return case, stored, reverse("inspections:verification-evidence", args=[case.pk, stored.pk])


def _get(user, url):
    client = Client()
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize("role", [Role.QC_CENTER, Role.PROVINCE_ADMIN, Role.SUPERVISION, Role.COMMISSION_PROVINCE])
def test_provincial_verifiers_and_supervisors_download_with_the_original_name(with_evidence, make_user, role):
    _case, _stored, url = with_evidence
    response = _get(make_user(role), url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and quote(NAME) in disposition


def test_the_institution_downloads_the_evidence_of_its_own_case(with_evidence, institution_user):
    _case, _stored, url = with_evidence
    response = _get(institution_user, url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_the_case_page_links_the_evidence_only_for_those_entitled(with_evidence, institution_user, make_user):
    case, stored, url = with_evidence
    page = reverse("inspections:verification-detail", args=[case.pk])
    assert url in _get(institution_user, page).content.decode()
    city_page = _get(make_user(Role.COMMISSION_CITY), page).content.decode()
    assert NAME in city_page and url not in city_page


@pytest.mark.parametrize("role", [Role.COMMISSION_CITY, Role.COMMISSION_COUNTY, Role.DISEASE_CONTROL, Role.NATIONAL])
def test_other_roles_are_refused(with_evidence, make_user, role):
    assert _get(make_user(role), with_evidence[2]).status_code == 403


def test_anonymous_is_sent_to_sign_in(with_evidence):
    response = Client().get(with_evidence[2])
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_other_province_gets_404(with_evidence, make_user):
    for role in (Role.PROVINCE_ADMIN, Role.QC_CENTER):
        assert _get(make_user(role, province_code="210000"), with_evidence[2]).status_code == 404


def test_another_institution_gets_404(with_evidence, make_user):
    assert _get(make_user(Role.INSTITUTION), with_evidence[2]).status_code == 404


def test_a_file_of_another_case_is_not_served_through_this_one(with_evidence, make_user, qc_user):
    case, stored, _url = with_evidence
    other_user = make_user(Role.INSTITUTION)
    from filing.tests.workflow_builders import credit_code

    other_user.organisation.credit_code = credit_code(other_user.organisation.pk)
    other_user.organisation.save(update_fields=["credit_code"])
    other_case = case_of(accepted_version(other_user, qc_user, items=("GBZ188-2014:6.1",)))
    # The other institution's own case id with this file: not one of its answers' files.
    url = reverse("inspections:verification-evidence", args=[other_case.pk, stored.pk])
    assert _get(qc_user, url).status_code == 404
    assert _get(other_user, url).status_code == 404
    assert _get(qc_user, reverse("inspections:verification-evidence", args=[case.pk, 987654])).status_code == 404
