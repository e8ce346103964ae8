"""Ledger pages: the list with its filters and export, an entry with its timeline and the
forms of the next steps, the institution's own rectifications, the per-institution
summary, and the case-report spot checks. Each step is its own POST; every write goes
through qc.ledger.services.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.permissions import has_capability, require_capability
from portal.core.exports import FORMATS, export_response
from portal.core.uploads import stored_file_response
from portal.core.view_helpers import form_errors_to, query_without_page

from .choices import (
    AWAITING_INSTITUTION,
    LEDGER_TRANSITIONS,
    CaseReportKind,
    LedgerSource,
    LedgerStatus,
    Severity,
)
from .exporters import LedgerExporter
from .forms import (
    AcceptForm,
    CaseReportCheckForm,
    EntryOpenForm,
    FixForm,
    LedgerFilterForm,
    OpenProblemsForm,
    PlanForm,
    ReasonForm,
    RefuseForm,
    VerificationForm,
)
from .models import CaseReportCheck, LedgerEntry, LedgerEvidence
from .selectors import (
    LedgerFilters,
    case_report_check_detail,
    case_report_checks,
    entries_page,
    entry_with_timeline,
    filter_regions,
    institution_tallies,
    institutions_within,
    ledger_entries,
    my_entries,
    status_counts,
    unrectified_for,
    visible_entries,
)
from .services import (
    TransitionError,
    case_report_check_record,
    case_report_problems_open,
    ledger_entry_accept_plan,
    ledger_entry_close,
    ledger_entry_mark_failed,
    ledger_entry_mark_refused,
    ledger_entry_open,
    ledger_entry_return,
    ledger_entry_submit_fix,
    ledger_entry_submit_plan,
)

LIST_PAGE_SIZE = 50
DEFAULT_DUE_DAYS = 30


# ---- Helpers -------------------------------------------------------------------------------------

def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices}


def _mark_overdue(entries, today) -> list:
    """The page's rows with what the template would otherwise compute per row (labels are translated
    once per page, not once per row)."""
    rows = list(entries)
    sources, severities, statuses = _labels(LedgerSource.choices), _labels(Severity.choices), _labels(
        LedgerStatus.choices)
    for entry in rows:
        entry.source_text = sources.get(entry.source, entry.source)
        entry.severity_text = severities.get(entry.severity, entry.severity)
        entry.status_text = statuses.get(entry.status, entry.status)
        entry.overdue = entry.is_overdue(today)
        entry.days_overdue = entry.overdue_days(today)
        entry.short_description = Truncator(entry.description).chars(60)
        entry.url = entry.get_absolute_url()
    return rows


def _step_refused(request, exc: ValidationError, *, entry: LedgerEntry):
    """400 when the entry's state does not allow the step; 409 when it changed since the page was shown."""
    seen = request.POST.get("status_seen")
    now = LedgerEntry.objects.filter(pk=entry.pk).values_list("status", flat=True).first()
    conflict = bool(seen and now and seen != now)
    return render(request, "ledger/step_refused.html", {
        "messages_list": exc.messages, "back": reverse("ledger:detail", args=[entry.pk]), "conflict": conflict,
    }, status=409 if conflict else 400)


def _entry_or_404(user, pk: int) -> LedgerEntry:
    try:
        return entry_with_timeline(user, pk)
    except LedgerEntry.DoesNotExist:
        raise Http404 from None


# ---- The list, the export, the summary ------------------------------------------------------------

@require_capability("ledger.view")
def entry_list(request):
    user = request.user
    form = LedgerFilterForm(request.GET or None, regions=filter_regions(user))
    page = entries_page(ledger_entries(user, form.filters()), request.GET.get("page"), LIST_PAGE_SIZE)
    today = timezone.localdate()
    page.object_list = _mark_overdue(page.object_list, today)
    return render(request, "ledger/list.html", {
        "form": form, "selected": form.selected(), "regions": form.fields["region"].choices[1:],
        "statuses": LedgerStatus.choices, "sources": LedgerSource.choices, "severities": Severity.choices,
        "page": page, "today": today, "query": query_without_page(request),
        "can_open": has_capability(user, "ledger.open"), "can_oversee": has_capability(user, "ledger.oversee"),
        "can_respond": has_capability(user, "ledger.respond"), "export_query": query_without_page(request),
    })


@require_capability("ledger.oversee")
def entry_export(request):
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404
    form = LedgerFilterForm(request.GET or None, regions=filter_regions(request.user))
    return export_response(LedgerExporter(request.user, LedgerFilters.of(form.filters())), fmt)


@require_capability("ledger.oversee")
def institution_summary(request):
    """Escalation at a glance: overdue and unsettled entries per institution, and the refused-to-rectify
    candidates with their main problems."""
    return render(request, "ledger/institutions.html", {
        "tallies": institution_tallies(request.user), "unrectified": unrectified_for(request.user),
    })


