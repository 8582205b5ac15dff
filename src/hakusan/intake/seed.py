from typing import Any


def seed_intake(**kwargs: Any) -> None:
    """Seed the consultation categories (TAXONOMY §1) and a default routing rule."""
    from hakusan.core.models import Department
    from hakusan.domain.triage import SEED_CATEGORIES

    from .models import Category, RoutingRule

    for order, cat in enumerate(SEED_CATEGORIES):
        Category.objects.get_or_create(
            code=cat.code,
            defaults={
                "name_ja": cat.name_ja,
                "name_en": cat.name_en,
                "keywords": list(cat.keywords),
                "cyber_division": cat.cyber_division,
                "observable_hints": list(cat.observable_hints),
                "order": order * 10,
            },
        )
    cyber = Department.objects.filter(is_cyber_division=True).order_by("id").first()
    if cyber is not None and not RoutingRule.objects.exists():
        RoutingRule.objects.create(
            name="サイバー部門が担当すべき事案",
            priority=10,
            needs_cyber=True,
            target_department=cyber,
            sla_hours=4,
        )
