"""The filing workflow in the browser.

Institutions edit their draft section by section, check completeness and submit;
the provincial QC center and commission work through the queue, accept or return;
every authority reads the filings of its jurisdiction. Each step is its own POST and
every write goes through filing.services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from portal.accounts.permissions import has_capability, require_capability
from portal.accounts.scoping import institution_ids_for
from portal.core.models import StoredFile
from portal.core.uploads import stored_file_response
from portal.core.view_helpers import form_errors_to, query_without_page

from .catalogue.choices import ROUTINE_EXAM_TYPES, EditionKind, ExamCategoryCode, ExamType
from .catalogue.models import Disease, ExamItem
from .catalogue.selectors import current_editions, disease_categories_for
from .choices import (
    REQUIRED_DOCUMENTS,
    VERSION_EDITABLE,
    FilingStatus,
    InstitutionKind,
    QualityDocumentType,
    VersionKind,
    VersionStatus,
)
from .completeness import check_version
from .forms import (
    BasicForm,
    CancelForm,
    CertificateFormSet,
    ChangeForm,
    DocumentsForm,
    EquipmentFormSet,
    ItemsForm,
    PremisesForm,
    ReturnForm,
    RoomFormSet,
    StaffFormSet,
    StartForm,
    VehicleFormSet,
)
from .models import FilingVersion
from .receipts import receipt_render_and_store
from .selectors import (
    DECIDED_STATUSES,
    application_regions,
    filing_history,
    filings_for,
    items_by_category,
    qualification_labels,
    queue_for,
    version_with_data,
    versions_for,
)
from .services import (
    TransitionError,
    change_start,
    filing_cancel,
    filing_start,
    open_version,
    staff_save_certificates,
    version_accept,
    version_return,
    version_save_basic,
    version_save_documents,
    version_save_equipment,
    version_save_items,
    version_save_premises,
    version_save_staff,
    version_submit,
    version_withdraw,
)
from .views import LIST_PAGE_SIZE, step_refused

SECTIONS = [
    ("basic", gettext_lazy("基本信息")),
    ("staff", gettext_lazy("人员")),
    ("premises", gettext_lazy("场所")),
    ("equipment", gettext_lazy("仪器设备与车辆")),
    ("documents", gettext_lazy("质量管理文件")),
    ("items", gettext_lazy("备案项目")),
]
SECTION_URLS = {key: f"filing:edit-{key}" for key, _label in SECTIONS}


# ---- Helpers ----------------------------------------------------------------------------

def _version_url(version) -> str:
    return reverse("filing:version-detail", args=[version.pk])


def _draft_or_redirect(request, pk: int):
    """The institution's own version for a section page; a version that can no longer be edited
    sends a GET to its read-only page (a POST goes on and the service refuses it with 400)."""
    version = get_object_or_404(versions_for(request.user), pk=pk)
    if request.method != "POST" and version.status not in VERSION_EDITABLE:
        messages.warning(request, _("该版本已提交或已受理，不能再修改。"))
        return version, redirect(_version_url(version))
    return version, None


def _section_page(request, version, section: str, template: str, context: dict):
    deficiencies = [d for d in check_version(version) if d.section == section]
    return render(request, template, {
        "version": version, "filing": version.filing, "section": section,
        "sections": [(key, label, reverse(SECTION_URLS[key], args=[version.pk])) for key, label in SECTIONS],
        "section_deficiencies": deficiencies, **context,
    })


def _saved(request, version, section: str):
    messages.success(request, _("已保存（草稿）。"))
    return redirect(SECTION_URLS[section], pk=version.pk)


def _refused_status(request, pk: int) -> int:
    """409 when the record's state is no longer the one the page was showing, else 400."""
    seen = request.POST.get("status_seen")
    now = FilingVersion.objects.filter(pk=pk).values_list("status", flat=True).first()
    return 409 if seen and now and seen != now else 400


def _file_response(stored: StoredFile, *, attachment: bool = False):
    return stored_file_response(stored, attachment=attachment)


# ---- Starting ------------------------------------------------------------------------------

