"""QC pages after scoring: each workflow step as its own POST action, the institution's response page,
self-assessments, and the yearly plan with its live coverage.

Every action fetches the assessment from the user's scoped queryset (another province's is a
404), calls one service with the row locked, and shows a refused step as 400, or 409 when the
assessment changed since the page was shown (see :func:`qc.views.locked_step`).
"""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.permissions import require_capability
from portal.core.models import StoredFile
from portal.core.uploads import stored_file_response

from . import selectors, services
from .choices import ASSESSMENT_SCORABLE, AssessmentKind, AssessmentStatus
from .forms import PlanCreateForm, PlanItemForm, SelfAssessmentForm, apply_errors, province_of
from .models import PlanItem, ResponsePoint, Score
from .services import PointInput
from .views import (
    ConcurrentChange,
    _entries_from_post,
    _refused,
    _scoring_context,
    conflict,
    evidence_download,
    line_page,
    locked_step,
)

MAX_RESPONSE_ROWS = 10


def _qc_assessment(request, pk):
    return get_object_or_404(selectors.assessments_for_user(request.user).filter(kind=AssessmentKind.OFFICIAL),
                             pk=pk)


def _back(assessment) -> str:
    return reverse("qc:assessment-detail", args=[assessment.pk])


def _run(request, assessment, step, success: str, *, back: str | None = None, check_version: bool = False):
    """Call one service under the row lock; a stale page is 409, a refused step 400, a form problem goes
    back as messages."""
    back = back or _back(assessment)
    try:
        locked_step(request, assessment.pk, step, check_version=check_version)
    except ConcurrentChange as exc:
        return conflict(request, exc, back=back)
    except services.TransitionError as exc:
        return _refused(request, exc, back=back)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    messages.success(request, success)
    return redirect(back)


@require_capability("qc.assess")
@require_POST
def assessment_send(request, pk):
    assessment = _qc_assessment(request, pk)
    return _run(request, assessment,
                lambda: services.assessment_send(assessment_id=assessment.pk, actor=request.user),
                _("考核结果已送达机构，反馈期限已开始计算。"), check_version=True)


@require_capability("qc.assess")
@require_POST
def assessment_answer(request, pk):
    assessment = _qc_assessment(request, pk)
    answers = {}
    for point in assessment.points.all():
        answers[point.pk] = (request.POST.get(f"answer-{point.pk}", ""), request.POST.get(f"note-{point.pk}", ""))
    return _run(request, assessment,
                lambda: services.assessment_answer(assessment_id=assessment.pk, answers=answers, actor=request.user),
                _("已答复机构的全部异议；如采纳的异议影响评分，请修改评分后定稿。"))


@require_capability("qc.assess")
@require_POST
def assessment_finalise(request, pk):
    assessment = _qc_assessment(request, pk)
    return _run(request, assessment,
                lambda: services.assessment_finalise(assessment_id=assessment.pk, actor=request.user),
                _("考核结果已定稿。"), check_version=True)


@require_capability("qc.assess")
@require_POST
def assessment_suspend(request, pk):
    assessment = _qc_assessment(request, pk)
    return _run(request, assessment, lambda: services.assessment_suspend_categories(
        assessment_id=assessment.pk, categories=request.POST.getlist("categories"),
        items=request.POST.getlist("items"),
        reason=request.POST.get("reason", ""), actor=request.user), _("所选备案项目已暂停。"))


def _lines(values) -> list[tuple[int, int]]:
    lines = []
    for value in values:
        sheet_id, _sep, indicator_id = value.partition("-")
        if sheet_id.isdigit() and indicator_id.isdigit():
            lines.append((int(sheet_id), int(indicator_id)))
    return lines


@require_capability("qc.assess")
@require_POST
def assessment_findings(request, pk):
    assessment = _qc_assessment(request, pk)
    try:
        due_on = date.fromisoformat(request.POST.get("due_on", ""))
    except ValueError:
        messages.error(request, _("请填写整改期限。"))
        return redirect(_back(assessment))
    severity = request.POST.get("severity") or "major"
    return _run(request, assessment, lambda: services.assessment_open_findings(
        assessment_id=assessment.pk, lines=_lines(request.POST.getlist("lines")), actor=request.user, due_on=due_on,
        severity=severity, requirement=request.POST.get("requirement", "")), _("所选问题已列入整改台账。"))


