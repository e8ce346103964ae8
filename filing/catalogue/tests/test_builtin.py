from datetime import date

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction

from filing.catalogue import selectors
from filing.catalogue.choices import EditionKind, ExamCategoryCode, ExamType
from filing.catalogue.models import CatalogueEdition, Disease, DiseaseCategory, ExamCategory, ExamItem
from filing.catalogue.services import catalogue_load_builtin
from portal.audit.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_builtin_load_counts(catalogues):
    assert ExamCategory.objects.count() == 6
    assert list(ExamCategory.objects.values_list("code", flat=True)) == [
        "dust", "chemical", "physical", "biological", "radiation", "other"]
    gbz188 = CatalogueEdition.objects.get(code="GBZ188-2014")
    assert gbz188.kind == EditionKind.EXAM_ITEMS and gbz188.series == "GBZ188"
    per_category = {code: ExamItem.objects.filter(edition=gbz188, category__code=code).count()
                    for code in ExamCategoryCode.values}
    assert per_category == {"chemical": 59, "dust": 6, "physical": 6, "biological": 4, "radiation": 0, "other": 9}
    assert ExamItem.objects.get(code="GBZ188-2014:6.1").name == "矽尘"
    assert ExamItem.objects.get(code="GBZ188-2014:5.1").name == "铅及其无机化合物"
    assert ExamItem.objects.get(code="GBZ188-2014:9.9").name == "航空作业"
    radiation = ExamItem.objects.filter(edition__code="GBZ98-2020")
    assert radiation.exists() and all(item.is_radiation for item in radiation)
    assert not ExamItem.objects.get(code="GBZ188-2014:7.1").is_radiation

    od = CatalogueEdition.objects.get(code="OD-2013")
    assert DiseaseCategory.objects.filter(edition=od).count() == 10
    assert Disease.objects.filter(edition=od).count() == 132
    sizes = [c.diseases.count() for c in DiseaseCategory.objects.filter(edition=od).order_by("order")]
    assert sizes == [19, 9, 3, 4, 60, 7, 11, 5, 11, 3]
    assert Disease.objects.get(code="OD-2013:1.1").name == "矽肺"
    assert Disease.objects.filter(edition=od, category__number="1", group="尘肺病").count() == 13


def test_exam_types():
    assert [label for _value, label in ExamType.choices] == ["上岗前", "在岗期间", "离岗时", "应急", "离岗后医学随访"]


def test_builtin_load_is_idempotent(catalogues):
    counts = (ExamItem.objects.count(), Disease.objects.count(), CatalogueEdition.objects.count())
    audits = AuditEntry.objects.count()
    summary = catalogue_load_builtin()
    assert all(c["created"] == 0 and c["updated"] == 0 for c in summary.values())
    assert (ExamItem.objects.count(), Disease.objects.count(), CatalogueEdition.objects.count()) == counts
    assert AuditEntry.objects.count() == audits


def test_reload_repairs_a_changed_name_without_touching_dates(catalogues):
    item = ExamItem.objects.get(code="GBZ188-2014:6.1")
    ExamItem.objects.filter(pk=item.pk).update(name="错")
    CatalogueEdition.objects.filter(code="GBZ188-2014").update(effective_to=date(2026, 7, 31))
    summary = catalogue_load_builtin()
    assert summary["GBZ188-2014"] == {"created": 0, "updated": 1}
    item.refresh_from_db()
    assert item.name == "矽尘"
    assert CatalogueEdition.objects.get(code="GBZ188-2014").effective_to == date(2026, 7, 31)


def test_load_reference_data_command_reports_catalogues(db, capsys):
    from django.apps import apps

    line = apps.get_app_config("catalogue").load_reference_data()
    assert line.startswith("catalogues: ") and "GBZ188-2014 +" in line


def test_item_codes_unique_across_editions(catalogues):
    gbz188 = CatalogueEdition.objects.get(code="GBZ188-2014")
    codes = list(ExamItem.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))
    assert all(code.startswith(f"{edition}:") for code, edition in ExamItem.objects.values_list("code", "edition__code"))
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamItem.objects.create(edition=gbz188, category=ExamCategory.objects.get(code="dust"), clause="6.1b",
                                name="x", code="GBZ188-2014:6.1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ExamItem.objects.create(edition=gbz188, category=ExamCategory.objects.get(code="dust"), clause="6.1",
                                name="x", code="GBZ188-2014:other")


def test_selectors(catalogues):
    assert selectors.current_edition(EditionKind.EXAM_ITEMS, date(2025, 1, 1)).code == "GBZ188-2014"
    assert selectors.current_edition(EditionKind.EXAM_ITEMS, date(2025, 1, 1), series="GBZ98").code == "GBZ98-2020"
    assert selectors.current_edition(EditionKind.EXAM_ITEMS, date(2014, 9, 30)) is None
    assert selectors.current_edition(EditionKind.DISEASES, date(2025, 1, 1)).code == "OD-2013"
    assert [e.code for e in selectors.current_editions(EditionKind.EXAM_ITEMS, date(2025, 1, 1))] == [
        "GBZ188-2014", "GBZ98-2020"]
    assert selectors.items_for(["GBZ188-2014"], category="dust").count() == 6
    dust = ExamCategory.objects.get(code="dust")
    assert selectors.items_for(["GBZ188-2014"], category=dust).count() == 6
    radiation = selectors.items_for(category=ExamCategoryCode.RADIATION)
    assert radiation.count() == ExamItem.objects.filter(edition__code="GBZ98-2020").count()
    assert selectors.items_for().count() == ExamItem.objects.count()
    assert selectors.diseases_for().count() == 132
    assert selectors.disease_categories_for("OD-2013").count() == 10


def test_switched_off_edition_is_not_current(catalogues):
    CatalogueEdition.objects.filter(code="GBZ188-2014").update(is_active=False)
    assert selectors.current_edition(EditionKind.EXAM_ITEMS, date(2025, 1, 1)) is None


def test_load_reference_data_management_command(reference_data, capsys):
    call_command("load_reference_data")
    assert "catalogues:" in capsys.readouterr().out
    assert ExamItem.objects.filter(edition__code="GBZ188-2014").count() == 84
