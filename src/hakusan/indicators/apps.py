from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "hakusan.indicators"
    label = "indicators"
    verbose_name = _("Intelligence")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the indicators jobs)
