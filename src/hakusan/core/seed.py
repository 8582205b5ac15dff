"""Reference data every installation starts with, created after migrations (idempotent)."""

from typing import Any

from django.conf import settings


def seed_core(**kwargs: Any) -> None:
    from .choices import DepartmentKind
    from .models import Department

    if not Department.objects.filter(is_cyber_division=True).exists():
        Department.objects.get_or_create(
            code=settings.HAKUSAN_CYBER_DIVISION_CODE,
            defaults={
                "name": "サイバー犯罪対策課",
                "kind": DepartmentKind.HQ_DIVISION,
                "is_cyber_division": True,
            },
        )
