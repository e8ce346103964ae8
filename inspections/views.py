"""Pages of on-site verification and off-site notices. Views fetch from the scoped selectors,
call a service and turn its errors into form errors; each step is its own POST."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.choices import Role
from portal.accounts.permissions import has_capability, require_capability
from portal.accounts.scoping import institution_ids_for
from portal.core.pdf import render_pdf

from . import selectors
from .choices import VERIFICATION_PENDING, VerificationStatus
from .forms import (
    AcknowledgeForm,
    AnswerForm,
    ChecklistImportForm,
    NotificationForm,
    OutcomeForm,
    ScheduleForm,
    VisitForm,
)
from .models import ChecklistVersion, OffSiteNotification, VerificationCase
from .services import checklists as checklist_services
from .services import offsite
from .services import verification as vs

PAGE_SIZE = 50


def _errors_to(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _get(queryset, pk):
    try:
        return queryset.get(pk=pk)
    except queryset.model.DoesNotExist as exc:
        raise Http404 from exc


@require_capability("portal.home")
def index(request):
    user, today = request.user, timezone.localdate()
    context = {"today": today, "can_calendar": has_capability(user, "inspections.view_off_site_calendar")}
    if has_capability(user, "inspections.view_verifications"):
        context["counts"] = selectors.verification_counts(user, on=today)
        context["overdue"] = selectors.overdue_verifications(user, on=today)[:20]
        context["cases"] = selectors.verifications_for(user).order_by("-created_at")[:20]
    if user.role == Role.INSTITUTION:
        org_ids = institution_ids_for(user)
        context["eligibility"] = [offsite.offsite_eligibility(institution=org)
                                  for org in user.organisation.__class__.objects.filter(pk__in=org_ids)]
    if has_capability(user, "inspections.view_notifications"):
        context["upcoming"] = selectors.upcoming_off_site(user, on=today)[:20]
    if has_capability(user, "inspections.acknowledge_notifications"):
        context["inbox"] = selectors.notifications_pending(user)[:20]
    return render(request, "inspections/index.html", context)


# ---- Verification --------------------------------------------------------------------------

@require_capability("inspections.view_verifications")
def verification_list(request):
    today = timezone.localdate()
    cases = selectors.verifications_for(request.user)
    if request.GET.get("overdue"):
        cases = selectors.overdue_verifications(request.user, on=today)
    if request.GET.get("pending"):  # not yet signed off, whatever the stage (the index card's figure)
        cases = cases.filter(status__in=VERIFICATION_PENDING)
    within = request.GET.get("due_within", "")
    if within.isdigit():  # pending and due in the next N days (the dashboards' "due soon" figure)
        cases = cases.filter(status__in=VERIFICATION_PENDING, due_on__gte=today,
                             due_on__lte=today + timedelta(days=int(within)))
    if request.GET.get("province", "").isdigit():  # the national level reads one province at a time
        cases = cases.filter(province_id=int(request.GET["province"]))
    status = request.GET.get("status")
    if status in VerificationStatus.values:
        cases = cases.filter(status=status)
    page = Paginator(cases.order_by("due_on", "pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/verification_list.html",
                  {"page": page, "today": today, "statuses": VerificationStatus.choices})


@require_capability("inspections.view_verifications")
def verification_detail(request, pk):
    try:
        case = selectors.verification_detail(request.user, pk)
    except VerificationCase.DoesNotExist as exc:
        raise Http404 from exc
    can_manage = has_capability(request.user, "inspections.manage_verifications")
    answers = {a.line_id: a for a in case.answers.all()}
    lines = list(case.checklist_version.lines.all()) if case.checklist_version_id else []
    return render(request, "inspections/verification_detail.html", {
        "case": case, "can_manage": can_manage, "today": timezone.localdate(),
        "can_evidence": has_capability(request.user, "inspections.view_verification_evidence"),
        "rows": [(line, answers.get(line.pk)) for line in lines],
        "schedule_form": ScheduleForm(province_id=case.province_id) if can_manage else None,
        "answer_form": AnswerForm(), "outcome_form": OutcomeForm(),
    })


def _managed_case(request, pk) -> VerificationCase:
    return _get(VerificationCase.objects.restrict(request.user), pk)


@require_POST
@require_capability("inspections.manage_verifications")
def verification_schedule(request, pk):
    case = _managed_case(request, pk)
    form = ScheduleForm(request.POST, province_id=case.province_id)
    if form.is_valid():
        try:
            vs.verification_schedule(case_id=case.pk, actor=request.user, scheduled_on=form.cleaned_data["scheduled_on"],
                                     team=list(form.cleaned_data["team"]), note=form.cleaned_data["note"])
            messages.success(request, _("已安排现场核查。"))
        except ValidationError as exc:
            _flash(request, exc)
    else:
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, e)
    return redirect("inspections:verification-detail", pk=case.pk)


@require_POST
@require_capability("inspections.manage_verifications")
def verification_start(request, pk):
    case = _managed_case(request, pk)
    try:
        vs.verification_start(case_id=case.pk, actor=request.user)
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("inspections:verification-detail", pk=case.pk)


@require_POST
@require_capability("inspections.manage_verifications")
def verification_answer(request, pk):
    case = _managed_case(request, pk)
    form = AnswerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            vs.verification_answer(case_id=case.pk, actor=request.user, line_id=form.cleaned_data["line"],
                                   answer=form.cleaned_data["answer"], note=form.cleaned_data["note"],
                                   evidence=request.FILES.getlist("evidence"))
        except ValidationError as exc:
            _flash(request, exc)
    else:
        messages.error(request, _("请选择核查结果。"))
    return redirect("inspections:verification-detail", pk=case.pk)


def _findings_from(request, case) -> dict:
    findings = {}
    for finding in case.item_findings.all():
        capable = request.POST.get(f"capable_{finding.item_code}", "1") == "1"
        findings[finding.item_code] = (capable, request.POST.get(f"reason_{finding.item_code}", ""))
    return findings


@require_POST
@require_capability("inspections.manage_verifications")
def verification_sign_off(request, pk):
    case = _managed_case(request, pk)
    form = OutcomeForm(request.POST)
    if form.is_valid():
        try:
            data = form.cleaned_data
            if case.status == VerificationStatus.SIGNED_OFF:
                vs.verification_correct(case_id=case.pk, actor=request.user, reason=data["reason"],
                                        outcome=data["outcome"], note=data["note"],
                                        findings=_findings_from(request, case))
                messages.success(request, _("已记录更正。"))
            else:
                vs.verification_sign_off(case_id=case.pk, actor=request.user, outcome=data["outcome"],
                                         note=data["note"], findings=_findings_from(request, case))
                messages.success(request, _("核查结论已签发。"))
        except ValidationError as exc:
            _flash(request, exc)
    else:
        messages.error(request, _("请选择核查结论。"))
    return redirect("inspections:verification-detail", pk=case.pk)


# ---- Checklists ------------------------------------------------------------------------------

@require_capability("inspections.view_checklists")
def checklist_list(request):
    can_manage = has_capability(request.user, "inspections.manage_checklists")
    form = ChecklistImportForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        form = ChecklistImportForm(request.POST, request.FILES)
        if form.is_valid():
            org = request.user.organisation
            try:
                version = checklist_services.checklist_version_import(
                    province=org.province, actor=request.user, name=form.cleaned_data["name"],
                    upload=form.cleaned_data["file"])
                messages.success(request, _("已导入为草稿版本。"))
                return redirect("inspections:checklist-detail", pk=version.pk)
            except ValidationError as exc:
                _errors_to(form, exc)
    versions = selectors.checklists_for(request.user).order_by("-number")
    return render(request, "inspections/checklist_list.html",
                  {"versions": versions, "form": form if can_manage else None})


@require_capability("inspections.view_checklists")
def checklist_detail(request, pk):
    version = _get(ChecklistVersion.objects.restrict(request.user), pk)
    return render(request, "inspections/checklist_detail.html", {
        "version": version, "lines": version.lines.all(),
        "can_manage": has_capability(request.user, "inspections.manage_checklists")})


@require_POST
@require_capability("inspections.manage_checklists")
def checklist_publish(request, pk):
    version = _get(ChecklistVersion.objects.restrict(request.user), pk)
    try:
        checklist_services.checklist_version_publish(version_id=version.pk, actor=request.user)
        messages.success(request, _("已发布。"))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("inspections:checklist-detail", pk=version.pk)


# ---- Off-site notices ------------------------------------------------------------------------

@require_capability("inspections.view_notifications")
def notification_list(request):
    notices = selectors.notifications_for(request.user)
    if request.GET.get("inbox"):
        notices = selectors.notification_inbox(request.user)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/notification_list.html", {"page": page})


@require_capability("inspections.view_notifications")
def upcoming(request):
    today = timezone.localdate()
    notices = selectors.upcoming_off_site(request.user, on=today)
    within = request.GET.get("starts_within", "")
    if within.isdigit():  # not ended and starting in the next N days (the dashboards' figure)
        notices = notices.filter(starts_on__lte=today + timedelta(days=int(within)))
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "inspections/upcoming.html", {"page": page})


def _month(value: str | None, today: date) -> tuple[int, int]:
    """``?month=2026-03``; the current month when absent or not a month."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        date(year, month, 1)
    except ValueError:
        return today.year, today.month
    if not 2000 <= year <= 2100:
        return today.year, today.month
    return year, month


