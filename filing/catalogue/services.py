"""Writing catalogues: the built-in load, Excel imports and the few edits a platform administrator makes.

Who may change what (catalogues are national and shared by every province):
- A loaded edition's items are never rewritten through the portal. A revised
  standard is a new edition beside the old one; filings keep the items they chose.
- Provincial administrators ("catalogue.manage") may import an edition whose code
  is new. They cannot change or replace an existing edition, because that would
  change another province's data.
- Platform administrators (superusers, "catalogue.edit") may correct an edition's
  name and dates, switch it off, or delete an imported edition nothing refers to.
- The built-in files are loaded by ``manage.py load_reference_data``; re-running it
  adds what is missing and corrects names and order of built-in editions in place.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import translation
from django.utils.translation import gettext as _

from portal.accounts.permissions import has_capability
from portal.audit.services import audit, snapshot

from . import importers
from .choices import EditionKind, EditionSource, ExamCategoryCode
from .importers import EditionData, Issue
from .models import CatalogueEdition, Disease, DiseaseCategory, ExamCategory, ExamItem

DATA_DIR = Path(__file__).resolve().parent / "data"
MANIFEST = DATA_DIR / "editions.json"


@dataclass
class ImportResult:
    """What an import found: the parsed edition, every issue, and the edition created when committed."""

    data: EditionData | None
    issues: list[Issue] = field(default_factory=list)
    edition: CatalogueEdition | None = None

    @property
    def ok(self) -> bool:
        return self.data is not None and not self.issues

    @property
    def messages(self) -> list[str]:
        return [str(i) for i in self.issues]


def _database_context() -> dict:
    return {
        "existing_codes": frozenset(CatalogueEdition.objects.values_list("code", flat=True)),
        "series_kinds": dict(CatalogueEdition.objects.values_list("series", "kind").distinct()),
    }


def exam_categories_sync() -> int:
    """The six exam categories, named in Chinese whatever the active language; returns how many were created."""
    created = 0
    with translation.override("zh-hans"):
        for order, (code, label) in enumerate(ExamCategoryCode.choices, start=1):
            _row, was_created = ExamCategory.objects.update_or_create(
                code=code, defaults={"name": str(label), "order": order})
            created += was_created
    return created


def _create_entries(edition: CatalogueEdition, data: EditionData) -> int:
    if edition.kind == EditionKind.DISEASES:
        categories = DiseaseCategory.objects.bulk_create([
            DiseaseCategory(edition=edition, number=c.clause, name=c.name, code=f"{edition.code}:{c.clause}",
                            order=index)
            for index, c in enumerate(data.categories, start=1)
        ])
        by_number = {c.number: c for c in categories}
        Disease.objects.bulk_create([
            Disease(edition=edition, category=by_number[r.category], number=r.clause, name=r.name, group=r.group,
                    code=f"{edition.code}:{r.clause}", order=index)
            for index, r in enumerate(data.rows, start=1)
        ], batch_size=500)
    else:
        categories = {c.code: c for c in ExamCategory.objects.all()}
        ExamItem.objects.bulk_create([
            ExamItem(edition=edition, category=categories[r.category], clause=r.clause, name=r.name,
                     code=f"{edition.code}:{r.clause}", order=index)
            for index, r in enumerate(data.rows, start=1)
        ], batch_size=500)
    return len(data.rows)


def _edition_create(*, data: EditionData, actor, source: str) -> CatalogueEdition:
    try:
        with transaction.atomic():
            edition = CatalogueEdition.objects.create(
                code=data.code, series=data.series, name=data.name, kind=data.kind,
                effective_from=data.effective_from, effective_to=data.effective_to, source=source,
                imported_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
            count = _create_entries(edition, data)
    except IntegrityError:
        # Another import took the same code between validation and insert.
        raise ValidationError({"code": _("版本「%(code)s」已存在。") % {"code": data.code}}) from None
    audit(actor=actor, obj=edition, action="catalogue.edition.created",
          new={**snapshot(edition, ["code", "name", "kind", "effective_from", "effective_to", "source"]),
               "entries": count, "categories": len(data.categories)})
    return edition


# ---------------------------------------------------------------- built-in data


def _builtin_editions() -> list[dict]:
    with open(MANIFEST, encoding="utf-8") as fh:
        return json.load(fh)["editions"]


def _sync_builtin(edition: CatalogueEdition, data: EditionData) -> dict:
    """Add missing entries of a built-in edition and correct names and order; nothing is deleted."""
    created = updated = 0
    if edition.kind == EditionKind.DISEASES:
        cats = {c.number: c for c in DiseaseCategory.objects.filter(edition=edition)}
        for order, c in enumerate(data.categories, start=1):
            row = cats.get(c.clause)
            if row is None:
                cats[c.clause] = DiseaseCategory.objects.create(
                    edition=edition, number=c.clause, name=c.name, code=f"{edition.code}:{c.clause}", order=order)
                created += 1
            elif (row.name, row.order) != (c.name, order):
                row.name, row.order = c.name, order
                row.save(update_fields=["name", "order"])
                updated += 1
        existing = {d.number: d for d in Disease.objects.filter(edition=edition)}
        for order, r in enumerate(data.rows, start=1):
            row, category = existing.get(r.clause), cats[r.category]
            if row is None:
                Disease.objects.create(edition=edition, category=category, number=r.clause, name=r.name,
                                       group=r.group, code=f"{edition.code}:{r.clause}", order=order)
                created += 1
            elif (row.name, row.group, row.order, row.category_id) != (r.name, r.group, order, category.pk):
                row.name, row.group, row.order, row.category = r.name, r.group, order, category
                row.save(update_fields=["name", "group", "order", "category"])
                updated += 1
    else:
        categories = {c.code: c for c in ExamCategory.objects.all()}
        existing = {i.clause: i for i in ExamItem.objects.filter(edition=edition)}
        for order, r in enumerate(data.rows, start=1):
            row, category = existing.get(r.clause), categories[r.category]
            if row is None:
                ExamItem.objects.create(edition=edition, category=category, clause=r.clause, name=r.name,
                                        code=f"{edition.code}:{r.clause}", order=order)
                created += 1
            elif (row.name, row.order, row.category_id) != (r.name, order, category.pk):
                row.name, row.order, row.category = r.name, order, category
                row.save(update_fields=["name", "order", "category"])
                updated += 1
    return {"created": created, "updated": updated}


@transaction.atomic
def catalogue_load_builtin() -> dict:
    """Load the shipped editions (idempotent). Returns counts per edition code."""
    exam_categories_sync()
    summary = {}
    for meta in _builtin_editions():
        data = importers.read_builtin(DATA_DIR / meta["file"], code=meta["code"], name=meta["name"],
                                      kind=meta["kind"], effective_from=meta["effective_from"],
                                      effective_to=meta.get("effective_to"))
        issues = importers.validate_edition(data)
        if issues:
            raise ImproperlyConfigured(f"{meta['file']}: " + "; ".join(str(i) for i in issues))
        edition = CatalogueEdition.objects.select_for_update().filter(code=data.code).first()
        if edition is None:
            edition = _edition_create(data=data, actor=None, source=EditionSource.BUILTIN)
            summary[data.code] = {"created": len(data.rows) + len(data.categories), "updated": 0}
        elif edition.source != EditionSource.BUILTIN:
            # Someone imported this code before it shipped; their edition stands.
            summary[data.code] = {"created": 0, "updated": 0, "skipped": True}
        else:
            counts = _sync_builtin(edition, data)
            if counts["created"] or counts["updated"]:
                audit(actor=None, obj=edition, action="catalogue.edition.synced", new=counts)
            summary[data.code] = counts
    return summary


# ---------------------------------------------------------------- Excel import


def catalogue_import_xlsx(*, file, actor, dry_run: bool = False) -> ImportResult:
    """Import one edition from an uploaded workbook, all or nothing.

    ``dry_run`` returns every issue by sheet, row and column without writing. A
    real run raises ValidationError listing the issues if there are any, so nothing
    is half-saved. ``actor`` None means the command line (platform operator).
    """
    if actor is not None and not has_capability(actor, "catalogue.manage"):
        raise PermissionDenied
    filename = getattr(file, "name", "") or ""
    size = getattr(file, "size", None)
    if size is not None and size > importers.MAX_UPLOAD_BYTES:
        # Refuse before reading an oversize upload into memory.
        content = b""
        data, issues = None, [Issue(_("文件大小 %(size).1f MB，超过上限 5 MB。") % {"size": size / 1048576})]
    else:
        if hasattr(file, "seek"):
            file.seek(0)
        content = file.read(importers.MAX_UPLOAD_BYTES + 1)
        data, issues = importers.read_xlsx(content, filename)
    if data is not None:
        flagged = {(i.sheet, i.row, i.column) for i in issues}
        issues += [i for i in importers.validate_edition(data, **_database_context())
                   if (i.sheet, i.row, i.column) not in flagged]
    result = ImportResult(data=data, issues=issues)
    if dry_run:
        return result
    if not result.ok:
        raise ValidationError({"file": result.messages})
    result.edition = _edition_create(data=data, actor=actor, source=EditionSource.IMPORTED)
    return result


# ---------------------------------------------------------------- platform administrator edits


def _require_editor(actor) -> None:
    if actor is not None and not has_capability(actor, "catalogue.edit"):
        raise PermissionDenied


@transaction.atomic
def catalogue_edition_update(*, edition_id: int, actor, name: str, effective_from: date,
                             effective_to: date | None, is_active: bool) -> CatalogueEdition:
    """Correct an edition's name and dates or switch it off; its items stay as they are."""
    _require_editor(actor)
    edition = CatalogueEdition.objects.select_for_update().get(pk=edition_id)
    if effective_to is not None and effective_to < effective_from:
        raise ValidationError({"effective_to": _("失效日期不能早于生效日期。")})
    fields = ["name", "effective_from", "effective_to", "is_active"]
    before = snapshot(edition, fields)
    edition.name, edition.effective_from, edition.effective_to, edition.is_active = (
        name, effective_from, effective_to, is_active)
    edition.save(update_fields=[*fields, "updated_at"])
    after = snapshot(edition, fields)
    if after != before:
        audit(actor=actor, obj=edition, action="catalogue.edition.updated", old=before, new=after)
    return edition


@transaction.atomic
def catalogue_edition_delete(*, edition_id: int, actor) -> None:
    """Delete an imported edition made by mistake; refused once anything refers to its entries."""
    _require_editor(actor)
    edition = CatalogueEdition.objects.select_for_update().get(pk=edition_id)
    if edition.source == EditionSource.BUILTIN:
        raise ValidationError({"edition": _("内置版本不能删除，可改为停用。")})
    old = snapshot(edition, ["code", "name", "kind", "effective_from", "effective_to"])
    pk, label = edition.pk, str(edition)
    try:
        with transaction.atomic():
            ExamItem.objects.filter(edition=edition).delete()
            Disease.objects.filter(edition=edition).delete()
            DiseaseCategory.objects.filter(edition=edition).delete()
            edition.delete()
    except ProtectedError:
        raise ValidationError({"edition": _("已有数据引用该版本的条目，不能删除，可改为停用。")}) from None
    edition.pk = pk
    audit(actor=actor, obj=edition, action="catalogue.edition.deleted", old={**old, "label": label})
