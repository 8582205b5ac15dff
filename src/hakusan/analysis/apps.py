from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    """Graph, campaigns, threat actors, ATT&CK tags, attribution reports, similar cases."""

    name = "hakusan.analysis"
    label = "analysis"
    verbose_name = _("Analysis")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the analysis jobs)
