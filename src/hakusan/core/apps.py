from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "hakusan.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (login/logout audit)
        from .audit_guard import reinstall_after_migrate
        from .seed import seed_core

        post_migrate.connect(seed_core, sender=self)
        # SQLite drops a table's triggers when a migration rebuilds it: put them back.
        post_migrate.connect(reinstall_after_migrate, sender=self)
