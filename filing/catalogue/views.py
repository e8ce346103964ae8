import hashlib
import uuid
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.accounts.permissions import has_capability, require_capability

from . import selectors
from .choices import EditionKind, ExamCategoryCode, ExamType
from .exporters import catalogue_export_xlsx, catalogue_template_xlsx
from .forms import EditionForm, ImportForm
from .importers import Issue
from .models import CatalogueEdition, Disease, ExamItem
from .services import ImportResult, catalogue_edition_delete, catalogue_edition_update, catalogue_import_xlsx

PENDING_KEY = "catalogue_import_pending"
PENDING_DIR = "catalogue-imports"
PENDING_MAX_AGE = timedelta(days=1)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PAGE_SIZE = 200


def _xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_capability("catalogue.view")
def catalogue_index(request):
    editions = list(selectors.editions_list())
    in_force = {e.pk for e in selectors.pick_current(editions, timezone.localdate())}
    categories = selectors.exam_categories().annotate(
        current_items=Count("items", filter=Q(items__edition__in=in_force)))
    return render(request, "catalogue/index.html", {
        "exam_editions": [e for e in editions if e.kind == EditionKind.EXAM_ITEMS],
        "disease_editions": [e for e in editions if e.kind == EditionKind.DISEASES],
        "in_force": in_force,
        "categories": categories,
        "exam_types": ExamType.choices,
        "can_manage": has_capability(request.user, "catalogue.manage"),
        "can_edit": has_capability(request.user, "catalogue.edit"),
    })


@require_capability("catalogue.view")
def edition_detail(request, code):
    edition = get_object_or_404(CatalogueEdition, code=code)
    context = {"edition": edition, "can_edit": has_capability(request.user, "catalogue.edit"),
               "in_force": edition.in_force_on(timezone.localdate())}
    if edition.kind == EditionKind.DISEASES:
        # select_related: each row shows its category beside the disease.
        rows = Disease.objects.filter(edition=edition).select_related("category").order_by("order")
        context["categories"] = edition.disease_categories.order_by("order")
    else:
        category = request.GET.get("category", "")
        # select_related: each row shows its category beside the item.
        rows = ExamItem.objects.filter(edition=edition).select_related("category").order_by("category__order",
                                                                                            "order")
        if category in ExamCategoryCode.values:
            rows = rows.filter(category__code=category)
            context["query"] = f"category={category}"
        context.update(category=category, category_choices=ExamCategoryCode.choices)
    context["page"] = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "catalogue/edition_detail.html", context)


@require_capability("catalogue.view")
def edition_export(request, code):
    edition = get_object_or_404(CatalogueEdition, code=code)
    return _xlsx_response(catalogue_export_xlsx(edition), f"{edition.code}.xlsx")


@require_capability("catalogue.manage")
def template_download(request):
    return _xlsx_response(catalogue_template_xlsx(), "catalogue-template.xlsx")


def _discard_pending(request) -> None:
    pending = request.session.pop(PENDING_KEY, None)
    if pending:
        path = f"{PENDING_DIR}/{pending['token']}.xlsx"
        if default_storage.exists(path):
            default_storage.delete(path)


def _purge_stale_pending() -> None:
    """Uploads checked but never confirmed are removed after a day."""
    if not default_storage.exists(PENDING_DIR):
        return
    cutoff = timezone.now() - PENDING_MAX_AGE
    for name in default_storage.listdir(PENDING_DIR)[1]:
        path = f"{PENDING_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)


@require_capability("catalogue.manage")
def import_upload(request):
    """Step one: upload and dry run. Every issue is listed; a clean file waits for confirmation."""
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        _discard_pending(request)
        result = catalogue_import_xlsx(file=upload, actor=request.user, dry_run=True)
        if result.ok:
            _purge_stale_pending()
            upload.seek(0)
            content = upload.read()
            token = uuid.uuid4().hex
            default_storage.save(f"{PENDING_DIR}/{token}.xlsx", ContentFile(content))
            request.session[PENDING_KEY] = {"token": token, "name": upload.name,
                                            "sha256": hashlib.sha256(content).hexdigest()}
    status = 400 if result is not None and not result.ok else 200
    return render(request, "catalogue/import.html", {"form": form, "result": result}, status=status)


@require_POST
@require_capability("catalogue.manage")
def import_confirm(request):
    """Step two: commit the file checked in step one, all or nothing."""
    pending = request.session.get(PENDING_KEY)
    path = f"{PENDING_DIR}/{pending['token']}.xlsx" if pending else None
    if not pending or not default_storage.exists(path):
        messages.error(request, _("没有待确认的导入，请重新上传文件。"))
        return redirect("catalogue:import")
    with default_storage.open(path, "rb") as fh:
        content = fh.read()
    if hashlib.sha256(content).hexdigest() != pending["sha256"]:
        _discard_pending(request)
        messages.error(request, _("待导入的文件已变化，请重新上传。"))
        return redirect("catalogue:import")
    try:
        result = catalogue_import_xlsx(file=ContentFile(content, name=pending["name"]), actor=request.user)
    except ValidationError as exc:
        # Something changed since the dry run (e.g. another province imported the same code first).
        _discard_pending(request)
        issues = [Issue(m) for m in exc.message_dict.get("file", exc.messages)]
        return render(request, "catalogue/import.html",
                      {"form": ImportForm(), "result": ImportResult(data=None, issues=issues)}, status=400)
    _discard_pending(request)
    edition = result.edition
    messages.success(request, _("已导入版本 %(code)s，共 %(n)s 条。") % {"code": edition.code, "n": len(result.data.rows)})
    return redirect("catalogue:edition", code=edition.code)


@require_capability("catalogue.edit")
def edition_edit(request, code):
    edition = get_object_or_404(CatalogueEdition, code=code)
    form = EditionForm(request.POST or None, instance=edition)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            catalogue_edition_update(edition_id=edition.pk, actor=request.user, **data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("已保存版本 %(code)s。") % {"code": code})
            return redirect("catalogue:edition", code=code)
    return render(request, "catalogue/edition_form.html", {"form": form, "edition": edition})


@require_POST
@require_capability("catalogue.edit")
def edition_delete(request, code):
    edition = get_object_or_404(CatalogueEdition, code=code)
    try:
        catalogue_edition_delete(edition_id=edition.pk, actor=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("catalogue:edition", code=code)
    messages.success(request, _("已删除版本 %(code)s。") % {"code": code})
    return redirect("catalogue:index")
