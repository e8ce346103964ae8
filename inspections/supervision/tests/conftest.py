import pytest

from portal.accounts.choices import Role


@pytest.fixture
def catalogues(db):
    from filing.catalogue.services import catalogue_load_builtin

    catalogue_load_builtin()


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISION)


@pytest.fixture
def institution_user(make_user, catalogues):
    """An institution user in Nanguan district whose institution has an accepted filing."""
    from .builders import filed_institution

    user = make_user(Role.INSTITUTION)
    filed_institution(user.organisation.name, organisation=user.organisation,
                      items=("GBZ188-2014:6.1", "GBZ188-2014:7.1"), off_site=True)
    return user


@pytest.fixture
def other_institution(catalogues, reference_data):
    from .builders import filed_institution

    return filed_institution("长春市第二医院", region_code="220104")
