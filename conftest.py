import pytest

from portal.accounts.choices import Role


def _load_reference_data():
    from portal.regions.models import Region
    from portal.regions.services import regions_load
    from portal.workdays.models import CalendarYear
    from portal.workdays.services import calendar_seed_from_package

    if not Region.objects.exists():
        regions_load()
    if not CalendarYear.objects.exists():
        calendar_seed_from_package()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Regions and the holiday calendar are loaded once per test database."""
    with django_db_blocker.unblock():
        _load_reference_data()


@pytest.fixture
def reference_data(db):
    # A transactional test flushes the tables; the next test that needs the tree reloads it.
    _load_reference_data()


@pytest.fixture
def make_user(reference_data):
    from portal.testing.factories import make_user as _make_user

    return _make_user


@pytest.fixture
def role_users(reference_data):
    """One user per role in Jilin, plus a Liaoning province admin as the other tenant."""
    from portal.testing.factories import make_user as _make_user

    users = {role: _make_user(role) for role in Role if role not in (Role.NONE,)}
    users["other_province"] = _make_user(Role.PROVINCE_ADMIN, province_code="210000")
    return users


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Tasks run in the test process; tests/test_celery_worker.py turns this off to use a real worker."""
    from portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Strong hashing is the point in production and only slows the suite down.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _fresh_caches(settings):
    from django.core.cache import cache

    cache.clear()
    from portal.workdays import services

    services._local["years"] = {}
    services._local["version"] = None