@require_capability("ledger.respond")
def my_rectifications(request):
    user = request.user
    page = entries_page(my_entries(user), request.GET.get("page"), LIST_PAGE_SIZE)
    today = timezone.localdate()
    page.object_list = _mark_overdue(page.object_list, today)
    counts = status_counts(user)
    return render(request, "ledger/mine.html", {
        "page": page, "today": today, "awaiting": AWAITING_INSTITUTION,
        "waiting_count": sum(counts.get(s, 0) for s in AWAITING_INSTITUTION),
    })


# ---- Opening an entry ------------------------------------------------------------------------------

@require_capability("ledger.open")
def entry_open(request):
    user = request.user
    initial = {"due_on": timezone.localdate() + timedelta(days=DEFAULT_DUE_DAYS),
               "institution": request.GET.get("institution")}
    form = EntryOpenForm(request.POST or None, institutions=institutions_within(user), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            entry = ledger_entry_open(
                actor=user, institution=data["institution"], source=data["source"], severity=data["severity"],
                description=data["description"], requirement=data["requirement"], due_on=data["due_on"],
                responsible_name=data["responsible_name"],
            )
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已列入问题清单，机构将在“我的整改”中看到。"))
            return redirect("ledger:detail", pk=entry.pk)
    return render(request, "ledger/open_form.html", {"form": form})


# ---- An entry and its steps ------------------------------------------------------------------------

def _action_forms(user, entry: LedgerEntry) -> dict:
    """The forms of the steps this user may take next, as the transition table allows."""
    allowed = LEDGER_TRANSITIONS.get(entry.status, set())
    forms = {}
    if has_capability(user, "ledger.respond"):
        if LedgerStatus.PLAN_SUBMITTED in allowed and entry.plan_accepted_at is None:
            forms["plan"] = PlanForm()
        if LedgerStatus.FIX_SUBMITTED in allowed and entry.plan_accepted_at is not None:
            forms["fix"] = FixForm()
    if has_capability(user, "ledger.decide"):
        if LedgerStatus.ACCEPTED in allowed:
            forms["accept"] = AcceptForm()
        if LedgerStatus.RETURNED in allowed:
            forms["return"] = ReasonForm(prefix="return")
        if LedgerStatus.CLOSED in allowed:
            forms["close"] = VerificationForm(prefix="close")
        if LedgerStatus.FAILED in allowed:
            forms["fail"] = VerificationForm(prefix="fail")
        if LedgerStatus.REFUSED in allowed:
            forms["refuse"] = RefuseForm(prefix="refuse")
    return forms


def _render_detail(request, entry: LedgerEntry, *, bound: dict | None = None):
    today = timezone.localdate()
    entry.overdue, entry.days_overdue = entry.is_overdue(today), entry.overdue_days(today)
    forms = {**_action_forms(request.user, entry), **(bound or {})}
    return render(request, "ledger/detail.html", {
        "entry": entry, "steps": list(entry.steps.all()), "today": today, "overdue": entry.overdue, "forms": forms,
        "show_source_link": bool(entry.source_url) and has_capability(request.user, "ledger.oversee"),
    })


@require_capability("ledger.view")
def entry_detail(request, pk: int):
    return _render_detail(request, _entry_or_404(request.user, pk))


def _step(request, pk: int, *, key: str, form_class, prefix: str | None, run, done: str):
    entry = _entry_or_404(request.user, pk)
    form = form_class(request.POST, request.FILES, prefix=prefix)
    if form.is_valid():
        try:
            run(entry, form.cleaned_data)
        except TransitionError as exc:
            return _step_refused(request, exc, entry=entry)
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, done)
            return redirect("ledger:detail", pk=entry.pk)
    messages.error(request, _("未能保存，请按提示修改后重新提交。"))
    return _render_detail(request, entry, bound={key: form})


@require_capability("ledger.respond")
@require_POST
def submit_plan(request, pk: int):
    return _step(request, pk, key="plan", form_class=PlanForm, prefix=None, done=_("整改方案已提交。"),
                 run=lambda entry, d: ledger_entry_submit_plan(
                     entry_id=entry.pk, actor=request.user, plan=d["plan"], evidence=d["evidence"]))


@require_capability("ledger.respond")
@require_POST
def submit_fix(request, pk: int):
    return _step(request, pk, key="fix", form_class=FixForm, prefix=None, done=_("整改完成情况已报告，等待核查。"),
                 run=lambda entry, d: ledger_entry_submit_fix(
                     entry_id=entry.pk, actor=request.user, report=d["report"], evidence=d["evidence"]))


@require_capability("ledger.decide")
@require_POST
def accept_plan(request, pk: int):
    return _step(request, pk, key="accept", form_class=AcceptForm, prefix=None, done=_("已认可整改方案。"),
                 run=lambda entry, d: ledger_entry_accept_plan(entry_id=entry.pk, actor=request.user, note=d["note"]))


