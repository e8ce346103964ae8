"""Capabilities of publications: every authority of the province reads them, the national level
reads every province's, and the provincial health commission schedules, cancels and withdraws."""

from portal.accounts.choices import Role
from portal.accounts.permissions import AUTHORITIES, register

register("publications.view", AUTHORITIES | {Role.NATIONAL})
register("publications.manage", {Role.COMMISSION_PROVINCE})
