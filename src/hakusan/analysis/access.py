"""Who may do what in analysis (record-level need-to-know stays in the selectors)."""

from hakusan.core.choices import Role

# Create and change campaigns, actors and attribution hypotheses; accept suggestions.
CAN_ANALYSE = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.ADMIN})