@require_capability("filing.edit_own")
@require_POST
def start(request):
    """An institution without a filing of a kind opens one (its draft is created empty)."""
    org = request.user.organisation
    if org is None or org.pk not in institution_ids_for(request.user):
        raise PermissionDenied
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择备案类型。"))
        return redirect("filing:index")
    filing = filing_start(institution=org, kind=form.cleaned_data["kind"], actor=request.user)
    version = open_version(filing)
    return redirect(SECTION_URLS["basic"], pk=version.pk) if version else redirect("filing:detail", pk=filing.pk)


# ---- Draft sections (institution) ---------------------------------------------------------

def _basic_initial(version) -> dict:
    fields = ["name", "credit_code", "licence_number", "radiation_licence_number", "legal_representative",
              "quality_manager", "technical_manager", "address", "region", "phone", "exams_started_on"]
    return {f: getattr(version, f) for f in fields}


@require_capability("filing.edit_own")
def edit_basic(request, pk: int):
    version, redirected = _draft_or_redirect(request, pk)
    if redirected:
        return redirected
    regions = application_regions(version.filing.province)
    form = BasicForm(request.POST or None, request.FILES or None, initial=_basic_initial(version), regions=regions)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version_save_basic(
                version_id=version.pk, actor=request.user, name=data["name"], credit_code=data["credit_code"],
                licence_number=data["licence_number"], radiation_licence_number=data["radiation_licence_number"],
                legal_representative=data["legal_representative"], quality_manager=data["quality_manager"],
                technical_manager=data["technical_manager"], address=data["address"], region=data["region"],
                phone=data["phone"], exams_started_on=data["exams_started_on"],
                licence_copy=data["licence_copy"], radiation_licence_copy=data["radiation_licence_copy"],
            )
        except TransitionError as exc:
            return step_refused(request, exc, back=_version_url(version))
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            return _saved(request, version, "basic")
    return _section_page(request, version, "basic", "filing/section_basic.html", {"form": form})


def _qualification_choices(version) -> list[tuple[str, str]]:
    if version.filing.kind == InstitutionKind.DIAGNOSIS:
        return [(c.code, f"{c.number} {c.name}") for c in disease_categories_for()]
    return list(ExamCategoryCode.choices)


@require_capability("filing.edit_own")
def edit_staff(request, pk: int):
    version, redirected = _draft_or_redirect(request, pk)
    if redirected:
        return redirected
    staff = list(version.staff.prefetch_related("certificates"))
    initial = [{"id": s.pk, "name": s.name, "role": s.role, "registration_number": s.registration_number,
                "title": s.title, "years_experience": s.years_experience,
                "diagnosis_qualification": s.diagnosis_qualification} for s in staff]
    choices = _qualification_choices(version)
    # Earlier qualification codes stay selectable so that saving never drops them silently.
    known = {c for c, _label in choices}
    choices += [(c, c) for s in staff for c in s.diagnosis_qualification if c not in known]
    formset = StaffFormSet(request.POST or None, initial=initial, prefix="staff",
                           form_kwargs={"qualification_choices": choices})
    service_errors = []
    if request.method == "POST" and formset.is_valid():
        try:
            version_save_staff(version_id=version.pk, actor=request.user, staff=formset.rows())
        except TransitionError as exc:
            return step_refused(request, exc, back=_version_url(version))
        except ValidationError as exc:
            service_errors = exc.messages
        else:
            return _saved(request, version, "staff")
    certificates = {s.pk: list(s.certificates.all()) for s in staff}
    rows = [(form, certificates.get(form.initial.get("id"), [])) for form in formset.forms]
    return _section_page(request, version, "staff", "filing/section_staff.html", {
        "formset": formset, "rows": rows, "service_errors": service_errors,
    })


