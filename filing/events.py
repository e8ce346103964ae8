"""Domain events that later apps subscribe to, so that filing never imports them.

Sent by filing's services inside the transaction; receivers must do their own work
idempotently (a re-sent event, or a sync command, may deliver the same fact twice).
"""

from django.dispatch import Signal

# kwargs: filing_id, version_id, first_acceptance (True for the initial filing), actor
filing_accepted = Signal()
# kwargs: filing_id, actor
filing_cancelled = Signal()

# The public directory's cache drops its responses on these events and on saves of the rows the
# directory reads. Connected here, beside the events, because every process that writes filings
# imports this module (the services send from it; inspections subscribes in its ready()).
from .public_cache import listen  # noqa: E402

listen(filing_accepted, filing_cancelled)
