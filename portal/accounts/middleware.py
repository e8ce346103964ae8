from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django_otp import user_has_device

ALLOWED_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/i18n/", "/healthz")


class RequireTwoFactorMiddleware:
    """In production mode an administrator cannot use the portal before enrolling a
    second factor, and a session not verified by it is not accepted.

    Whatever the mode, a staff account that has enrolled a device but whose session was
    opened without it (the Django admin's own sign-in form asks for the password only)
    is signed out and sent through the portal's sign-in, which asks for the code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.is_verified():
            return self.get_response(request)
        if user.is_staff and user_has_device(user, confirmed=True):
            logout(request)
            return redirect_to_login(request.get_full_path())
        if (
            settings.REQUIRE_ADMIN_2FA
            and user.is_admin
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            if user_has_device(user, confirmed=True):
                logout(request)
                return redirect_to_login(request.get_full_path())
            return redirect(f"{reverse('accounts:two-factor-setup')}?required=1")
        return self.get_response(request)
