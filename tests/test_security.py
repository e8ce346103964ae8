"""Graded-protection guarantees: lock-out, passwords, idle sessions, CSRF, TOTP, deploy checks."""

import os
import secrets
import string
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.choices import Role
from portal.accounts.models import User
from portal.accounts.validators import MinimumLengthValidator
from portal.testing.factories import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(make_user):
    return make_user(Role.COMMISSION_CITY)


def sign_in(client, username, password, **extra):
    return client.post(reverse("accounts:login"), {"username": username, "password": password}, **extra)


def is_signed_in(client) -> bool:
    return client.get(reverse("core:home")).status_code == 200


# ---- Lock-out (django-axes) ---------------------------------------------------------------

def test_lock_out_after_the_failure_limit(client, user, settings):
    limit = settings.AXES_FAILURE_LIMIT
    assert 3 <= limit <= 10
    for attempt in range(1, limit):
        response = sign_in(client, user.username, f"wrong-{attempt}")
        assert response.status_code == 200, attempt
        assert b'data-testid="locked-out"' not in response.content
    response = sign_in(client, user.username, "wrong-last")
    assert b'data-testid="locked-out"' in response.content
    # Even the right password now shows the lock-out page and signs nobody in.
    response = sign_in(client, user.username, PASSWORD)
    assert response.status_code == 429
    assert "账号已锁定" in response.content.decode()
    assert not is_signed_in(client)


def test_lock_out_is_per_account_and_address(client, user, make_user, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user.username, f"wrong-{attempt}")
    other = make_user(Role.COMMISSION_COUNTY)
    assert sign_in(Client(), other.username, PASSWORD).status_code == 302
    assert sign_in(Client(), user.username, PASSWORD, REMOTE_ADDR="10.9.9.9").status_code == 302


def test_success_before_the_limit_resets_the_count(client, user, settings):
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, user.username, f"wrong-{attempt}")
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    client.post(reverse("accounts:logout"))
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert sign_in(client, user.username, f"again-{attempt}").status_code == 200
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_wrong_password_message_does_not_tell_which_part_was_wrong(client, user):
    unknown = sign_in(client, "no-such-user", "whatever-password").content.decode()
    wrong = sign_in(client, user.username, "whatever-password").content.decode()
    assert 'data-testid="form-errors"' in unknown and 'data-testid="form-errors"' in wrong
    error = wrong.split('data-testid="form-errors">')[1].split("</ul>")[0]
    assert error in unknown


def test_sign_in_changes_the_session_key(client, user):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    sign_in(client, user.username, PASSWORD)
    assert client.session.session_key != before


