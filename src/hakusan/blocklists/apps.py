from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlocklistsConfig(AppConfig):
    name = "hakusan.blocklists"
    label = "blocklists"
    verbose_name = _("Blocklists")

    def ready(self) -> None:
        from hakusan.indicators.signals import indicators_changed

        from . import jobs  # noqa: F401  (registers the blocklists jobs)
        from .receivers import on_indicators_changed

        indicators_changed.connect(on_indicators_changed, dispatch_uid="blocklists.feed_state")