@require_capability("ledger.decide")
@require_POST
def return_entry(request, pk: int):
    return _step(request, pk, key="return", form_class=ReasonForm, prefix="return", done=_("已退回机构。"),
                 run=lambda entry, d: ledger_entry_return(entry_id=entry.pk, actor=request.user, reason=d["reason"]))


@require_capability("ledger.decide")
@require_POST
def close_entry(request, pk: int):
    return _step(request, pk, key="close", form_class=VerificationForm, prefix="close", done=_("已核查销号。"),
                 run=lambda entry, d: ledger_entry_close(
                     entry_id=entry.pk, actor=request.user, verification_method=d["verification_method"],
                     verified_on=d["verified_on"], verification_note=d["verification_note"],
                     evidence=d["evidence"]))


@require_capability("ledger.decide")
@require_POST
def mark_failed(request, pk: int):
    return _step(request, pk, key="fail", form_class=VerificationForm, prefix="fail", done=_("已认定整改不到位。"),
                 run=lambda entry, d: ledger_entry_mark_failed(
                     entry_id=entry.pk, actor=request.user, verification_method=d["verification_method"],
                     verified_on=d["verified_on"], verification_note=d["verification_note"],
                     evidence=d["evidence"]))


@require_capability("ledger.decide")
@require_POST
def mark_refused(request, pk: int):
    return _step(request, pk, key="refuse", form_class=RefuseForm, prefix="refuse", done=_("已认定拒不整改。"),
                 run=lambda entry, d: ledger_entry_mark_refused(
                     entry_id=entry.pk, actor=request.user, reason=d["reason"], evidence=d["evidence"]))


@require_capability("ledger.view")
def evidence_file(request, pk: int, file_pk: int):
    """A file of an entry's timeline, to whoever may see the entry (the storage is never served directly)."""
    entry = get_object_or_404(visible_entries(request.user).only("pk"), pk=pk)
    evidence = get_object_or_404(LedgerEvidence.objects.select_related("file"), step__entry=entry, file_id=file_pk)
    stored = evidence.file
    return stored_file_response(stored, attachment=False)


# ---- Case-report spot checks (个案报告卡抽查) --------------------------------------------------------

@require_capability("ledger.oversee")
def check_list(request):
    page = Paginator(case_report_checks(request.user), LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ledger/check_list.html", {
        "page": page, "can_record": has_capability(request.user, "ledger.open"),
    })


@require_capability("ledger.open")
def check_create(request):
    user = request.user
    form = CaseReportCheckForm(request.POST or None, institutions=institutions_within(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            check = case_report_check_record(
                actor=user, institution=data["institution"], report_kind=data["report_kind"],
                report_number=data["report_number"], sample_date=data["sample_date"],
                problems=form.problem_lines(), note=data["note"])
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("抽查结果已登记。"))
            return redirect("ledger:check-detail", pk=check.pk)
    return render(request, "ledger/check_form.html", {"form": form, "kinds": CaseReportKind})


def _check_or_404(user, pk: int) -> CaseReportCheck:
    try:
        return case_report_check_detail(user, pk)
    except CaseReportCheck.DoesNotExist:
        raise Http404 from None


def _render_check(request, check: CaseReportCheck, form=None):
    problems = list(check.problems.all())
    unopened = [p for p in problems if p.ledger_entry_id is None]
    if form is None and unopened and has_capability(request.user, "ledger.open"):
        form = OpenProblemsForm(problems=unopened, initial={
            "problems": [p.pk for p in unopened],
            "due_on": timezone.localdate() + timedelta(days=DEFAULT_DUE_DAYS)})
    return render(request, "ledger/check_detail.html", {"check": check, "problems": problems, "form": form})


@require_capability("ledger.oversee")
def check_detail(request, pk: int):
    return _render_check(request, _check_or_404(request.user, pk))


@require_capability("ledger.open")
@require_POST
def check_open_entries(request, pk: int):
    check = _check_or_404(request.user, pk)
    unopened = [p for p in check.problems.all() if p.ledger_entry_id is None]
    form = OpenProblemsForm(request.POST, problems=unopened)
    if form.is_valid():
        data = form.cleaned_data
        try:
            entries = case_report_problems_open(
                actor=request.user, check_id=check.pk, problem_ids=data["problems"], severity=data["severity"],
                requirement=data["requirement"], due_on=data["due_on"], responsible_name=data["responsible_name"])
        except TransitionError as exc:
            return render(request, "ledger/step_refused.html", {
                "messages_list": exc.messages, "back": reverse("ledger:check-detail", args=[check.pk]),
                "conflict": True}, status=409)
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已将 %(n)s 个问题列入整改台账。") % {"n": len(entries)})
            return redirect("ledger:check-detail", pk=check.pk)
    return _render_check(request, check, form)
