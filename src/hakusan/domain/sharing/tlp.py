"""TLP 2.0 (FIRST, 2022): the levels in order of restriction and their STIX 2.1 markings.

A partner cleared for a level may receive items at that level and every less restrictive one:
``allows("green", max_tlp="amber")`` is true, ``allows("amber", max_tlp="green")`` false."""

from collections.abc import Iterable

LEVELS: tuple[str, ...] = ("clear", "green", "amber", "amber+strict", "red")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# OASIS TLP 2.0 marking definitions (STIX 2.1 extension
# extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d): fixed, well-known ids.
STIX_MARKING_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}


class UnknownTLP(ValueError):
    pass


def normalise(level: str) -> str:
    """``"TLP:AMBER+STRICT"``, ``"amber+strict"``, ``"white"`` (TLP 1.0) → the 2.0 level name."""
    value = level.strip().lower().removeprefix("tlp:").strip()
    if value == "white":
        value = "clear"
    if value not in _RANK:
        raise UnknownTLP(f"unknown TLP level {level!r} (known: {', '.join(LEVELS)})")
    return value


def rank(level: str) -> int:
    return _RANK[normalise(level)]


def allows(item_tlp: str, max_tlp: str) -> bool:
    """May an item marked ``item_tlp`` go to a recipient cleared up to ``max_tlp``?"""
    return rank(item_tlp) <= rank(max_tlp)


def levels_up_to(max_tlp: str) -> list[str]:
    """The levels a recipient cleared up to ``max_tlp`` may receive, least restrictive first."""
    return list(LEVELS[: rank(max_tlp) + 1])


def least_restrictive(levels: Iterable[str]) -> str | None:
    ranked = [rank(level) for level in levels]
    return LEVELS[min(ranked)] if ranked else None


def most_restrictive(levels: Iterable[str]) -> str | None:
    ranked = [rank(level) for level in levels]
    return LEVELS[max(ranked)] if ranked else None