@require_capability("filing.edit_own")
def edit_certificates(request, pk: int, staff_pk: int):
    version, redirected = _draft_or_redirect(request, pk)
    if redirected:
        return redirected
    member = get_object_or_404(version.staff.all(), pk=staff_pk)
    certs = list(member.certificates.select_related("copy"))
    initial = [{"id": c.pk, "name": c.name, "number": c.number, "issued_on": c.issued_on,
                "expires_on": c.expires_on} for c in certs]
    formset = CertificateFormSet(request.POST or None, request.FILES or None, initial=initial, prefix="cert")
    service_errors = []
    if request.method == "POST" and formset.is_valid():
        try:
            staff_save_certificates(version_id=version.pk, staff_id=member.pk, actor=request.user,
                                    certificates=formset.rows())
        except TransitionError as exc:
            return step_refused(request, exc, back=_version_url(version))
        except ValidationError as exc:
            service_errors = exc.messages
        else:
            messages.success(request, _("已保存（草稿）。"))
            return redirect("filing:edit-certificates", pk=version.pk, staff_pk=member.pk)
    copies = {c.pk: c.copy for c in certs}
    rows = [(form, copies.get(form.initial.get("id"))) for form in formset.forms]
    return _section_page(request, version, "staff", "filing/section_certificates.html", {
        "member": member, "formset": formset, "rows": rows, "service_errors": service_errors,
    })


@require_capability("filing.edit_own")
def edit_premises(request, pk: int):
    version, redirected = _draft_or_redirect(request, pk)
    if redirected:
        return redirected
    form = PremisesForm(request.POST or None, initial={"total_area": version.total_area})
    initial = [{"id": r.pk, "name": r.name, "area": r.area} for r in version.rooms.all()]
    formset = RoomFormSet(request.POST or None, initial=initial, prefix="rooms")
    service_errors = []
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            version_save_premises(version_id=version.pk, actor=request.user,
                                  total_area=form.cleaned_data["total_area"], rooms=formset.rows())
        except TransitionError as exc:
            return step_refused(request, exc, back=_version_url(version))
        except ValidationError as exc:
            if "total_area" in exc.message_dict:
                form.add_error("total_area", exc.message_dict["total_area"])
            service_errors = exc.message_dict.get("rooms", [])
        else:
            return _saved(request, version, "premises")
    return _section_page(request, version, "premises", "filing/section_premises.html", {
        "form": form, "formset": formset, "service_errors": service_errors,
    })


@require_capability("filing.edit_own")
def edit_equipment(request, pk: int):
    version, redirected = _draft_or_redirect(request, pk)
    if redirected:
        return redirected
    eq_initial = [{"id": e.pk, "name": e.name, "model": e.model, "serial_number": e.serial_number,
                   "calibration_due_on": e.calibration_due_on, "for_off_site": e.for_off_site}
                  for e in version.equipment.all()]
    ve_initial = [{"id": v.pk, "plate_number": v.plate_number, "vehicle_type": v.vehicle_type,
                   "equipment_onboard": v.equipment_onboard} for v in version.vehicles.all()]
    equipment = EquipmentFormSet(request.POST or None, initial=eq_initial, prefix="equipment")
    vehicles = VehicleFormSet(request.POST or None, initial=ve_initial, prefix="vehicles")
    service_errors = []
    if request.method == "POST" and equipment.is_valid() and vehicles.is_valid():
        try:
            version_save_equipment(version_id=version.pk, actor=request.user, equipment=equipment.rows(),
                                   vehicles=vehicles.rows())
        except TransitionError as exc:
            return step_refused(request, exc, back=_version_url(version))
        except ValidationError as exc:
            service_errors = exc.messages
        else:
            return _saved(request, version, "equipment")
    return _section_page(request, version, "equipment", "filing/section_equipment.html", {
        "equipment": equipment, "vehicles": vehicles, "service_errors": service_errors,
    })


@require_capability("filing.edit_own")
def edit_documents(request, pk: int):
    version, redirected = _draft_or_redirect(request, pk)
    if redirected:
        return redirected
    form = DocumentsForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        uploads = form.uploads()
        if not uploads:
            messages.warning(request, _("没有选择要上传的文件。"))
            return redirect(SECTION_URLS["documents"], pk=version.pk)
        try:
            version_save_documents(version_id=version.pk, actor=request.user, uploads=uploads)
        except TransitionError as exc:
            return step_refused(request, exc, back=_version_url(version))
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            return _saved(request, version, "documents")
    present = {d.doc_type: d.file for d in version.documents.select_related("file")}
    required = set(REQUIRED_DOCUMENTS) | ({QualityDocumentType.OFF_SITE} if version.off_site else set())
    rows = [{"field": form[t.value], "label": t.label, "required": t in required, "file": present.get(t.value)}
            for t in QualityDocumentType]
    return _section_page(request, version, "documents", "filing/section_documents.html",
                         {"form": form, "rows": rows})


