"""The blocklist feeds' data version: what their ETags and Last-Modified are computed from, so a
conditional request is answered without reading a single indicator."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class FeedState(models.Model):
    """One row (pk 1). ``generation`` goes up, and ``changed_at`` is set, every time the
    indicators app announces that shareable data may have changed (``indicators_changed``)."""

    generation = models.PositiveBigIntegerField(_("generation"), default=0)
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("blocklist feed state")
        verbose_name_plural = _("blocklist feed state")

    def __str__(self) -> str:
        return f"generation {self.generation} ({self.changed_at:%Y-%m-%d %H:%M:%S})"
