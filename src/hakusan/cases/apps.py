from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _seed(**kwargs: object) -> None:
    from .services import seed_case_types

    seed_case_types()


class CasesConfig(AppConfig):
    name = "hakusan.cases"
    label = "cases"
    verbose_name = _("Cases")

    def ready(self) -> None:
        post_migrate.connect(_seed, sender=self)
