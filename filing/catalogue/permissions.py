"""Catalogue capabilities.

Catalogues are national and shared by every province, so no province may change
data another relies on: provincial administrators may only import an edition whose
code is new ("catalogue.manage"); correcting or removing an edition is for platform
administrators (superusers, "catalogue.edit").
"""

from portal.accounts.choices import Role
from portal.accounts.permissions import EVERY_SIGNED_IN, register

register("catalogue.view", EVERY_SIGNED_IN)
register("catalogue.manage", {Role.PROVINCE_ADMIN})
register("catalogue.edit", set())  # platform administrators only (superusers)
