"""Supervision capabilities.

Supervision bodies and health commissions plan spot-checks and campaigns and record
findings and penalties; every authority reads them in its jurisdiction and the national
level reads all; an institution's staff file their own self-inspections. Which rows a
user reaches is decided by the scoping mechanism (see selectors.py).
"""

from portal.accounts.choices import COMMISSION_ROLES, Role
from portal.accounts.permissions import AUTHORITIES, register

PLANNERS = frozenset({Role.SUPERVISION, *COMMISSION_ROLES})

register("supervision.plan", PLANNERS)
register("supervision.view", AUTHORITIES | {Role.NATIONAL})
register("supervision.self_inspect", {Role.INSTITUTION})
