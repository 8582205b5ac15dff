from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FederationConfig(AppConfig):
    name = "hakusan.federation"
    label = "federation"
    verbose_name = _("Federation (TAXII pulls)")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the federation jobs)
