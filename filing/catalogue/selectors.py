"""Reading catalogues. They are national and unscoped: callers check "catalogue.view", not a tenant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .choices import EditionKind
from .models import CatalogueEdition, Disease, DiseaseCategory, ExamCategory, ExamItem

# The standard a filing's exam items come from unless a series is named; radiation items come from GBZ 98.
DEFAULT_SERIES = {EditionKind.EXAM_ITEMS: "GBZ188", EditionKind.DISEASES: "OD"}


def _in_force(on_date: date) -> Q:
    return Q(is_active=True, effective_from__lte=on_date) & (
        Q(effective_to__isnull=True) | Q(effective_to__gte=on_date))


def editions_list(kind: str | None = None) -> QuerySet[CatalogueEdition]:
    qs = CatalogueEdition.objects.annotate(
        item_count=Count("exam_items", distinct=True), disease_count=Count("diseases", distinct=True))
    if kind:
        qs = qs.filter(kind=kind)
    return qs.order_by("kind", "series", "-effective_from")


def current_edition(kind: str, on_date: date | None = None, *, series: str | None = None) -> CatalogueEdition | None:
    """The edition of one standard in force on ``on_date`` (today by default).

    Without ``series`` the kind's main standard is meant: GBZ 188 for exam items, the
    occupational disease catalogue for diseases. Of two editions in force, the one
    that took effect later wins: GBZ188-2025 from 2026-08-01 even if 2014 has no end date.
    """
    on_date = on_date or timezone.localdate()
    series = series or DEFAULT_SERIES.get(kind)
    return (CatalogueEdition.objects.filter(_in_force(on_date), kind=kind, series=series)
            .order_by("-effective_from", "-pk").first())


def current_editions(kind: str, on_date: date | None = None) -> list[CatalogueEdition]:
    """One edition per standard in force on ``on_date``: for exam items GBZ 188 and GBZ 98."""
    on_date = on_date or timezone.localdate()
    return pick_current(CatalogueEdition.objects.filter(_in_force(on_date), kind=kind), on_date)


def pick_current(editions: Iterable[CatalogueEdition], on_date: date) -> list[CatalogueEdition]:
    """From editions already fetched, the one in force per (kind, series), as :func:`current_edition` chooses."""
    chosen: dict[tuple[str, str], CatalogueEdition] = {}
    for edition in sorted(editions, key=lambda e: (e.effective_from, e.pk), reverse=True):
        if edition.in_force_on(on_date):
            chosen.setdefault((edition.kind, edition.series), edition)
    return sorted(chosen.values(), key=lambda e: e.code)


def exam_categories() -> QuerySet[ExamCategory]:
    return ExamCategory.objects.order_by("order")


def items_for(edition_codes: Iterable[str] | None = None,
              category: ExamCategory | str | None = None) -> QuerySet[ExamItem]:
    """Exam items of the given editions (default: every standard's edition in force today), by category."""
    if edition_codes is None:
        qs = ExamItem.objects.filter(edition__in=[e.pk for e in current_editions(EditionKind.EXAM_ITEMS)])
    else:
        qs = ExamItem.objects.filter(edition__code__in=list(edition_codes))
    if category is not None:
        qs = qs.filter(category__code=getattr(category, "code", category))
    # select_related: every caller shows the category and the edition beside the item.
    return qs.select_related("edition", "category").order_by("category__order", "edition__code", "order")


def disease_categories_for(edition_code: str | None = None) -> QuerySet[DiseaseCategory]:
    edition = (CatalogueEdition.objects.filter(code=edition_code).first() if edition_code
               else current_edition(EditionKind.DISEASES))
    return DiseaseCategory.objects.filter(edition=edition).order_by("order")


def diseases_for(edition_code: str | None = None, category: DiseaseCategory | None = None) -> QuerySet[Disease]:
    edition = (CatalogueEdition.objects.filter(code=edition_code).first() if edition_code
               else current_edition(EditionKind.DISEASES))
    qs = Disease.objects.filter(edition=edition)
    if category is not None:
        qs = qs.filter(category=category)
    return qs.select_related("category").order_by("order")