@require_capability("inspections.view_off_site_calendar")
def off_site_calendar(request):
    today = timezone.localdate()
    year, month = _month(request.GET.get("month"), today)
    first = date(year, month, 1)
    previous = first - timedelta(days=1)
    following = first + timedelta(days=32)
    return render(request, "inspections/calendar.html", {
        **selectors.off_site_calendar(request.user, year=year, month=month),
        "first": first, "today": today,
        "previous": f"{previous.year}-{previous.month:02d}", "next": f"{following.year}-{following.month:02d}",
        "weekdays": [_("一"), _("二"), _("三"), _("四"), _("五"), _("六"), _("日")],
    })


@require_capability("inspections.notify_off_site")
def notification_create(request):
    institution = request.user.organisation
    if institution is None or institution.pk not in institution_ids_for(request.user):
        raise PermissionDenied
    eligibility = offsite.offsite_eligibility(institution=institution)
    version = eligibility.filing.current_version if eligibility.filing else None
    form = NotificationForm(request.POST or None, province_id=institution.province_id, version=version)
    if request.method == "POST" and eligibility.allowed and form.is_valid():
        data = form.cleaned_data
        try:
            notice = offsite.notification_submit(
                actor=request.user, institution=institution, employer_name=data["employer_name"],
                employer_credit_code=data["employer_credit_code"], employer_address=data["employer_address"],
                employer_region=data["employer_region"], work_site=data["work_site"],
                work_site_region=data["work_site_region"], starts_on=data["starts_on"], ends_on=data["ends_on"],
                expected_workers=data["expected_workers"], item_codes=data["items"], exam_types=data["exam_types"],
                staff_ids=[int(x) for x in data["staff"]], vehicle_ids=[int(x) for x in data["vehicles"]],
                equipment_ids=[int(x) for x in data["equipment"]], sample_handling=data["sample_handling"],
                biosafety=data["biosafety"], contact_name=data["contact_name"], contact_phone=data["contact_phone"])
            messages.success(request, _("告知书已提交至%(region)s卫生健康行政部门。")
                             % {"region": notice.routed_region.full_name})
            return redirect("inspections:notification-detail", pk=notice.pk)
        except ValidationError as exc:
            _errors_to(form, exc)
    return render(request, "inspections/notification_form.html", {"form": form, "eligibility": eligibility})


