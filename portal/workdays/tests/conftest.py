import pytest

from portal.accounts.choices import Role


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    # Two-factor enrolment has its own tests; here it would only redirect the administrators.
    settings.REQUIRE_ADMIN_2FA = False


@pytest.fixture
def platform_admin(make_user):
    return make_user(Role.SYSTEM_ADMIN)


@pytest.fixture
def admin_client(client, platform_admin):
    client.force_login(platform_admin)
    return client


@pytest.fixture
def province_admin_client(client, make_user):
    client.force_login(make_user(Role.PROVINCE_ADMIN))
    return client
