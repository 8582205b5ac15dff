from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxiiConfig(AppConfig):
    name = "hakusan.taxii"
    label = "taxii"
    verbose_name = _("TAXII server")