def _item_groups(version, posted=None) -> list[dict]:
    """The catalogue offered to this version, grouped by category, with what is filed (or posted)."""
    filed = {}
    for item in version.items.select_related("exam_item", "disease"):
        entry = item.exam_item or item.disease
        filed[entry.code] = item.exam_types
    if posted is not None:
        filed = {row["code"]: row["exam_types"] for row in posted}
    groups: dict[str, dict] = {}
    is_exam = version.filing.kind == InstitutionKind.EXAMINATION
    model, field = (ExamItem, "exam_item") if is_exam else (Disease, "disease")
    editions = [e.pk for e in current_editions(EditionKind.EXAM_ITEMS if is_exam else EditionKind.DISEASES)]
    # Items filed under an edition no longer in force stay on offer until the institution removes them.
    entries = model.objects.filter(Q(edition__in=editions) | Q(pk__in=version.items.values(field)))
    # select_related: each row prints its category.
    entries = entries.select_related("category").order_by("category__order", "edition__code", "order")
    exam_types = ExamType.choices if version.filing.kind == InstitutionKind.EXAMINATION else []
    for entry in entries:
        group = groups.setdefault(entry.category.code, {"category": entry.category, "rows": []})
        chosen = entry.code in filed
        types = filed.get(entry.code) if chosen else [t.value for t in ROUTINE_EXAM_TYPES]
        group["rows"].append({
            "entry": entry, "checked": chosen,
            "types": [(value, label, value in types) for value, label in exam_types],
        })
    return list(groups.values())


@require_capability("filing.edit_own")
def edit_items(request, pk: int):
    version, redirected = _draft_or_redirect(request, pk)
    if redirected:
        return redirected
    form = ItemsForm(request.POST or None, initial={"off_site": version.off_site})
    service_errors, posted = [], None
    if request.method == "POST":
        if form.is_valid():
            posted = form.cleaned_data["items"]
            try:
                version_save_items(version_id=version.pk, actor=request.user,
                                   off_site=form.cleaned_data["off_site"], items=posted)
            except TransitionError as exc:
                return step_refused(request, exc, back=_version_url(version))
            except ValidationError as exc:
                service_errors = exc.messages
            else:
                return _saved(request, version, "items")
        else:
            service_errors = form.non_field_errors()
    return _section_page(request, version, "items", "filing/section_items.html", {
        "form": form, "groups": _item_groups(version, posted), "service_errors": service_errors,
        "is_exam": version.filing.kind == InstitutionKind.EXAMINATION,
    })


# ---- Completeness and submission (institution) ---------------------------------------------

def _grouped_deficiencies(version) -> list[dict]:
    labels = dict(SECTIONS)
    groups: dict[str, dict] = {}
    for d in check_version(version):
        group = groups.setdefault(d.section, {
            "label": labels.get(d.section, d.section), "items": [],
            "url": reverse(SECTION_URLS[d.section], args=[version.pk]) if d.section in SECTION_URLS else None,
        })
        group["items"].append(d)
    return list(groups.values())


@require_capability("filing.view")
def completeness(request, pk: int):
    version = get_object_or_404(versions_for(request.user), pk=pk)
    groups = _grouped_deficiencies(version)
    return render(request, "filing/completeness.html", {
        "version": version, "filing": version.filing, "groups": groups,
        "count": sum(len(g["items"]) for g in groups),
        "can_submit": has_capability(request.user, "filing.edit_own") and version.status in VERSION_EDITABLE,
        "sections": [(key, label, reverse(SECTION_URLS[key], args=[version.pk])) for key, label in SECTIONS],
    })


