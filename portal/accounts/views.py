import base64

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.audit.services import audit
from portal.core.view_helpers import form_errors_to, query_without_page

from .choices import OrgKind
from .forms import LoginForm, OrganisationForm, TokenForm, UserCreateForm, UserEditForm
from .models import Organisation
from .permissions import require_capability
from .services import (
    organisation_create,
    organisation_set_active,
    organisation_update,
    user_create,
    user_set_active,
    user_update,
)

PENDING_KEY = "two_factor_pending_user"
NEXT_KEY = "two_factor_next"


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


def login_view(request):
    """Password first (django-axes counts the failures), then the TOTP code if enrolled."""
    if request.user.is_authenticated:
        return redirect("core:home")
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        next_url = _safe_next(request, reverse(settings.LOGIN_REDIRECT_URL))
        if user_has_device(user, confirmed=True):
            request.session[PENDING_KEY] = user.pk
            request.session[NEXT_KEY] = next_url
            return redirect("accounts:login-verify")
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        audit(actor=user, obj=user, action="accounts.user.signed_in")
        return HttpResponseRedirect(next_url)
    return render(request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")})


def login_verify_view(request):
    user_pk = request.session.get(PENDING_KEY)
    if not user_pk:
        return redirect("accounts:login")
    user = get_object_or_404(get_user_model(), pk=user_pk, is_active=True)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["token"]
        device = next(
            (d for d in TOTPDevice.objects.devices_for_user(user, confirmed=True) if d.verify_token(token)), None
        )
        if device is None:
            form.add_error("token", _("验证码不正确或已过期。"))
            audit(actor=None, obj=user, action="accounts.user.two_factor_failed")
        else:
            next_url = request.session.get(NEXT_KEY) or reverse(settings.LOGIN_REDIRECT_URL)
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            otp_login(request, device)
            audit(actor=user, obj=user, action="accounts.user.signed_in", new={"two_factor": True})
            return HttpResponseRedirect(next_url)
    return render(request, "accounts/login_verify.html", {"form": form})


@require_POST
def logout_view(request):
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
def two_factor_setup(request):
    """Enrol a TOTP authenticator: show the key and QR code, confirm with one code."""
    user = request.user
    confirmed = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if confirmed:
        return render(request, "accounts/two_factor_status.html", {"device": confirmed})
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="TOTP", confirmed=False)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit(actor=user, obj=user, action="accounts.user.two_factor_enabled")
            messages.success(request, _("双因素认证已启用。"))
            return redirect("core:home")
        form.add_error("token", _("验证码不正确，请确认手机时间准确后重试。"))
    qr = segno.make(device.config_url, error="m")
    qr_data = "data:image/svg+xml;base64," + base64.b64encode(qr.svg_inline(scale=4).encode()).decode()
    secret = base64.b32encode(device.bin_key).decode()
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr_data": qr_data, "secret": secret,
        "required": settings.REQUIRE_ADMIN_2FA and user.is_admin,
    })


@login_required
@require_POST
def two_factor_disable(request):
    user = request.user
    if settings.REQUIRE_ADMIN_2FA and user.is_admin:
        messages.error(request, _("管理员必须使用双因素认证，不能停用。"))
        return redirect("accounts:two-factor-setup")
    form = TokenForm(request.POST)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None or not form.is_valid() or not device.verify_token(form.cleaned_data["token"]):
        messages.error(request, _("验证码不正确，未停用。"))
        return redirect("accounts:two-factor-setup")
    TOTPDevice.objects.filter(user=user).delete()
    audit(actor=user, obj=user, action="accounts.user.two_factor_disabled")
    messages.success(request, _("双因素认证已停用。"))
    return redirect("accounts:two-factor-setup")


# ---- Provincial administration: organisations and users of one's own province ----

def _actor_province(user):
    """A provincial administrator works in their own province; a platform administrator in any (None)."""
    if user.is_superuser:
        return None
    return user.organisation.province


