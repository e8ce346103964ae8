"""Deadline sources, one module per domain app. Importing this package registers them all.

Implemented:

- :mod:`.filing`: filing receipt due, change filing due, staff certificate expiry,
  equipment calibration expiry;
- :mod:`.inspections`: on-site verification due 3 months after filing (the provincial QC
  center and the assigned inspectors), acknowledgement of an off-site notice before the
  work starts (the authority the notice was routed to);
- :mod:`.qc`: planned assessments not final by 31 December (the QC center the plan item
  names and the provincial QC center), the end of an institution's response window (the
  institution until the last day, then the QC center that is to finalise);
- :mod:`.ledger`: rectification due dates (the institution and the authority that raised
  the problem);
- :mod:`.provincial_report`: the 10 January provincial report.

To add one: write ``@deadline_source(kind, label)`` ``def source(*, today)`` in the module of
its domain app here. It reads the app's rows with one ``values_list`` query ordered by
primary key (related rows such as a team come in the same query, or as an annotation; never
a query per row: the benchmark, 50,000 deadlines, depends on it) and yields a ``Deadline``
per open row. Recipients are named by role, resolved by the scan in one query per kind of
recipient: ``InstitutionStaff``, ``OrganisationStaff`` (one named organisation),
``ProvinceStaff``, ``ResponsibleAuthority`` (delegation honoured, or not for an already
routed region) or ``Users`` (named people; leave out anyone outside the row's province).
Reuse one recipient tuple per province or region rather than building one per row, build
links with ``detail_url`` (reversed once), write the label with ``gettext_lazy`` and titles
with ``gettext``, and import the module below. Tests: ``reporting/tests/test_sources.py``.
"""

from . import filing, inspections, ledger, provincial_report, qc  # noqa: F401
