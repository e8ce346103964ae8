"""Filing pages: the landing page, and the account application with its decision.

The draft, the submission and the authorities' decisions are in views_workflow.py.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.models import Organisation
from portal.accounts.permissions import has_capability, require_capability
from portal.core.view_helpers import form_errors_to, query_without_page

from .choices import ApplicationStatus, FilingStatus, InstitutionKind, VersionStatus
from .forms import ApplicationForm, ProvinceChoiceForm, ReasonForm, StartForm
from .models import FilingVersion
from .selectors import (
    application_regions,
    applications_for,
    filings_for,
    is_institution_user,
    pending_applications_count,
    provinces_with_qc_center,
    queue_counts,
)
from .services import (
    TransitionError,
    application_activate,
    application_refuse,
    application_submit,
    open_version,
)

LIST_PAGE_SIZE = 50


def step_refused(request, exc: ValidationError, *, status: int = 400, back: str | None = None):
    """A workflow step that cannot happen in the record's state: 400 (409 when someone else
    changed the record since the page was shown), with the reason."""
    return render(request, "filing/step_refused.html",
                  {"messages_list": exc.messages, "back": back, "conflict": status == 409}, status=status)


# ---- Landing ------------------------------------------------------------------------------

@require_capability("filing.view")
def index(request):
    if is_institution_user(request.user):
        return _institution_landing(request)
    return _authority_list(request)


def _institution_landing(request):
    filings = list(filings_for(request.user).order_by("kind"))
    cards = [{"filing": f, "open": open_version(f)} for f in filings]
    filed_kinds = {f.kind for f in filings}
    start_form = None
    if has_capability(request.user, "filing.edit_own"):
        choices = [c for c in InstitutionKind.choices if c[0] not in filed_kinds]
        if choices:
            start_form = StartForm()
            start_form.fields["kind"].choices = choices
    return render(request, "filing/index_institution.html", {"cards": cards, "start_form": start_form})


def _authority_list(request):
    user = request.user
    # A late submission is flagged whichever version it was (an initial one has no current version yet).
    filings = filings_for(user).annotate(has_late=Exists(
        FilingVersion.objects.filter(filing=OuterRef("pk"), filed_late=True)))
    q = request.GET.get("q", "").strip()
    if q:
        filings = filings.filter(Q(institution__name__icontains=q) | Q(filing_number__icontains=q)
                                 | Q(institution__credit_code__icontains=q))
    status = request.GET.get("status", "")
    if status in FilingStatus.values:
        filings = filings.filter(status=status)
    if request.GET.get("late") == "1":
        filings = filings.filter(has_late=True)
    # Filings with a version waiting for its receipt, or past the receipt date (the dashboards' figures).
    waiting = FilingVersion.objects.filter(filing=OuterRef("pk"), status=VersionStatus.SUBMITTED)
    if request.GET.get("waiting") == "1":
        filings = filings.filter(Exists(waiting))
    if request.GET.get("overdue") == "1":
        filings = filings.filter(Exists(waiting.filter(receipt_due_on__lt=timezone.localdate())))
    if request.GET.get("province", "").isdigit():  # the national level reads one province at a time
        filings = filings.filter(province_id=int(request.GET["province"]))
    page = Paginator(filings.order_by("status", "institution__name", "pk"), LIST_PAGE_SIZE).get_page(
        request.GET.get("page"))
    context = {"page": page, "q": q, "status": status, "statuses": FilingStatus.choices,
               "late": request.GET.get("late") == "1", "query": query_without_page(request)}
    if has_capability(user, "filing.view_queue"):
        context["queue"] = queue_counts(user)
    if has_capability(user, "filing.decide_application"):
        context["pending_applications"] = pending_applications_count(user)
    return render(request, "filing/index_authority.html", context)


# ---- Account application (anonymous) and its decision (provincial QC center) ---------------

def apply(request):
    """Step one chooses the province (one with a QC center to decide); step two the application."""
    provinces = provinces_with_qc_center()
    code = request.POST.get("province") or request.GET.get("province")
    province = provinces.filter(code=code).first() if code else None
    if province is None:
        return render(request, "filing/apply.html", {"province_form": ProvinceChoiceForm(provinces=provinces)})
    form = ApplicationForm(request.POST or None, provinces=provinces, province=province,
                           regions=application_regions(province))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            application_submit(
                province=province, region=data["region"], name=data["name"], credit_code=data["credit_code"],
                licence_number=data["licence_number"], kind=data["kind"], contact_name=data["contact_name"],
                contact_phone=data["contact_phone"], contact_email=data["contact_email"],
                username=data["username"], password=data["password"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form_errors_to(form, exc)
            else:  # the password validators speak about the password
                form.add_error("password", exc.messages)
        else:
            return redirect("filing:apply-done")
    return render(request, "filing/apply.html", {"form": form, "province": province})


def apply_done(request):
    return render(request, "filing/apply_done.html")


@require_capability("filing.decide_application")
def application_list(request):
    apps = applications_for(request.user)
    status = request.GET.get("status", ApplicationStatus.PENDING)
    if status in ApplicationStatus.values:
        apps = apps.filter(status=status)
    page = Paginator(apps.order_by("created_at", "pk"), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "filing/application_list.html", {
        "page": page, "status": status, "statuses": ApplicationStatus.choices,
        "query": query_without_page(request),
    })


def _application_page(request, app, *, refuse_form=None, status=200):
    duplicates = (Organisation.objects.filter(credit_code=app.credit_code)
                  if app.status == ApplicationStatus.PENDING else Organisation.objects.none())
    return render(request, "filing/application_detail.html", {
        "app": app, "refuse_form": refuse_form or ReasonForm(), "duplicates": list(duplicates),
    }, status=status)


@require_capability("filing.decide_application")
def application_detail(request, pk: int):
    app = get_object_or_404(applications_for(request.user), pk=pk)
    return _application_page(request, app)


@require_capability("filing.decide_application")
@require_POST
def application_activate_view(request, pk: int):
    app = get_object_or_404(applications_for(request.user), pk=pk)
    try:
        application_activate(application_id=app.pk, actor=request.user)
    except TransitionError as exc:
        return step_refused(request, exc, back=reverse("filing:application-detail", args=[app.pk]))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("filing:application-detail", pk=app.pk)
    messages.success(request, _("已开通账号：%(name)s。机构可用申请时设置的用户名和密码登录并填报备案。")
                     % {"name": app.name})
    return redirect("filing:application-list")


@require_capability("filing.decide_application")
@require_POST
def application_refuse_view(request, pk: int):
    app = get_object_or_404(applications_for(request.user), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return _application_page(request, app, refuse_form=form)
    try:
        application_refuse(application_id=app.pk, actor=request.user, reason=form.cleaned_data["reason"])
    except TransitionError as exc:
        return step_refused(request, exc, back=reverse("filing:application-detail", args=[app.pk]))
    except ValidationError as exc:
        form_errors_to(form, exc)
        return _application_page(request, app, refuse_form=form)
    messages.success(request, _("已退回申请：%(name)s。") % {"name": app.name})
    return redirect("filing:application-list")
