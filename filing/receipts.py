"""The filing receipt (备案回执): a PDF derived from an accepted version, stored once."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from portal.core.models import StoredFile
from portal.core.pdf import qr_data_uri, render_pdf

from .choices import VersionStatus
from .models import FilingVersion


def public_entry_url(filing) -> str:
    return settings.PUBLIC_BASE_URL + reverse("directory:detail", args=[filing.filing_number])


def receipt_context(version: FilingVersion) -> dict:
    filing = version.filing
    items = list(version.items.select_related("exam_item__category", "disease__category").order_by("pk"))
    categories: dict[str, dict] = {}
    for item in items:
        entry = item.exam_item or item.disease
        category = entry.category
        group = categories.setdefault(category.code, {"name": category.name, "items": []})
        group["items"].append(entry.name)
    url = public_entry_url(filing)
    return {
        "version": version,
        "filing": filing,
        "categories": list(categories.values()),
        "public_url": url,
        "qr": qr_data_uri(url),
        "issued_on": timezone.localdate(version.decided_at) if version.decided_at else timezone.localdate(),
        "authority": f"{filing.province.name}卫生健康委员会",
    }


def receipt_pdf(version: FilingVersion) -> bytes:
    return render_pdf("filing/receipt_pdf.html", receipt_context(version))


@transaction.atomic
def receipt_render_and_store(*, version_id: int) -> StoredFile | None:
    version = (
        FilingVersion.objects.select_for_update(of=("self",))
        .select_related("filing__province", "filing__institution")
        .get(pk=version_id)
    )
    if version.status not in (VersionStatus.ACCEPTED, VersionStatus.SUPERSEDED):
        return None
    if version.receipt_id:
        return version.receipt
    data = receipt_pdf(version)
    stored = StoredFile(
        original_name=f"备案回执-{version.filing.filing_number}-v{version.number}.pdf", extension=".pdf",
        content_type="application/pdf", size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        province_id=version.filing.province_id,
    )
    stored.file.save("receipt.pdf", ContentFile(data), save=False)
    stored.save()
    version.receipt = stored
    version.save(update_fields=["receipt"])
    return stored
