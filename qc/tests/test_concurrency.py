"""Two requests on the same assessment at the same moment: the row lock lets one through and the other
finds the page it acted from out of date (409), with nothing of it saved. Needs PostgreSQL: SQLite
has no row locks to race on."""

from __future__ import annotations

from functools import partial

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.testing.concurrency import race
from qc import services
from qc.choices import AssessmentStatus
from qc.models import Assessment, ResponsePoint, Score
from qc.services import PointInput, ScoreEntry
from qc.views import version_token

from .helpers import leaves

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _seen(assessment: Assessment) -> dict:
    """What the page's hidden fields carry when it is shown."""
    assessment.refresh_from_db()
    return {"status_seen": assessment.status, "version_seen": version_token(assessment.updated_at)}


def _post(client, url, data):
    response = client.post(url, data)
    return response.status_code, response.content.decode() if response.status_code != 302 else ""


def test_two_sends_at_once_one_is_sent_the_other_gets_409(make_assessment, qc_user, make_user):
    assessment = make_assessment(("dust",))
    admin = make_user(Role.PROVINCE_ADMIN)
    url = reverse("qc:assessment-send", args=[assessment.pk])
    seen = _seen(assessment)
    results = race([partial(_post, _client(u), url, seen) for u in (qc_user, admin)])
    assert sorted(code for code, _body in results) == [302, 409], results
    refused = next(body for code, body in results if code == 409)
    assert "页面打开后该考核已被处理（也可能是重复提交），当前状态为“已送达机构，待反馈”" in refused
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SENT
    assert AuditEntry.objects.filter(action="qc.assessment.sent").count() == 1


def test_a_scoring_save_racing_a_send_one_wins_the_other_gets_409(make_assessment, qc_user, make_user):
    assessment = make_assessment(("dust",))
    sheet, line = leaves(assessment)["3.2.1"]
    seen = _seen(assessment)
    scoring = {f"d-{sheet.pk}-{line.pk}": "2", f"n-{sheet.pk}-{line.pk}": "检定过期", "status_seen": "draft"}
    results = race([
        partial(_post, _client(qc_user), reverse("qc:assessment-detail", args=[assessment.pk]), scoring),
        partial(_post, _client(make_user(Role.PROVINCE_ADMIN)), reverse("qc:assessment-send", args=[assessment.pk]),
                seen),
    ])
    assert sorted(code for code, _body in results) == [302, 409], results
    assessment.refresh_from_db()
    scored = Score.objects.filter(assessment_sheet=sheet, indicator=line).exists()
    if results[0][0] == 302:
        # The save went first: the send was made from a page that no longer showed the result.
        assert "页面打开后该考核又被修改过" in results[1][1]
        assert scored and assessment.status == AssessmentStatus.DRAFT
    else:
        # The send went first: the result sent is the one its sender saw, and stays so.
        assert "当前状态为“已送达机构，待反馈”" in results[0][1]
        assert not scored and assessment.status == AssessmentStatus.SENT
        assert str(assessment.total_score) == "100.0"


def test_a_send_from_a_page_older_than_the_last_save_gets_409(make_assessment, qc_user):
    assessment = make_assessment(("dust",))
    seen = _seen(assessment)
    sheet, line = leaves(assessment)["3.2.1"]
    services.assessment_save_scores(assessment_id=assessment.pk, actor=qc_user,
                                    entries=[ScoreEntry(sheet.pk, line.pk, deducted="1")])
    response = _client(qc_user).post(reverse("qc:assessment-send", args=[assessment.pk]), seen)
    assert response.status_code == 409 and "请刷新页面核对最新结果后再操作" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert _client(qc_user).post(reverse("qc:assessment-send", args=[assessment.pk]),
                                 _seen(assessment)).status_code == 302


def test_two_finalises_at_once_one_final_result(make_assessment, qc_user, make_user):
    assessment = make_assessment(("dust",))
    institution = make_user(Role.INSTITUTION, organisation=assessment.institution)
    services.assessment_send(assessment_id=assessment.pk, actor=qc_user)
    services.assessment_respond(assessment_id=assessment.pk, actor=institution, points=[
        PointInput("人员证书齐全", [SimpleUploadedFile("证书.pdf", b"%PDF-1.4 point")])])
    point = assessment.points.get()
    services.assessment_answer(assessment_id=assessment.pk, actor=qc_user,
                               answers={point.pk: ("rejected", "证书已过期")})
    url = reverse("qc:assessment-finalise", args=[assessment.pk])
    seen = _seen(assessment)
    results = race([partial(_post, _client(u), url, seen) for u in (qc_user, make_user(Role.PROVINCE_ADMIN))])
    assert sorted(code for code, _body in results) == [302, 409], results
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.FINAL
    assert AuditEntry.objects.filter(action="qc.assessment.finalised").count() == 1


def test_a_response_sent_twice_at_once_is_kept_once(make_assessment, qc_user, make_user):
    assessment = make_assessment(("dust",))
    services.assessment_send(assessment_id=assessment.pk, actor=qc_user)
    institution = make_user(Role.INSTITUTION, organisation=assessment.institution)
    url = reverse("qc:response", args=[assessment.pk])

    def respond(client):
        return _post(client, url, {"status_seen": "sent", "text-1": "人员证书齐全",
                                   "files-1": SimpleUploadedFile("证书.pdf", b"%PDF-1.4 point")})

    results = race([partial(respond, _client(institution)), partial(respond, _client(institution))])
    assert sorted(code for code, _body in results) == [302, 409], results
    assert ResponsePoint.objects.filter(assessment=assessment).count() == 1
    assert ResponsePoint.evidence.through.objects.count() == 1
    assert AuditEntry.objects.filter(action="qc.assessment.responded").count() == 1
    # Pressed again later, from the same page: still one response.
    code, body = respond(_client(institution))
    assert code == 409 and "当前状态为“机构已反馈”" in body
    assert ResponsePoint.objects.filter(assessment=assessment).count() == 1
