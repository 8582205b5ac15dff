from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxiiConfig(AppConfig):
    name = "hakusan.taxii"
    label = "taxii"
    verbose_name = _("TAXII server")

    def ready(self) -> None:
        from hakusan.indicators.signals import indicators_changed

        from . import jobs  # noqa: F401  (registers the TAXII jobs)
        from .services import mark_dirty

        indicators_changed.connect(mark_dirty, dispatch_uid="taxii.mark_dirty")