@require_capability("accounts.manage_province")
def organisation_list(request):
    orgs = (
        Organisation.objects.restrict(request.user)
        .select_related("region__parent__parent")
        .annotate(user_count=Count("users"))
    )
    q = request.GET.get("q", "").strip()
    if q:
        orgs = orgs.filter(name__icontains=q)
    kind = request.GET.get("kind", "")
    if kind:
        orgs = orgs.filter(kind=kind)
    page = Paginator(orgs.order_by("kind", "name", "pk"), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/organisation_list.html", {
        "page": page, "q": q, "kind": kind, "kinds": OrgKind.choices, "query": query_without_page(request),
    })


@require_capability("accounts.manage_province")
def organisation_create_view(request):
    province = _actor_province(request.user)
    form = OrganisationForm(request.POST or None, province=province)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            org = organisation_create(actor=request.user, province=province or data["region"].province, **data)
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已创建单位：%(name)s") % {"name": org.name})
            return redirect("accounts:organisation-list")
    return render(request, "accounts/organisation_form.html", {"form": form})


@require_capability("accounts.manage_province")
def organisation_edit_view(request, pk: int):
    org = get_object_or_404(Organisation.objects.restrict(request.user, "change"), pk=pk)
    initial = {f: getattr(org, f) for f in ["name", "kind", "region", "credit_code", "contact_name",
                                            "contact_phone"]}
    form = OrganisationForm(request.POST or None, initial=initial, province=org.province)
    if request.method == "POST" and form.is_valid():
        try:
            organisation_update(actor=request.user, organisation=org, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("accounts:organisation-list")
    return render(request, "accounts/organisation_form.html", {"form": form, "object": org})


@require_capability("accounts.manage_province")
@require_POST
def organisation_toggle_view(request, pk: int):
    org = get_object_or_404(Organisation.objects.restrict(request.user, "change"), pk=pk)
    try:
        organisation_set_active(actor=request.user, organisation=org, active=request.POST.get("active") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已更新单位状态。"))
    return redirect("accounts:organisation-list")


@require_capability("accounts.manage_province")
def user_list(request):
    users = get_user_model().objects.restrict(request.user).select_related("organisation__region")
    q = request.GET.get("q", "").strip()
    if q:
        users = users.filter(Q(username__icontains=q) | Q(full_name__icontains=q))
    page = Paginator(users.order_by("organisation__name", "username"), 50).get_page(request.GET.get("page"))
    return render(request, "accounts/user_list.html",
                  {"page": page, "q": q, "query": query_without_page(request)})


@require_capability("accounts.manage_province")
def user_create_view(request):
    orgs = Organisation.objects.restrict(request.user, "change").filter(is_active=True)
    form = UserCreateForm(request.POST or None, organisations=orgs)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已创建用户：%(name)s") % {"name": user.username})
            return redirect("accounts:user-list")
    return render(request, "accounts/user_form.html", {"form": form})


def _editable_user(request, pk: int):
    """Platform administrators' accounts are managed in the Django admin, never here."""
    return get_object_or_404(get_user_model().objects.restrict(request.user, "change").filter(is_superuser=False),
                             pk=pk)


@require_capability("accounts.manage_province")
def user_edit_view(request, pk: int):
    target = _editable_user(request, pk)
    orgs = Organisation.objects.restrict(request.user, "change").filter(is_active=True)
    initial = {f: getattr(target, f) for f in ["full_name", "email", "phone", "organisation",
                                               "is_province_admin"]}
    form = UserEditForm(request.POST or None, initial=initial, organisations=orgs)
    if request.method == "POST" and form.is_valid():
        try:
            user_update(actor=request.user, user=target, **form.cleaned_data)
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已保存。"))
            return redirect("accounts:user-list")
    return render(request, "accounts/user_form.html", {"form": form, "object": target})


@require_capability("accounts.manage_province")
@require_POST
def user_toggle_view(request, pk: int):
    target = _editable_user(request, pk)
    try:
        user_set_active(actor=request.user, user=target, active=request.POST.get("active") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("已更新用户状态。"))
    return redirect("accounts:user-list")
