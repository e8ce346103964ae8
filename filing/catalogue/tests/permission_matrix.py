"""Who gets what on the catalogue pages (merged by tests/test_permission_matrix.py).

Every signed-in role reads the national catalogues; provincial administrators import
new editions (the upload is a dry run, so it writes nothing until confirmed); only
platform administrators change or delete an edition.
"""

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.accounts.choices import Role
from tests.permission_matrix import NOT_ALLOWED, REFUSED, WRITTEN, Entry, everyone, only, signed_in

PROVINCE_ADMIN = Role.PROVINCE_ADMIN.value
IMPORTED = "GBZ188-2025"


def _loaded(ctx) -> None:
    from filing.catalogue.services import catalogue_load_builtin

    catalogue_load_builtin()


def _edition_url(name):
    def url(ctx):
        _loaded(ctx)
        return reverse(name, args=["GBZ188-2014"])
    return url


def _imported_edition_url(ctx):
    from filing.catalogue.exporters import catalogue_template_xlsx
    from filing.catalogue.models import CatalogueEdition
    from filing.catalogue.services import catalogue_import_xlsx

    _loaded(ctx)
    if not CatalogueEdition.objects.filter(code=IMPORTED).exists():
        catalogue_import_xlsx(file=ContentFile(catalogue_template_xlsx(), name="template.xlsx"), actor=None)
    return reverse("catalogue:edition-delete", args=[IMPORTED])


def _import_form(ctx, caller):
    from filing.catalogue.exporters import catalogue_template_xlsx

    return {"file": SimpleUploadedFile("template.xlsx", catalogue_template_xlsx())}


def _edition_form(ctx, caller):
    return {"name": f"改名 {caller}", "effective_from": "2014-10-01", "effective_to": "", "is_active": "on"}


MATRIX = {
    "catalogue:index": Entry(signed_in()),
    "catalogue:edition": Entry(signed_in(), url=_edition_url("catalogue:edition")),
    "catalogue:edition-export": Entry(signed_in(), url=_edition_url("catalogue:edition-export")),
    "catalogue:template": Entry(only(PROVINCE_ADMIN)),
    "catalogue:import": Entry(
        only(PROVINCE_ADMIN), post=only(PROVINCE_ADMIN, allowed=REFUSED), data=_import_form,
        note="the upload is a dry run: nothing is written until the import is confirmed",
    ),
    "catalogue:import-confirm": Entry(
        everyone(NOT_ALLOWED), post=only(PROVINCE_ADMIN, allowed=REFUSED), data=lambda ctx, caller: {},
        note="POST only; with no checked upload pending it sends the caller back to the upload page",
    ),
    "catalogue:edition-edit": Entry(
        only(), url=_edition_url("catalogue:edition-edit"), post=only(allowed=WRITTEN), data=_edition_form,
        note="platform administrators only: catalogues are shared by every province",
    ),
    "catalogue:edition-delete": Entry(
        everyone(NOT_ALLOWED), url=_imported_edition_url, post=only(allowed=WRITTEN), data=lambda ctx, caller: {},
        note="POST only; deletes an imported edition nothing refers to",
    ),
}
