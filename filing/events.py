"""Domain events that later apps subscribe to, so that filing never imports them.

Sent by filing's services inside the transaction; receivers must do their own work
idempotently (a re-sent event, or a sync command, may deliver the same fact twice).
"""

from django.dispatch import Signal

# kwargs: filing_id, version_id, first_acceptance (True for the initial filing), actor
filing_accepted = Signal()
# kwargs: filing_id, actor
filing_cancelled = Signal()
