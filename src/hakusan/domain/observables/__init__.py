"""Observables: types, canonical forms, fang/defang and extraction from (Japanese) text.

Pure Python; the Django apps adapt these dataclasses to models.
"""

from .canonical import canonicalize, detect
from .extract import extract
from .fang import defang, refang
from .types import Extracted, InvalidObservable, Observable, ObservableType

__all__ = [
    "Extracted",
    "InvalidObservable",
    "Observable",
    "ObservableType",
    "canonicalize",
    "defang",
    "detect",
    "extract",
    "refang",
]
