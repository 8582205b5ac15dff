"""TLP marking definitions: the TLP 2.0 ones we write (OASIS extension
``extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d``) and both the TLP 1.0 (STIX 2.1
§7.2.1.4) and 2.0 ids we read."""

from __future__ import annotations

from typing import Any

from hakusan.domain.sharing.tlp import LEVELS, STIX_MARKING_IDS, normalise

TLP2_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP2_CREATED = "2022-10-01T00:00:00.000Z"

# STIX 2.1 §7.2.1.4: the TLP 1.0 marking definitions (TLP:WHITE reads as TLP:CLEAR).
TLP1_MARKING_IDS: dict[str, str] = {
    "clear": "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
    "green": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
    "amber": "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
    "red": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
}

LEVEL_OF_MARKING: dict[str, str] = {
    **{marking: level for level, marking in TLP1_MARKING_IDS.items()},
    **{marking: level for level, marking in STIX_MARKING_IDS.items()},
}


def marking_definition(level: str) -> dict[str, Any]:
    """The OASIS TLP 2.0 marking-definition object of a level, exactly as published."""
    level = normalise(level)
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": STIX_MARKING_IDS[level],
        "created": TLP2_CREATED,
        "name": f"TLP:{level.upper()}",
        "extensions": {
            TLP2_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level},
        },
    }


def marking_definitions(levels: list[str]) -> list[dict[str, Any]]:
    """The marking definitions of some levels, once each, least restrictive first."""
    wanted = {normalise(level) for level in levels}
    return [marking_definition(level) for level in LEVELS if level in wanted]


def tlp_of_marking(obj: dict[str, Any]) -> str | None:
    """The TLP level a marking-definition object states, whatever id it has (TLP 1.0
    ``definition_type: tlp``, TLP 2.0 extension), or None when it is not a TLP marking."""
    marking_id = obj.get("id")
    if isinstance(marking_id, str) and marking_id in LEVEL_OF_MARKING:
        return LEVEL_OF_MARKING[marking_id]
    extensions = obj.get("extensions")
    ext = extensions.get(TLP2_EXTENSION_ID) if isinstance(extensions, dict) else None
    candidates: list[Any] = []
    if isinstance(ext, dict):
        candidates.append(ext.get("tlp_2_0"))
    if obj.get("definition_type") == "tlp" and isinstance(obj.get("definition"), dict):
        candidates.append(obj["definition"].get("tlp"))
    candidates.append(obj.get("name"))
    for candidate in candidates:
        if isinstance(candidate, str):
            try:
                return normalise(candidate)
            except ValueError:
                continue
    return None


def tlp_of_refs(refs: list[Any], extra: dict[str, str] | None = None) -> str | None:
    """The most restrictive TLP among ``object_marking_refs`` (known ids, or markings defined
    in the same bundle given as ``extra``: marking id → level); None without a TLP marking."""
    found = []
    for ref in refs:
        if not isinstance(ref, str):
            continue
        level = LEVEL_OF_MARKING.get(ref) or (extra or {}).get(ref)
        if level is not None:
            found.append(LEVELS.index(level))
    return LEVELS[max(found)] if found else None