@require_capability("qc.assess")
@require_POST
def assessment_flag(request, pk):
    assessment = _qc_assessment(request, pk)
    return _run(request, assessment, lambda: services.assessment_flag(
        assessment_id=assessment.pk, description=request.POST.get("description", ""), actor=request.user),
        _("已立即报告省卫生健康委和疾控主管部门。"))


@require_capability("portal.home")
@require_POST
def assessment_indicators(request, pk):
    """Key indicators as figures, from the scoring page (the team's or the institution's own)."""
    from portal.accounts.permissions import has_capability

    if has_capability(request.user, "qc.assess"):
        qs, back_name = selectors.assessments_for_user(request.user), "qc:assessment-detail"
    elif has_capability(request.user, "qc.self_assess"):
        qs, back_name = selectors.self_assessments_for(request.user), "qc:self-detail"
    else:
        raise PermissionDenied
    assessment = get_object_or_404(qs, pk=pk)
    values = {name: request.POST.get(name, "") for name in services.workflow.INDICATOR_FIELDS}
    return _run(request, assessment, lambda: services.assessment_save_indicators(
        assessment_id=assessment.pk, values=values, actor=request.user), _("关键指标已保存。"),
        back=reverse(back_name, args=[assessment.pk]))


# ---------------------------------------------------------------- the institution's side


@require_capability("qc.respond")
def response_list(request):
    assessments = selectors.response_assessments_for(request.user).order_by("-year", "-pk")
    awaiting = request.GET.get("awaiting") == "1"
    if awaiting:
        assessments = assessments.filter(selectors.awaiting_response_q(timezone.localdate()))
    return render(request, "qc/response_list.html", {
        "assessments": assessments, "awaiting": awaiting,
        "self_assessments": selectors.self_assessments_for(request.user).order_by("-year", "-pk"),
    })


@require_capability("qc.respond")
def response(request, pk):
    """The sent result as the institution sees it, and its factual-error points while the window is open."""
    assessment = get_object_or_404(selectors.response_assessments_for(request.user), pk=pk)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        points = [PointInput(text=request.POST.get(f"text-{n}", ""), files=request.FILES.getlist(f"files-{n}"))
                  for n in range(1, MAX_RESPONSE_ROWS + 1)]
        try:
            locked_step(request, assessment.pk, lambda: services.assessment_respond(
                assessment_id=assessment.pk, points=points, actor=request.user))
        except ConcurrentChange as exc:
            # Typically the same response sent twice: the first one is kept, this one is not.
            return conflict(request, exc, back=request.path)
        except services.ResponseWindowClosed as exc:
            return _refused(request, exc, back=request.path)
        except services.TransitionError as exc:
            return _refused(request, exc, back=request.path)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, _("异议已提交，质控中心将逐条答复。"))
            return redirect("qc:response", pk=assessment.pk)
    return render(request, "qc/response.html", {
        "assessment": assessment, "points": assessment.points.prefetch_related("evidence"),
        "window_open": assessment.status == AssessmentStatus.SENT and services.workflow.window_open(assessment),
        "rows": range(1, 4), "errors": [m for ms in errors.values() for m in ms], "posted": request.POST,
        "sheets": assessment.sheets.select_related("version__sheet"),
    }, status=400 if errors else 200)


@require_capability("portal.home")
def point_evidence(request, pk, file_id):
    """An evidence file of a point: for the QC side of the assessment and for the institution."""
    from portal.accounts.permissions import has_capability

    if has_capability(request.user, "qc.view_assessments"):
        qs = selectors.assessments_for_user(request.user)
    elif has_capability(request.user, "qc.respond"):
        qs = selectors.response_assessments_for(request.user)
    else:
        raise PermissionDenied
    assessment = get_object_or_404(qs, pk=pk)
    stored = get_object_or_404(StoredFile, pk=file_id,
                               pk__in=ResponsePoint.evidence.through.objects.filter(
                                   responsepoint__assessment=assessment).values("storedfile_id"))
    return stored_file_response(stored)


@require_capability("qc.self_assess")
def self_create(request):
    form = SelfAssessmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        institution = data["institution"]
        try:
            assessment = services.assessment_create(
                province=institution.province, institution=institution, year=data["year"],
                assessed_on=data["assessed_on"], kind=AssessmentKind.SELF, actor=request.user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("自查已创建，可以开始评分。"))
            return redirect("qc:self-detail", pk=assessment.pk)
    return render(request, "qc/self_form.html", {"form": form})


