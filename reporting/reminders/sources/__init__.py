"""Deadline sources, one module per domain app. Importing this package registers them all.

Implemented: filing receipt due, change filing due, staff certificate expiry, equipment
calibration expiry (:mod:`.filing`), and the 10 January provincial report
(:mod:`.provincial_report`).

To add one (on-site verification due 3 months after filing, acknowledgement of an
off-site notice before work starts, QC plan items not assessed by year end, end of a
response window, rectification due dates): write ``@deadline_source(kind, label)``
``def source(*, today)`` in a module here that reads the app's rows with one
``values_list`` query ordered by primary key, yields a ``Deadline`` per open row with
recipients such as ``InstitutionStaff``, ``ResponsibleAuthority`` or ``Users`` (the
assigned inspector), and import the module below.
"""

from . import filing, provincial_report  # noqa: F401