@pytest.mark.parametrize("target", ["https://evil.example.org/", "//evil.example.org/x", "http://testserver.evil/"])
def test_sign_in_never_redirects_off_site(client, user, target):
    response = client.post(reverse("accounts:login") + f"?next={target}",
                           {"username": user.username, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("core:home")


# ---- Passwords ------------------------------------------------------------------------------

def _codes_and_messages(password, user=None) -> tuple[set[str], list[str]]:
    with translation.override("zh-hans"):
        try:
            validate_password(password, user)
        except ValidationError as exc:
            return {e.code for e in exc.error_list}, exc.messages
    return set(), []


@pytest.mark.parametrize(("password", "code", "message"), [
    ("Ab1!xyz", "password_too_short", "12"),
    ("password12345", "password_too_common", "这个密码太常见了。"),
    ("123456789012345", "password_entirely_numeric", "密码只包含数字。"),
    ("abcdefghijklmn", "password_character_classes", "密码须至少包含大写字母、小写字母、数字、符号中的三类。"),
    ("ABCDEFGHIJKLmnop", "password_character_classes", "密码须至少包含大写字母、小写字母、数字、符号中的三类。"),
])
def test_weak_passwords_are_rejected_with_a_specific_message(password, code, message):
    codes, messages = _codes_and_messages(password)
    assert code in codes
    assert any(message in m for m in messages), messages


def test_password_like_the_username_is_rejected():
    person = User(username="zhangwei2026", full_name="张伟")
    codes, messages = _codes_and_messages("Zhangwei2026!", person)
    assert codes == {"password_too_similar"}
    assert messages == ["密码跟 用户名 太相似了。"]


def test_strong_password_passes():
    assert _codes_and_messages("Strong#Pass2026") == (set(), [])
    assert _codes_and_messages(PASSWORD) == (set(), [])


def test_length_message_reads_in_chinese():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        MinimumLengthValidator(12).validate("Ab1!xyz")
    assert exc.value.messages == ["密码太短，至少需要 12 个字符。"]
    assert exc.value.error_list[0].code == "password_too_short"


def test_user_create_form_shows_the_password_rule(client, role_users):
    client.force_login(role_users[Role.PROVINCE_ADMIN])
    response = client.post(reverse("accounts:user-create"), {
        "username": "weakling", "full_name": "弱密码", "organisation": role_users[Role.INSTITUTION].organisation_id,
        "password": "abcdefghijklmn",
    })
    assert response.status_code == 200
    assert "密码须至少包含大写字母、小写字母、数字、符号中的三类。" in response.content.decode()
    assert not User.objects.filter(username="weakling").exists()


# ---- Idle sessions ------------------------------------------------------------------------------

def test_idle_session_settings():
    assert django_settings.SESSION_SAVE_EVERY_REQUEST is True
    assert 0 < django_settings.SESSION_COOKIE_AGE <= 30 * 60
    assert django_settings.SESSION_COOKIE_HTTPONLY is True


def test_each_request_pushes_expiry_and_an_idle_session_ends(client, user):
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    key = client.session.session_key
    session = Session.objects.get(session_key=key)
    Session.objects.filter(session_key=key).update(expire_date=timezone.now() + timedelta(minutes=1))
    assert is_signed_in(client)
    pushed = Session.objects.get(session_key=key).expire_date
    assert pushed > timezone.now() + timedelta(seconds=django_settings.SESSION_COOKIE_AGE - 60)
    assert session.expire_date <= pushed

    Session.objects.filter(session_key=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("core:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# ---- CSRF ------------------------------------------------------------------------------------------

def test_login_post_needs_the_csrf_token(user):
    client = Client(enforce_csrf_checks=True)
    assert sign_in(client, user.username, PASSWORD).status_code == 403
    client.get(reverse("accounts:login"))
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    response = client.post(reverse("accounts:login"),
                           {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert is_signed_in(client)


def test_write_endpoints_need_the_csrf_token(role_users):
    client = Client(enforce_csrf_checks=True)
    client.force_login(role_users[Role.PROVINCE_ADMIN])
    url = reverse("accounts:user-toggle", args=[role_users[Role.INSTITUTION].pk])
    assert client.post(url, {"active": "0"}).status_code == 403
    assert User.objects.get(pk=role_users[Role.INSTITUTION].pk).is_active


# ---- TOTP ----------------------------------------------------------------------------------------------

def token_for(device: TOTPDevice, drift: int = 0) -> str:
    value = totp(device.bin_key, device.step, device.t0, device.digits, device.drift + drift)
    return f"{value:0{device.digits}d}"


def wrong_token(device: TOTPDevice) -> str:
    right = {token_for(device, d) for d in (-1, 0, 1, 2)}
    return next(t for t in ("000000", "111111", "222222", "333333", "444444") if t not in right)


def enrol(client, user) -> TOTPDevice:
    client.force_login(user)
    page = client.get(reverse("accounts:two-factor-setup"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert 'data-testid="totp-secret"' in page.content.decode()
    response = client.post(reverse("accounts:two-factor-setup"), {"token": token_for(device)})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.post(reverse("accounts:logout"))
    return device


def test_totp_enrolment_then_sign_in_asks_for_the_code(client, user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = enrol(client, user)

    response = sign_in(client, user.username, PASSWORD)
    assert response["Location"] == reverse("accounts:login-verify")
    assert not is_signed_in(client)

    response = client.post(reverse("accounts:login-verify"), {"token": wrong_token(device)})
    assert response.status_code == 200
    assert "验证码不正确或已过期。" in response.content.decode()
    assert not is_signed_in(client)

    # The next time step: the enrolment code may not be replayed.
    response = client.post(reverse("accounts:login-verify"), {"token": token_for(device, drift=1)})
    assert response.status_code == 302
    home = client.get(reverse("core:home"))
    assert home.status_code == 200
    assert home.wsgi_request.user.is_verified()


def test_totp_wrong_code_throttles_the_next_attempt(client, user, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 10
    device = enrol(client, user)
    sign_in(client, user.username, PASSWORD)
    client.post(reverse("accounts:login-verify"), {"token": wrong_token(device)})
    response = client.post(reverse("accounts:login-verify"), {"token": token_for(device, drift=1)})
    assert response.status_code == 200
    assert not is_signed_in(client)


def test_admin_without_device_is_sent_to_enrolment(client, role_users, settings):
    settings.REQUIRE_ADMIN_2FA = True
    client.force_login(role_users[Role.PROVINCE_ADMIN])
    response = client.get(reverse("accounts:organisation-list"))
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:two-factor-setup") + "?required=1"
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "管理员账号必须先启用双因素认证" in page.content.decode()


def test_non_admin_is_not_sent_to_enrolment(client, role_users, settings):
    settings.REQUIRE_ADMIN_2FA = True
    for role in (Role.COMMISSION_CITY, Role.INSTITUTION, Role.NATIONAL):
        client.force_login(role_users[role])
        assert client.get(reverse("core:home")).status_code == 200


def test_enrolled_admin_signs_in_with_the_code_and_cannot_disable_it(client, role_users, settings):
    settings.REQUIRE_ADMIN_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    admin = role_users[Role.PROVINCE_ADMIN]
    device = enrol(client, admin)
    sign_in(client, admin.username, PASSWORD)
    response = client.post(reverse("accounts:login-verify"), {"token": token_for(device, drift=1)})
    assert response.status_code == 302
    assert client.get(reverse("accounts:organisation-list")).status_code == 200
    client.post(reverse("accounts:two-factor-disable"), {"token": token_for(device, drift=2)})
    assert TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def test_staff_with_a_device_cannot_skip_it_through_the_django_admin_form(client, role_users, settings):
    settings.REQUIRE_ADMIN_2FA = False
    root = role_users[Role.SYSTEM_ADMIN]
    enrol(client, root)
    response = client.post(reverse("admin:login"), {"username": root.username, "password": PASSWORD,
                                                    "next": reverse("admin:index")})
    assert response.status_code == 302
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("admin:login"))


# ---- Production settings ----------------------------------------------------------------------------

def _production_env(tmp_path, **extra) -> dict:
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "ALLOWED_HOSTS"}}
    env.update({
        "DEBUG": "0",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(60)),
        "ALLOWED_HOSTS": "portal.example.org",
        "PORTAL_VAR_DIR": str(tmp_path),
        **extra,
    })
    return env


def _manage(*args, env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=django_settings.BASE_DIR, env=env,
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_production_mode(tmp_path):
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env(tmp_path))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNING" not in output.upper(), output
    assert "System check identified no issues" in output, output


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = _production_env(tmp_path)
    env["SECRET_KEY"] = ""
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
