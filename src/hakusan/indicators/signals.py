"""``indicators_changed``: sent after commit whenever what may be shared could have changed
(sightings added, false positives, expiry, do-not-share, warninglist flags). Sharing apps
(TAXII publishing, feeds) listen to refresh what they serve; the indicators app does not know
them. Keyword arguments: ``reason`` (str)."""

from django.db import transaction
from django.dispatch import Signal

indicators_changed = Signal()


def announce(reason: str) -> None:
    """Send ``indicators_changed`` once the current transaction commits (now, outside one)."""
    transaction.on_commit(lambda: indicators_changed.send(sender=None, reason=reason))
