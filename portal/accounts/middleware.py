from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

ALLOWED_PREFIXES = ("/accounts/two-factor/", "/accounts/logout/", "/static/", "/i18n/", "/healthz")


class RequireTwoFactorMiddleware:
    """In production mode an administrator cannot use the portal before enrolling a
    second factor, and a session not verified by it is not accepted."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.REQUIRE_ADMIN_2FA
            and user is not None
            and user.is_authenticated
            and user.is_admin
            and not user.is_verified()
            and not request.path.startswith(ALLOWED_PREFIXES)
        ):
            return redirect(f"{reverse('accounts:two-factor-setup')}?required=1")
        return self.get_response(request)
