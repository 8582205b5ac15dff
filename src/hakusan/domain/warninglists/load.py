"""Read the warninglists shipped inside the ``pymispwarninglists`` wheel (never the network),
with the reviewed corrections of ``overrides`` applied."""

import json
from collections.abc import Mapping
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

from . import overrides as reviewed
from .types import LIST_TYPES, Warninglist, normalise_category

PACKAGE = "pymispwarninglists"
LISTS_DIR = ("data", "misp-warninglists", "lists")


class WarninglistFormatError(ValueError):
    """A list.json does not have the misp-warninglists shape."""


def packaged_lists_dir() -> Traversable:
    """``pymispwarninglists/data/misp-warninglists/lists`` inside the installed package."""
    root = files(PACKAGE)
    for part in LISTS_DIR:
        root = root / part
    return root


def parse_list(slug: str, data: Mapping[str, Any]) -> tuple[Warninglist, list[str]]:
    """One misp-warninglists ``list.json`` document -> metadata and entries."""
    try:
        list_type = data.get("type", "string")  # MISP's default when absent
        if isinstance(list_type, list):  # some old lists wrote ["string"]
            list_type = list_type[0]
        if list_type not in LIST_TYPES:
            raise WarninglistFormatError(f"{slug}: unknown list type {list_type!r}")
        raw_entries = data["list"]
        # A list may carry comments: {"entry": "comment", ...}.
        entries = list(raw_entries) if isinstance(raw_entries, Mapping) else raw_entries
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise WarninglistFormatError(f"{slug}: 'list' must be strings")
        meta = Warninglist(
            slug=slug,
            name=str(data["name"]),
            description=str(data.get("description", "")),
            version=int(data.get("version", 1)),
            list_type=list_type,
            category=normalise_category(data.get("category"), slug),
            matching_attributes=tuple(str(a) for a in data.get("matching_attributes") or ()),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, WarninglistFormatError):
            raise
        raise WarninglistFormatError(f"{slug}: {exc!r}") from exc
    return meta, entries


def load_packaged_lists(
    *, include_known: bool = True, overrides: bool = True
) -> list[tuple[Warninglist, list[str]]]:
    """All lists shipped in the installed ``pymispwarninglists``, sorted by slug, with the
    reviewed ``overrides.OVERRIDES`` applied (``overrides=False``: as shipped).

    ``include_known=False`` leaves out lists of category ``known`` (known identifiers rather
    than false positives). The lists of pymispwarninglists 1.7.0 carry no category: they are
    ``false-positive``, as MISP assumes, except ``types.KNOWN_BY_DEFAULT``.
    """
    out: list[tuple[Warninglist, list[str]]] = []
    for directory in sorted(packaged_lists_dir().iterdir(), key=lambda d: d.name):
        path = directory / "list.json"
        if not path.is_file():
            continue
        meta, entries = parse_list(directory.name, json.loads(path.read_bytes()))
        if include_known or meta.category != "known":
            out.append((meta, entries))
    return reviewed.apply_overrides(out, reviewed.OVERRIDES) if overrides else out
