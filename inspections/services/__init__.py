"""Writes of the inspections app: checklists, verification cases, off-site notices."""
