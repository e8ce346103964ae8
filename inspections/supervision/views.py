"""Supervision pages: spot-check plans, inspections with findings and penalties, campaigns with
their self-inspections and the two Hangzhou forms, the published penalty list, and the
institution's own campaign duties. Every write goes through supervision.services.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.models import Organisation
from portal.accounts.permissions import has_capability, require_capability
from portal.core.view_helpers import form_errors_to
from portal.regions.models import Region

from . import selectors
from .choices import FindingCategory, PenaltyStatus, SpotCheckStatus
from .exporters import (
    RectificationRegister,
    SelfInspectionRegister,
    campaign_checks,
    filled_by,
    form_response,
)
from .forms import (
    CampaignForm,
    CheckRecordForm,
    LedgerOpenForm,
    PenaltyForm,
    PlanForm,
    ProblemFormSet,
    SelfInspectionForm,
    problems_from,
    step_formset,
    steps_from,
)
from .models import Campaign, CampaignInstitution, Finding, Penalty, SelfInspection, SpotCheck
from .services import (
    TransitionError,
    campaign_create,
    finding_open_ledger_entry,
    penalty_create,
    penalty_finalise,
    penalty_update,
    self_inspection_file,
    spot_check_plan_create,
    spot_check_record,
)

PAGE_SIZE = 50
DEFAULT_DUE_DAYS = 30


def _refused(request, exc: ValidationError, back: str):
    return render(request, "supervision/refused.html", {"messages_list": exc.messages, "back": back}, status=400)


def _get_or_404(qs, pk: int):
    try:
        return qs.get(pk=pk)
    except qs.model.DoesNotExist:
        raise Http404 from None


def _own(qs, user):
    """Writes are the organising body's: other bodies get 404 as if the record were not there."""
    return qs if user.is_superuser else qs.filter(organisation_id=user.organisation_id)


# ---- Overview -------------------------------------------------------------------------------------

def index(request):
    user = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if has_capability(user, "supervision.view"):
        return render(request, "supervision/index.html", {
            "plans": selectors.plan_list(user)[:10], "campaigns": selectors.campaign_list(user)[:10],
            "can_plan": has_capability(user, "supervision.plan"),
        })
    if has_capability(user, "supervision.self_inspect"):
        return redirect("supervision:duties")
    raise PermissionDenied


# ---- Spot-check plans -----------------------------------------------------------------------------

@require_capability("supervision.view")
def plan_list(request):
    page = Paginator(selectors.plan_list(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/plan_list.html", {
        "page": page, "can_plan": has_capability(request.user, "supervision.plan")})


@require_capability("supervision.plan")
def plan_create(request):
    user = request.user
    org = user.organisation
    institutions = selectors.institutions_in_jurisdiction(org) if org else Organisation.objects.none()
    campaigns = _own(selectors.visible_campaigns(user), user)
    form = PlanForm(request.POST or None, institutions=institutions, campaigns=campaigns)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = spot_check_plan_create(actor=user, year=data["year"], name=data["name"],
                                          institutions=list(data["institutions"]), campaign=data["campaign"])
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("抽查计划已建立。"))
            return redirect(plan)
    return render(request, "supervision/plan_form.html", {"form": form})


@require_capability("supervision.view")
def plan_detail(request, pk: int):
    plan = _get_or_404(selectors.visible_plans(request.user), pk)
    checks = plan.checks.select_related("institution", "institution__region").prefetch_related("findings")
    return render(request, "supervision/plan_detail.html", {
        "plan": plan, "checks": checks,
        "is_organiser": request.user.is_superuser or plan.organisation_id == request.user.organisation_id,
    })


@require_capability("supervision.view")
def plan_export(request, pk: int):
    plan = _get_or_404(selectors.visible_plans(request.user), pk)
    return form_response(RectificationRegister(plan.checks.all(), filename=f"附表2-专项治理情况登记表-计划{plan.pk}",
                                               **filled_by(request.user)))


# ---- Inspections, findings, penalties --------------------------------------------------------------

def _check_page(request, check: SpotCheck, *, record_form=None, penalty_form=None, status: int = 200):
    user = request.user
    organiser = user.is_superuser or check.plan.organisation_id == user.organisation_id
    can_write = organiser and has_capability(user, "supervision.plan")
    context = {
        "check": check, "findings": list(check.findings.all()), "penalties": list(check.penalties.all()),
        "evidence": list(check.evidence.all()), "can_write": can_write,
        "record_form": record_form or (CheckRecordForm(initial={"checked_on": timezone.localdate()})
                                       if can_write and check.status == SpotCheckStatus.PLANNED else None),
        "penalty_form": penalty_form or (PenaltyForm(initial={"decided_on": timezone.localdate()})
                                         if can_write and check.status == SpotCheckStatus.DONE else None),
        "ledger_form": LedgerOpenForm(initial={"due_on": timezone.localdate() + timedelta(days=DEFAULT_DUE_DAYS)})
        if can_write else None,
        "draft": PenaltyStatus.DRAFT,
    }
    return render(request, "supervision/check_detail.html", context, status=status)


