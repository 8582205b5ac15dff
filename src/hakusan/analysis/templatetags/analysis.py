"""``{% case_analysis case %}``: the galaxy tags and campaigns of a case for the case page's
analysis panels (``analysis/_case_panels.html``), read for the current user."""

from typing import Any

from django import template

from hakusan.analysis import selectors, services

register = template.Library()


@register.inclusion_tag("analysis/_case_tags.html", takes_context=True)
def case_analysis(context: dict[str, Any], case: Any) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    return {
        "case": case,
        "tags": selectors.case_tags(case),
        "campaigns": selectors.campaigns_of_case(user, case),
        "may_tag": services.may_tag_case(user, case),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.filter
def percent(value: float) -> str:
    return f"{float(value) * 100:.0f}%"


@register.filter
def kind_label(kind: str) -> str:
    """A galaxy kind ("technique") as its label ("ATT&CK technique")."""
    from hakusan.analysis.choices import TagKind

    try:
        return str(TagKind(str(kind)).label)
    except ValueError:
        return str(kind)