@require_capability("inspections.view_notifications")
def notification_detail(request, pk):
    notice = _get(selectors.notifications_for(request.user), pk)
    org = request.user.organisation
    is_addressee = (has_capability(request.user, "inspections.acknowledge_notifications")
                    and org is not None and org.region_id == notice.routed_region_id)
    return render(request, "inspections/notification_detail.html", {
        "notice": notice, "is_addressee": is_addressee, "ack_form": AcknowledgeForm(),
        "visit_form": VisitForm()})


@require_POST
@require_capability("inspections.acknowledge_notifications")
def notification_acknowledge(request, pk):
    notice = _get(selectors.notifications_for(request.user), pk)
    form = AcknowledgeForm(request.POST)
    form.is_valid()
    try:
        offsite.notification_acknowledge(notification_id=notice.pk, actor=request.user,
                                         note=form.cleaned_data.get("note", ""))
        messages.success(request, _("已确认收悉。"))
    except ValidationError as exc:
        _flash(request, exc)
    return redirect("inspections:notification-detail", pk=notice.pk)


@require_POST
@require_capability("inspections.acknowledge_notifications")
def notification_plan_visit(request, pk):
    notice = _get(selectors.notifications_for(request.user), pk)
    form = VisitForm(request.POST)
    if form.is_valid():
        try:
            offsite.notification_plan_visit(notification_id=notice.pk, actor=request.user,
                                            visit_on=form.cleaned_data["visit_on"], note=form.cleaned_data["note"])
            messages.success(request, _("已安排现场监督。"))
        except ValidationError as exc:
            _flash(request, exc)
    else:
        messages.error(request, _("请填写拟现场监督日期。"))
    return redirect("inspections:notification-detail", pk=notice.pk)


@require_capability("inspections.view_notifications")
def notification_pdf(request, pk):
    notice: OffSiteNotification = _get(selectors.notifications_for(request.user), pk)
    data = render_pdf("inspections/notification_pdf.html", {"notice": notice})
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="offsite-notice-{notice.pk}.pdf"'
    return response
