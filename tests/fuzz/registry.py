"""Fuzz targets shared by the short hypothesis tests (``make test``) and the long bench run
(``bench/fuzz.py``).

A target takes one input (bytes) and returns normally or raises only its ``expected`` error
types (the clear, user-facing error); anything else is a crash. Targets live in
``tests/fuzz/targets_*.py`` modules, each calling :func:`register` at import time;
:func:`all_targets` imports every such module.
"""

import contextlib
import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

Run = Callable[[bytes], None]


@dataclass(frozen=True)
class FuzzTarget:
    name: str
    run: Run
    # Error types that are the clear, expected answer to bad input (not crashes).
    expected: tuple[type[BaseException], ...] = ()
    # Valid documents the generator mutates (the closer to valid, the deeper the fuzzing goes).
    seeds: Sequence[bytes] = field(default_factory=tuple)
    # Needs a configured Django with a database (the bench creates one).
    needs_db: bool = False
    # Called once before a run (e.g. to create users and partners); returns nothing.
    setup: Callable[[], None] | None = None


_TARGETS: dict[str, FuzzTarget] = {}


def register(target: FuzzTarget) -> FuzzTarget:
    _TARGETS[target.name] = target
    return target


def all_targets() -> dict[str, FuzzTarget]:
    here = Path(__file__).parent
    for module in pkgutil.iter_modules([str(here)]):
        if module.name.startswith("targets_"):
            importlib.import_module(f"{__package__}.{module.name}")
    return dict(sorted(_TARGETS.items()))


def check(target: FuzzTarget, data: bytes) -> None:
    """Run ``target`` on ``data``; the expected errors are swallowed, anything else raises."""
    with contextlib.suppress(*target.expected):
        target.run(data)