@require_capability("qc.self_assess")
def self_detail(request, pk):
    """The institution scores itself on the same sheets, on the same page."""
    assessment = get_object_or_404(selectors.self_assessments_for(request.user), pk=pk)
    if request.method == "POST":
        try:
            locked_step(request, assessment.pk, lambda: services.assessment_save_scores(
                assessment_id=assessment.pk, entries=_entries_from_post(request.POST), actor=request.user))
        except ConcurrentChange as exc:
            return conflict(request, exc, back=request.path)
        except services.TransitionError as exc:
            return _refused(request, exc, back=request.path)
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
            context = _scoring_context(assessment, posted=request.POST, errors=errors, user=request.user)
            context["may_score"] = True
            return render(request, "qc/assessment_detail.html", {**context, "self_mode": True})
        messages.success(request, _("自查评分已保存。"))
        return redirect("qc:self-detail", pk=assessment.pk)
    context = _scoring_context(assessment, user=request.user)
    context["may_score"] = assessment.status in ASSESSMENT_SCORABLE
    return render(request, "qc/assessment_detail.html", {**context, "self_mode": True})


@require_capability("qc.self_assess")
def self_line(request, pk, sheet_id, indicator_id):
    """One line of the institution's self-assessment, where it uploads its evidence, as the QC team does."""
    assessment = get_object_or_404(selectors.self_assessments_for(request.user), pk=pk)
    return line_page(request, assessment, sheet_id, indicator_id, may_write=True, self_mode=True)


@require_capability("qc.self_assess")
def self_evidence(request, pk, score_id):
    assessment = get_object_or_404(selectors.self_assessments_for(request.user), pk=pk)
    score = get_object_or_404(Score.objects.select_related("evidence"), pk=score_id,
                              assessment_sheet__assessment=assessment, evidence__isnull=False)
    return evidence_download(score)


@require_capability("qc.self_assess")
@require_POST
def self_finalise(request, pk):
    assessment = get_object_or_404(selectors.self_assessments_for(request.user), pk=pk)
    return _run(request, assessment,
                lambda: services.assessment_finalise(assessment_id=assessment.pk, actor=request.user),
                _("自查已完成。"), back=reverse("qc:self-detail", args=[assessment.pk]))


# ---------------------------------------------------------------- yearly plan


@require_capability("qc.plan")
def plan_list(request):
    form = PlanCreateForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        province = province_of(request.user) or form.cleaned_data.get("province")
        try:
            plan = services.plan_create(province=province, year=form.cleaned_data["year"], actor=request.user,
                                        notes=form.cleaned_data["notes"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("%(year)s 年度考核计划已创建。") % {"year": plan.year})
            return redirect("qc:plan-detail", pk=plan.pk)
    return render(request, "qc/plan_list.html", {"plans": selectors.plans_for_user(request.user), "form": form})


@require_capability("qc.plan")
def plan_detail(request, pk):
    plan = get_object_or_404(selectors.plans_for_user(request.user), pk=pk)
    # select_related: each planned row names its institution and the QC center running it.
    items = list(plan.items.select_related("institution", "assessed_by"))
    # One query for the whole plan: each planned row links the year's assessment of its institution, or
    # offers to start one.
    assessments = selectors.plan_assessments(plan)
    for item in items:
        item.assessment = assessments.get(item.institution_id)
    return render(request, "qc/plan_detail.html", {
        "plan": plan, "items": items, "coverage": selectors.coverage(plan.province_id, plan.year),
        "suggestions": selectors.extra_assessment_suggestions(plan),
        "form": PlanItemForm(plan=plan),
    })


@require_capability("qc.plan")
@require_POST
def plan_item_add(request, pk):
    plan = get_object_or_404(selectors.plans_for_user(request.user), pk=pk)
    form = PlanItemForm(request.POST, plan=plan)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_item_add(plan_id=plan.pk, actor=request.user, institution=data["institution"],
                                   planned_month=data["planned_month"], assessed_by=data["assessed_by"],
                                   complaints=data["complaints"] or 0, workers_examined=data["workers_examined"],
                                   is_extra=data["is_extra"])
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("已加入计划。"))
            return redirect("qc:plan-detail", pk=plan.pk)
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, message)
    return redirect("qc:plan-detail", pk=plan.pk)


@require_capability("qc.plan")
@require_POST
def plan_item_remove(request, pk, item_id):
    plan = get_object_or_404(selectors.plans_for_user(request.user), pk=pk)
    item = get_object_or_404(PlanItem, pk=item_id, plan=plan)
    services.plan_item_remove(item_id=item.pk, actor=request.user)
    messages.success(request, _("已从计划中移除。"))
    return redirect("qc:plan-detail", pk=plan.pk)

