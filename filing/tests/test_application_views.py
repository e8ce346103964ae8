"""The account application: an anonymous institution applies, the provincial QC center decides."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from filing.choices import ApplicationStatus, VersionStatus
from filing.models import AccountApplication, Filing
from filing.tests.workflow_builders import credit_code
from portal.accounts.choices import Role
from portal.accounts.scoping import institution_ids_for
from portal.regions.models import Region
from portal.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def qc_user(make_user):
    return make_user(Role.QC_CENTER)


def _application(**overrides) -> dict:
    data = {"province": "220000", "kind": "examination", "name": "长春新华体检中心", "credit_code": credit_code(1),
            "licence_number": "PDY123", "region": Region.objects.get(code="220102").pk, "contact_name": "陈联系",
            "contact_phone": "13800000000", "contact_email": "a@example.invalid", "username": "xinhua",
            "password": PASSWORD, "password_again": PASSWORD}
    data.update(overrides)
    return data


def test_province_choice_lists_provinces_with_a_qc_center(client, qc_user, make_user):
    make_user(Role.PROVINCE_ADMIN, province_code="210000")  # Liaoning has no QC center here
    response = client.get(reverse("filing:apply"))
    assert [p.code for p in response.context["province_form"].fields["province"].queryset] == ["220000"]
    response = client.get(reverse("filing:apply"), {"province": "220000"})
    regions = response.context["form"].fields["region"].queryset
    assert regions.filter(code="220102").exists() and not regions.filter(province__code="210000").exists()
    assert not regions.filter(code="220000").exists()


def test_apply_then_activate_then_sign_in(client, qc_user):
    response = client.post(reverse("filing:apply"), _application())
    assert response.status_code == 302 and response["Location"] == reverse("filing:apply-done")
    app = AccountApplication.objects.get()
    assert app.status == ApplicationStatus.PENDING and app.password_hash != PASSWORD
    client.force_login(qc_user)
    assert app.name in client.get(reverse("filing:application-list")).content.decode()
    assert client.post(reverse("filing:application-activate", args=[app.pk])).status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.ACTIVATED and app.password_hash == ""
    user = get_user_model().objects.get(username="xinhua")
    assert user.role == Role.INSTITUTION and app.organisation_id in institution_ids_for(user)
    filing = Filing.objects.get(institution=app.organisation)
    assert filing.versions.get().status == VersionStatus.DRAFT
    client.logout()
    signed_in = client.post(reverse("accounts:login"), {"username": "xinhua", "password": PASSWORD})
    assert signed_in.status_code == 302 and "_auth_user_id" in client.session
    assert client.post(reverse("filing:application-activate", args=[app.pk])).status_code == 403
    client.force_login(qc_user)
    again = client.post(reverse("filing:application-activate", args=[app.pk]))
    assert again.status_code == 400, "activating twice is a wrong step"
    assert Filing.objects.filter(institution__credit_code=app.credit_code).count() == 1


def test_duplicate_credit_codes_are_refused_with_a_clear_message(client, qc_user):
    client.post(reverse("filing:apply"), _application())
    response = client.post(reverse("filing:apply"), _application(username="other"))
    assert response.status_code == 200
    assert "已有待审核的申请" in " ".join(response.context["form"].errors["credit_code"])
    client.force_login(qc_user)
    client.post(reverse("filing:application-activate", args=[AccountApplication.objects.get().pk]))
    client.logout()
    response = client.post(reverse("filing:apply"), _application(username="third"))
    assert "已开通账号" in " ".join(response.context["form"].errors["credit_code"])
    assert AccountApplication.objects.count() == 1


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"credit_code": "123"}, "credit_code", "18位"),
    ({"password_again": "different#2026"}, "password_again", "不一致"),
    ({"password": "123", "password_again": "123"}, "password", ""),
    ({"region": "0"}, "region", ""),
])
def test_application_input_errors(client, qc_user, overrides, field, message):
    response = client.post(reverse("filing:apply"), _application(**overrides))
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not AccountApplication.objects.exists()


def test_a_region_of_another_province_is_not_offered(client, qc_user):
    response = client.post(reverse("filing:apply"), _application(region=Region.objects.get(code="210102").pk))
    assert "region" in response.context["form"].errors


def test_refusal_needs_a_reason(client, qc_user):
    client.post(reverse("filing:apply"), _application())
    app = AccountApplication.objects.get()
    client.force_login(qc_user)
    url = reverse("filing:application-refuse", args=[app.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 200 and "reason" in response.context["refuse_form"].errors
    assert client.post(url, {"reason": "许可证号与名称不符"}).status_code == 302
    app.refresh_from_db()
    assert app.status == ApplicationStatus.REFUSED and app.refusal_reason == "许可证号与名称不符"
    assert client.post(url, {"reason": "再次"}).status_code == 400
    assert not get_user_model().objects.filter(username="xinhua").exists()


def test_applications_are_for_the_qc_center_of_the_province(client, qc_user, make_user):
    client.post(reverse("filing:apply"), _application())
    app = AccountApplication.objects.get()
    client.force_login(make_user(Role.COMMISSION_CITY))
    assert client.get(reverse("filing:application-list")).status_code == 403
    assert client.post(reverse("filing:application-activate", args=[app.pk])).status_code == 403
    client.force_login(make_user(Role.PROVINCE_ADMIN, province_code="210000"))
    assert client.get(reverse("filing:application-detail", args=[app.pk])).status_code == 404
    assert client.post(reverse("filing:application-activate", args=[app.pk])).status_code == 404
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING


def test_a_taken_username_stops_activation_with_a_message(client, qc_user, make_user):
    client.post(reverse("filing:apply"), _application())
    app = AccountApplication.objects.get()
    make_user(Role.COMMISSION_CITY, username="xinhua")
    client.force_login(qc_user)
    response = client.post(reverse("filing:application-activate", args=[app.pk]), follow=True)
    assert "已被占用" in response.content.decode()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING


def test_application_list_counts_queries(client, qc_user, django_assert_max_num_queries):
    for n in range(3):
        client.post(reverse("filing:apply"), _application(credit_code=credit_code(10 + n), username=f"u{n}"))
    client.force_login(qc_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("filing:application-list"))
    assert len(response.context["page"]) == 3
    client.logout()
    for n in range(3, 6):
        client.post(reverse("filing:apply"), _application(credit_code=credit_code(10 + n), username=f"u{n}"))
    client.force_login(qc_user)
    with django_assert_max_num_queries(10):
        assert len(client.get(reverse("filing:application-list")).context["page"]) == 6
