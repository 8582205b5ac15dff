from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MispConfig(AppConfig):
    name = "hakusan.misp"
    label = "misp"
    verbose_name = _("MISP feeds")