@require_capability("supervision.view")
def check_detail(request, pk: int):
    try:
        check = selectors.check_with_details(request.user, pk)
    except SpotCheck.DoesNotExist:
        raise Http404 from None
    return _check_page(request, check)


def _own_check(request, pk: int) -> SpotCheck:
    qs = selectors.visible_checks(request.user)
    if not request.user.is_superuser:
        qs = qs.filter(plan__organisation_id=request.user.organisation_id)
    return _get_or_404(qs, pk)


@require_capability("supervision.plan")
@require_POST
def check_record(request, pk: int):
    check = _own_check(request, pk)
    form = CheckRecordForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            spot_check_record(actor=request.user, check_id=check.pk, checked_on=data["checked_on"],
                              inspectors=data["inspectors"], note=data["note"], findings=form.findings(),
                              evidence=data["evidence"])
        except TransitionError as exc:
            return _refused(request, exc, check.get_absolute_url())
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("检查结果已登记。"))
            return redirect(check)
    messages.error(request, _("未能保存，请按提示修改后重新提交。"))
    return _check_page(request, selectors.check_with_details(request.user, check.pk), record_form=form)


@require_capability("supervision.plan")
@require_POST
def finding_ledger(request, pk: int):
    qs = Finding.objects.filter(spot_check__in=selectors.visible_checks(request.user))
    if not request.user.is_superuser:
        qs = qs.filter(spot_check__plan__organisation_id=request.user.organisation_id)
    finding = _get_or_404(qs, pk)
    back = reverse("supervision:check-detail", args=[finding.spot_check_id])
    form = LedgerOpenForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写严重程度、整改要求和整改期限。"))
        return redirect(back)
    try:
        entry = finding_open_ledger_entry(actor=request.user, finding_id=finding.pk, **form.cleaned_data)
    except ValidationError as exc:
        return _refused(request, exc, back)
    messages.success(request, _("已列入整改台账：%(number)s") % {"number": entry.number})
    return redirect(back)


def _penalty_args(data) -> dict:
    return {"warning": data["warning"], "fine": data["fine"], "decision_number": data["decision_number"],
            "decided_on": data["decided_on"]}


@require_capability("supervision.plan")
@require_POST
def penalty_new(request, pk: int):
    check = _own_check(request, pk)
    form = PenaltyForm(request.POST)
    if form.is_valid():
        try:
            penalty_create(actor=request.user, check_id=check.pk, **_penalty_args(form.cleaned_data))
        except TransitionError as exc:
            return _refused(request, exc, check.get_absolute_url())
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("处罚决定已保存为草稿。"))
            return redirect(check)
    messages.error(request, _("未能保存，请按提示修改后重新提交。"))
    return _check_page(request, selectors.check_with_details(request.user, check.pk), penalty_form=form)


def _own_penalty(request, pk: int) -> Penalty:
    qs = selectors.visible_penalties(request.user)
    if not request.user.is_superuser:
        qs = qs.filter(spot_check__plan__organisation_id=request.user.organisation_id)
    return _get_or_404(qs, pk)


@require_capability("supervision.plan")
def penalty_edit(request, pk: int):
    penalty = _own_penalty(request, pk)
    back = reverse("supervision:check-detail", args=[penalty.spot_check_id])
    if penalty.status != PenaltyStatus.DRAFT:
        return _refused(request, ValidationError(_("处罚决定已生效，不能修改。")), back)
    form = PenaltyForm(request.POST or None, initial={
        "warning": penalty.warning, "fine": penalty.fine, "decision_number": penalty.decision_number,
        "decided_on": penalty.decided_on})
    if request.method == "POST" and form.is_valid():
        try:
            penalty_update(actor=request.user, penalty_id=penalty.pk, **_penalty_args(form.cleaned_data))
        except TransitionError as exc:
            return _refused(request, exc, back)
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("处罚决定已修改。"))
            return redirect(back)
    return render(request, "supervision/penalty_form.html", {"form": form, "penalty": penalty, "back": back})


@require_capability("supervision.plan")
@require_POST
def penalty_final(request, pk: int):
    penalty = _own_penalty(request, pk)
    back = reverse("supervision:check-detail", args=[penalty.spot_check_id])
    try:
        penalty_finalise(actor=request.user, penalty_id=penalty.pk)
    except ValidationError as exc:
        return _refused(request, exc, back)
    messages.success(request, _("处罚决定已生效，可以公布。"))
    return redirect(back)