@require_capability("filing.edit_own")
@require_POST
def submit(request, pk: int):
    version = get_object_or_404(versions_for(request.user), pk=pk)
    try:
        version = version_submit(version_id=version.pk, actor=request.user)
    except TransitionError as exc:
        return step_refused(request, exc, status=_refused_status(request, pk), back=_version_url(version))
    except ValidationError:
        messages.error(request, _("备案信息尚不完整，未能提交。请按下列一次性告知事项补正后再提交。"))
        return redirect("filing:completeness", pk=version.pk)
    messages.success(request, _("已提交。受理部门将在%(date)s前出具备案回执或一次性告知。")
                     % {"date": version.receipt_due_on})
    if version.filed_late:
        messages.warning(request, _("本次备案已超过规定期限（逾期备案），该情况将记录并提供给监督部门。"))
    return redirect(_version_url(version))


@require_capability("filing.edit_own")
@require_POST
def withdraw(request, pk: int):
    version = get_object_or_404(versions_for(request.user), pk=pk)
    try:
        version_withdraw(version_id=version.pk, actor=request.user)
    except TransitionError as exc:
        return step_refused(request, exc, status=_refused_status(request, pk), back=_version_url(version))
    messages.success(request, _("已撤回本次变更，现行备案信息不变。"))
    return redirect("filing:detail", pk=version.filing_id)


# ---- Reading: filing, version, files, history ----------------------------------------------

@require_capability("filing.view")
def filing_detail(request, pk: int):
    filing = get_object_or_404(filings_for(request.user), pk=pk)
    versions = list(versions_for(request.user).filter(filing=filing).order_by("-number"))
    is_owner = has_capability(request.user, "filing.edit_own")
    return render(request, "filing/filing_detail.html", {
        "filing": filing, "open": open_version(filing) if is_owner else None, "versions": versions,
        "is_owner": is_owner, "can_cancel": _may_cancel(request.user) and filing.status != FilingStatus.CANCELLED,
        "can_change": is_owner and filing.status == FilingStatus.ACCEPTED and open_version(filing) is None,
    })


@require_capability("filing.view")
def version_detail(request, pk: int):
    version = get_object_or_404(version_with_data(versions_for(request.user)), pk=pk)
    user = request.user
    staff = list(version.staff.all())
    codes = sorted({c for s in staff for c in s.diagnosis_qualification})
    labels = dict(zip(codes, qualification_labels(codes), strict=True))
    for member in staff:
        member.qualification_labels = [labels[c] for c in member.diagnosis_qualification]
    can_decide = has_capability(user, "filing.decide") and version.status == VersionStatus.SUBMITTED
    return render(request, "filing/version_detail.html", {
        "version": version, "filing": version.filing, "groups": items_by_category(version),
        "deficiencies": check_version(version), "can_decide": can_decide,
        "is_owner": has_capability(user, "filing.edit_own"), "today": timezone.localdate(),
        "editable": version.status in VERSION_EDITABLE,
        "sections": [(key, label, reverse(SECTION_URLS[key], args=[version.pk])) for key, label in SECTIONS],
    })


def _version_file_ids(version) -> set[int]:
    ids = {version.licence_copy_id, version.radiation_licence_copy_id, version.receipt_id}
    ids |= {d.file_id for d in version.documents.all()}
    ids |= {c.copy_id for s in version.staff.all() for c in s.certificates.all()}
    return {i for i in ids if i}


@require_capability("filing.view")
def version_file(request, pk: int, file_pk: int):
    """A document filed with a version; only files that this version names are served."""
    version = get_object_or_404(version_with_data(versions_for(request.user)), pk=pk)
    if file_pk not in _version_file_ids(version):
        raise Http404
    return _file_response(StoredFile.objects.get(pk=file_pk))


@require_capability("filing.view")
def receipt(request, pk: int):
    """The filing receipt of an accepted version; rendered now if the task has not stored it yet."""
    version = get_object_or_404(versions_for(request.user).filter(status__in=DECIDED_STATUSES), pk=pk)
    stored = version.receipt or receipt_render_and_store(version_id=version.pk)
    if stored is None:
        raise Http404
    return _file_response(stored)


