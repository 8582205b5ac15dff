"""Signal receivers: the feeds' data version follows ``indicators_changed``."""

from typing import Any

from . import services


def on_indicators_changed(sender: Any = None, reason: str = "", **kwargs: Any) -> None:
    services.note_change(reason)