@require_capability("supervision.view")
def penalty_list(request):
    """Final penalties as of a date: the list a province publishes."""
    user = request.user
    try:
        as_of = date.fromisoformat(request.GET.get("as_of") or "")
    except ValueError:
        as_of = timezone.localdate()
    province = user.organisation.province if user.organisation_id and user.organisation.province_id else None
    if province is None:
        code = request.GET.get("province") or ""
        province = Region.objects.filter(code=code, level="province").first()
    penalties = selectors.final_penalties(province, as_of) if province else Penalty.objects.none()
    # Only penalties the user may see: a city sees its own jurisdiction's decisions.
    penalties = penalties.filter(pk__in=selectors.visible_penalties(user).values("pk"))
    provinces = Region.objects.filter(level="province").order_by("code") if province is None or \
        not user.organisation_id or not user.organisation.province_id else None
    return render(request, "supervision/penalty_list.html", {
        "penalties": penalties, "as_of": as_of, "province": province, "provinces": provinces,
        "categories": dict(FindingCategory.choices),
    })


# ---- Campaigns ------------------------------------------------------------------------------------

@require_capability("supervision.view")
def campaign_list(request):
    page = Paginator(selectors.campaign_list(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "supervision/campaign_list.html", {
        "page": page, "can_plan": has_capability(request.user, "supervision.plan")})


@require_capability("supervision.plan")
def campaign_new(request):
    user = request.user
    form = CampaignForm(request.POST or None)
    steps = step_formset(request.POST or None)
    if request.method == "POST" and form.is_valid() & steps.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaign_create(actor=user, name=data["name"], period_start=data["period_start"],
                                       period_end=data["period_end"], steps=steps_from(steps))
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("专项治理已建立，纳入范围的机构将在“专项治理自查”中看到。"))
            return redirect(campaign)
    return render(request, "supervision/campaign_form.html", {"form": form, "steps": steps})


@require_capability("supervision.view")
def campaign_detail(request, pk: int):
    try:
        campaign = selectors.campaign_detail(request.user, pk)
    except Campaign.DoesNotExist:
        raise Http404 from None
    rows = selectors.campaign_members(campaign)
    return render(request, "supervision/campaign_detail.html", {
        "campaign": campaign, "steps": list(campaign.steps.all()), "rows": rows,
        "missing": [r for r in rows if not r.filed], "filed_count": sum(1 for r in rows if r.filed),
        "plans": campaign.plans.all(),
    })


@require_capability("supervision.view")
def campaign_form1(request, pk: int):
    campaign = _get_or_404(selectors.visible_campaigns(request.user), pk)
    return form_response(SelfInspectionRegister(campaign, **filled_by(request.user)))


@require_capability("supervision.view")
def campaign_form2(request, pk: int):
    campaign = _get_or_404(selectors.visible_campaigns(request.user), pk)
    return form_response(RectificationRegister(campaign_checks(campaign),
                                               filename=f"附表2-专项治理情况登记表-{campaign.pk}",
                                               **filled_by(request.user)))


# ---- The institution's duties ---------------------------------------------------------------------

@require_capability("supervision.self_inspect")
def duties(request):
    return render(request, "supervision/duties.html", {"duties": selectors.my_duties(request.user)})


@require_capability("supervision.self_inspect")
def self_inspection(request, pk: int):
    user = request.user
    try:
        member = selectors.member_for(user, pk)
    except CampaignInstitution.DoesNotExist:
        raise Http404 from None
    existing = SelfInspection.objects.filter(member=member).first()
    facts = selectors.filing_facts([member.institution_id]).get(member.institution_id)
    if request.method == "POST":
        form = SelfInspectionForm(request.POST, request.FILES)
        problems = ProblemFormSet(request.POST, prefix="problems")
        if form.is_valid() & problems.is_valid():
            data = form.cleaned_data
            try:
                self_inspection_file(actor=user, member_id=member.pk, off_site=data["off_site"],
                                     employers_examined=data["employers_examined"],
                                     workers_examined=data["workers_examined"], problems=problems_from(problems),
                                     report=data["report"])
            except ValidationError as exc:
                form_errors_to(form, exc)
            else:
                messages.success(request, _("自查情况已报送。"))
                return redirect("supervision:duties")
    else:
        initial = {"off_site": "1" if (existing.off_site if existing else facts and facts.off_site) else "0"}
        problem_rows = []
        if existing:
            initial.update(employers_examined=existing.employers_examined,
                           workers_examined=existing.workers_examined)
            problem_rows = [{"description": p.description, "fix_on": p.fix_on} for p in existing.problems.all()]
        form = SelfInspectionForm(initial=initial)
        problems = ProblemFormSet(prefix="problems", initial=problem_rows)
    return render(request, "supervision/self_inspection_form.html", {
        "member": member, "campaign": member.campaign, "form": form, "problems": problems, "existing": existing,
        "categories": selectors.category_labels(facts.categories) if facts else "",
        "steps": list(member.campaign.steps.all()),
    })