@require_capability("filing.view")
def history(request, pk: int):
    filing = get_object_or_404(filings_for(request.user), pk=pk)
    return render(request, "filing/history.html", {"filing": filing, "entries": filing_history(request.user, filing)})


# ---- Change and cancellation ------------------------------------------------------------------

@require_capability("filing.edit_own")
def change(request, pk: int):
    filing = get_object_or_404(filings_for(request.user), pk=pk)
    form = ChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = change_start(filing_id=filing.pk, actor=request.user, changed_on=form.cleaned_data["changed_on"],
                                   summary=form.cleaned_data["summary"])
        except TransitionError as exc:
            return step_refused(request, exc, back=reverse("filing:detail", args=[filing.pk]))
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已开始变更备案。请修改发生变化的部分后提交；变更受理前，现行备案信息继续公示。"))
            return redirect(SECTION_URLS["basic"], pk=version.pk)
    return render(request, "filing/change_form.html", {"filing": filing, "form": form})


def _may_cancel(user) -> bool:
    return has_capability(user, "filing.edit_own") or has_capability(user, "filing.decide")


@require_capability("filing.view")
def cancel(request, pk: int):
    """注销, by the institution itself or by the provincial authority; the history is kept."""
    if not _may_cancel(request.user):
        raise PermissionDenied
    filing = get_object_or_404(filings_for(request.user), pk=pk)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            filing_cancel(filing_id=filing.pk, actor=request.user, reason=form.cleaned_data["reason"])
        except TransitionError as exc:
            return step_refused(request, exc, back=reverse("filing:detail", args=[filing.pk]))
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已注销备案。该机构已从公开名录中移除，历史记录仍可查阅。"))
            return redirect("filing:detail", pk=filing.pk)
    return render(request, "filing/cancel_form.html", {"filing": filing, "form": form})


# ---- Authority: queue and decisions ----------------------------------------------------------

@require_capability("filing.view_queue")
def queue(request):
    versions = queue_for(request.user)
    kind = request.GET.get("kind", "")
    if kind in VersionKind.values:
        versions = versions.filter(version_kind=kind)
    if request.GET.get("overdue") == "1":  # the dashboards link here for the overdue figure
        versions = versions.filter(receipt_due_on__lt=timezone.localdate())
    page = Paginator(versions, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "filing/queue.html", {
        "page": page, "today": timezone.localdate(), "kind": kind, "kinds": VersionKind.choices,
        "query": query_without_page(request),
    })


@require_capability("filing.decide")
@require_POST
def accept(request, pk: int):
    version = get_object_or_404(versions_for(request.user), pk=pk)
    try:
        version_accept(version_id=version.pk, actor=request.user)
    except TransitionError as exc:
        return step_refused(request, exc, status=_refused_status(request, pk), back=_version_url(version))
    version.filing.refresh_from_db()
    messages.success(request, _("已受理并备案，备案编号：%(number)s。可下载备案回执。")
                     % {"number": version.filing.filing_number})
    return redirect(_version_url(version))


@require_capability("filing.decide")
def return_version(request, pk: int):
    """退回 with the complete list of deficiencies, prefilled from the automatic check."""
    version = get_object_or_404(versions_for(request.user), pk=pk)
    if request.method != "POST" and version.status != VersionStatus.SUBMITTED:
        messages.warning(request, _("该版本不在待受理状态。"))
        return redirect(_version_url(version))
    automatic = check_version(version)
    form = ReturnForm(request.POST or None, initial={"deficiencies": "\n".join(d.message for d in automatic)})
    if request.method == "POST" and form.is_valid():
        try:
            version_return(version_id=version.pk, actor=request.user, deficiencies=form.cleaned_data["deficiencies"],
                           note=form.cleaned_data["note"])
        except TransitionError as exc:
            return step_refused(request, exc, status=_refused_status(request, pk), back=_version_url(version))
        except ValidationError as exc:
            form_errors_to(form, exc)
        else:
            messages.success(request, _("已退回，并一次性告知需要补正的全部事项。"))
            return redirect(_version_url(version))
    return render(request, "filing/return_form.html", {"version": version, "filing": version.filing, "form": form,
                                                       "automatic": automatic})
