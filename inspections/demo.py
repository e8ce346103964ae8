"""Demo data of inspections, through the services; safe to run twice."""

from __future__ import annotations

from .services.checklists import checklist_default_install
from .services.verification import verification_cases_open_missing


def seed_inspections_demo(ctx) -> None:
    checklist_default_install(province=ctx.province)
    opened = verification_cases_open_missing(province=ctx.province)
    print(f"inspections: default checklist installed, {opened} verification case(s) opened")
