"""Reviewed corrections to upstream warninglists that are wrong (applied by ``load``).

A packaged list is data we do not control: an entry that flags ordinary values hides them from
correlation and from every partner feed. Each override names the list, says what is wrong, the
action taken and who reviewed it when:

- ``drop-list``: the list is not loaded at all;
- ``drop-entries``: the entries named in ``entries`` (keys) are left out;
- ``replace-entries``: each entry named is replaced by its value (the pattern the list meant).

An override whose list or entry is no longer in the installed package does nothing (upstream
fixed or changed it): ``unapplied`` says which, and a test fails so that it is reviewed again
after an upgrade of ``pymispwarninglists``. The overrides are part of the index's cache key
and of its ``version``, so a change here rebuilds the cached index and re-flags stored values.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

from .types import Warninglist

__all__ = ["OVERRIDES", "Override", "apply_overrides", "digest", "unapplied"]

Action = Literal["drop-list", "drop-entries", "replace-entries"]


@dataclass(frozen=True)
class Override:
    slug: str  # the list's directory name in misp-warninglists
    problem: str  # what is wrong upstream, with an example
    action: Action
    reviewed: str  # "YYYY-MM-DD, by whom / where", updated at each review
    entries: Mapping[str, str] = field(default_factory=dict)  # entry -> replacement ("" for drop)


OVERRIDES: Final[tuple[Override, ...]] = (
    Override(
        slug="phone_numbers",
        problem=(
            "The Australian entry for the ACMA drama numbers 1300/1800 975 707-711 is written "
            "'1(3|8)00975707|08|09|10|11': the alternation splits the whole pattern, so any "
            "number containing 08, 09, 10 or 11 is flagged (+819010112233, 0120-110-222): a "
            "third of Japanese numbers, and every smishing sender with those digits was kept "
            "out of the smishing feed."
        ),
        action="replace-entries",
        entries={
            "/((?:\\+|00)61)?1(3|8)00975707|08|09|10|11/g": (
                "/((?:\\+|00)61)?1(3|8)00975(707|708|709|710|711)/g"
            ),
        },
        reviewed="2026-12-07, issue 9 (TLP and warninglists), pymispwarninglists 1.7.0 list "
        "version 20251223",
    ),
)


def _by_slug(overrides: Iterable[Override]) -> dict[str, list[Override]]:
    out: dict[str, list[Override]] = {}
    for override in overrides:
        out.setdefault(override.slug, []).append(override)
    return out


def apply_overrides(
    lists: Iterable[tuple[Warninglist, list[str]]],
    overrides: Iterable[Override] = OVERRIDES,
) -> list[tuple[Warninglist, list[str]]]:
    """``lists`` with the overrides applied (lists dropped, entries dropped or replaced)."""
    by_slug = _by_slug(overrides)
    out: list[tuple[Warninglist, list[str]]] = []
    for meta, entries in lists:
        mine = by_slug.get(meta.slug, [])
        if any(o.action == "drop-list" for o in mine):
            continue
        for override in mine:
            if override.action == "drop-entries":
                entries = [e for e in entries if e not in override.entries]
            elif override.action == "replace-entries":
                entries = [override.entries.get(e, e) for e in entries]
        out.append((meta, entries))
    return out


def unapplied(
    lists: Iterable[tuple[Warninglist, list[str]]],
    overrides: Iterable[Override] = OVERRIDES,
) -> list[str]:
    """Overrides that change nothing in ``lists`` (upstream fixed or renamed): to review."""
    present = {meta.slug: set(entries) for meta, entries in lists}
    out = []
    for override in overrides:
        if override.slug not in present:
            out.append(f"{override.slug}: no such list")
            continue
        for entry in override.entries:
            if entry not in present[override.slug]:
                out.append(f"{override.slug}: no entry {entry!r}")
    return out


def digest(overrides: Iterable[Override] = OVERRIDES) -> str:
    """A digest of the overrides (part of the cached index's key)."""
    doc = [[o.slug, o.action, sorted(o.entries.items()), o.problem, o.reviewed] for o in overrides]
    return hashlib.sha256(json.dumps(doc, ensure_ascii=False).encode()).hexdigest()[:16]
