from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlocklistsConfig(AppConfig):
    name = "hakusan.blocklists"
    label = "blocklists"
    verbose_name = _("Blocklists")
