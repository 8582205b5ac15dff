from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "hakusan.intake"
    label = "intake"
    verbose_name = _("Intake")

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the intake jobs)
        from .seed import seed_intake

        post_migrate.connect(seed_intake, sender=self)
