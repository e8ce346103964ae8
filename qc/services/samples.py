"""The sample sheets and scheme shipped in qc/data/, loaded through the same services as an import."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from portal.regions.models import Region

from .. import importers
from ..models import QCScheme, ScoringSheet
from .schemes import BandSpec, scheme_create
from .sheets import sheet_version_create, sheet_version_publish

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
SAMPLE_SCHEMES = ("jilin-2026-scheme.json",)


def sample_sheet_paths() -> list[Path]:
    paths = []
    for name in SAMPLE_SCHEMES:
        meta = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
        paths += [DATA_DIR / sheet for sheet in meta["sheets"]]
    return paths


@transaction.atomic
def qc_samples_load(*, province: Region, actor=None) -> dict:
    """Publish the sample sheets and create the sample scheme in ``province``; what exists is left alone.

    Returns counts of what was created, so running it twice reports nothing new.
    """
    created = {"sheets": 0, "schemes": 0}
    for name in SAMPLE_SCHEMES:
        meta = json.loads((DATA_DIR / name).read_text(encoding="utf-8"))
        for sheet_file in meta["sheets"]:
            data = importers.read_json(DATA_DIR / sheet_file)
            issues = importers.validate_sheet(data)
            if issues:
                raise ImproperlyConfigured(f"{sheet_file}: " + "; ".join(str(i) for i in issues))
            if ScoringSheet.objects.filter(province=province, code=data.code).exists():
                continue
            version = sheet_version_create(province=province, data=data, actor=actor)
            sheet_version_publish(version_id=version.pk, actor=actor)
            created["sheets"] += 1
        if QCScheme.objects.filter(province=province, year=meta["year"]).exists():
            continue
        scheme_create(
            province=province, year=meta["year"], name=meta["name"],
            institution_weight=Decimal(meta["institution_weight"]),
            work_sample_weight=Decimal(meta["work_sample_weight"]),
            work_sample_averaging=meta["work_sample_averaging"], key_item_fails=meta["key_item_fails"],
            key_item_pass_ratio=Decimal(meta["key_item_pass_ratio"]),
            bands=[BandSpec(b["label"], Decimal(b["min_score"]), b["passed"]) for b in meta["bands"]],
            actor=actor,
        )
        created["schemes"] += 1
    return created
