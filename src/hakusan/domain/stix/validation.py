"""STIX 2.1 validation with the OASIS validator (``stix2-validator``) in strict mode.

The validator checks objects against the OASIS JSON schemas, which it expects inside its own
package. The 3.3.1 wheels on PyPI were published without them (oasis-open/cti-stix-validator
issue 248), so when they are missing we point the validator at a copy: ``$HAKUSAN_STIX_SCHEMAS``
or ``<repo>/.cache/stix2-validator`` (``make stix-schemas`` fills it from the 3.2.0 wheel, pinned
by sha256), a directory holding ``schemas-2.1/schemas/common/core.json``. Without either, validation
raises :class:`SchemasMissing` instead of calling everything invalid."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import stix2validator
from stix2validator import ValidationOptions, validate_instance
from stix2validator import validator as _validator

from . import loading


class SchemasMissing(RuntimeError):
    pass


def _repo_cache() -> Path:
    return Path(__file__).resolve().parents[4] / ".cache" / "stix2-validator"


def schemas_root() -> Path | None:
    """The directory holding ``schemas-2.1/`` that the validator will use, or None."""
    candidates = [Path(stix2validator.__file__).parent]
    if os.environ.get("HAKUSAN_STIX_SCHEMAS"):
        candidates.insert(0, Path(os.environ["HAKUSAN_STIX_SCHEMAS"]))
    candidates.append(_repo_cache())
    for root in candidates:
        if (root / "schemas-2.1" / "schemas" / "common" / "core.json").is_file():
            return root
    return None


def examples_dir() -> Path | None:
    """The OASIS example bundles (apt1.json, poisonivy.json …) shipped with the schemas."""
    root = schemas_root()
    path = root / "schemas-2.1" / "examples" / "threat-reports" if root else None
    return path if path is not None and path.is_dir() else None


def _ensure_schemas() -> None:
    root = schemas_root()
    if root is None:
        raise SchemasMissing(
            "the STIX 2.1 JSON schemas are not installed (stix2-validator 3.3.1 wheels lack "
            "them): run `make stix-schemas` or set HAKUSAN_STIX_SCHEMAS to a directory holding "
            "schemas-2.1/schemas/common/core.json"
        )
    # The validator finds its schemas next to its module file (validator.py's __file__).
    _validator.__file__ = str(root / "validator.py")


@dataclass
class Result:
    valid: bool
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.valid and not self.warnings


def _options(strict: bool) -> ValidationOptions:
    """The validator's own options for STIX 2.1, nothing disabled: with ``strict`` every
    SHOULD check (best practices, vocabularies, suggested relationship types) is an error."""
    return ValidationOptions(strict=strict, version="2.1")


def _collect(results: Any) -> Result:
    objects = getattr(results, "object_results", None)
    items = objects if objects is not None else [results]
    errors = [str(e) for item in items for e in item.errors]
    warnings = [str(w) for item in items for w in item.warnings]
    fatal = getattr(results, "fatal", None)
    if fatal is not None:
        errors.append(str(fatal.message if hasattr(fatal, "message") else fatal))
    return Result(bool(results.is_valid) and not errors, errors, warnings)


# What the validator raises on structures it does not expect (``"objects": 5``, ``"type": []``,
# ``"external_references": [1]``): its own ValidationError for a non-object, and plain Python
# errors from checks that assume the schema already held. They are answers about the input.
_VALIDATOR_FAILURES: tuple[type[Exception], ...] = (
    stix2validator.ValidationError,
    TypeError,
    AttributeError,
    KeyError,
    IndexError,
    ValueError,
    RecursionError,
)


def _failure(label: str, exc: Exception) -> str:
    if isinstance(exc, stix2validator.ValidationError):
        return f"{label}: {exc}"
    return f"{label}: malformed, the validator cannot check it ({type(exc).__name__}: {exc})"


def _label(obj: Any, where: str) -> str:
    stix_id = obj.get("id") if isinstance(obj, dict) else None
    return f"{where} ({stix_id[:120]})" if isinstance(stix_id, str) and stix_id else where


def _validate_one(obj: Any, strict: bool, where: str, *, split: bool = True) -> Result:
    if not isinstance(obj, dict):
        return Result(False, [f"{where}: not a JSON object ({type(obj).__name__})"])
    try:
        return _collect(validate_instance(obj, _options(strict)))
    except _VALIDATOR_FAILURES as exc:
        objects = obj.get("objects")
        if split and obj.get("type") == "bundle" and isinstance(objects, list) and objects:
            return _validate_bundle_parts(obj, strict)
        return Result(False, [_failure(_label(obj, where), exc)])


def _validate_bundle_parts(bundle: dict[str, Any], strict: bool) -> Result:
    """A bundle the validator cannot take whole: its envelope and each object on its own, so
    the message names the object that is malformed and the others are still checked."""
    parts = [_validate_one({**bundle, "objects": []}, strict, "bundle", split=False)]
    for index, obj in enumerate(bundle["objects"]):
        parts.append(_validate_one(obj, strict, f"objects[{index}]"))
    return _merge(parts)


def _merge(parts: list[Result]) -> Result:
    return Result(
        all(p.valid for p in parts),
        [e for p in parts for e in p.errors],
        [w for p in parts for w in p.warnings],
    )


def validate_object(obj: dict[str, Any], *, strict: bool = True) -> Result:
    """Validate one STIX object or a bundle (a dict)."""
    _ensure_schemas()
    return _validate_one(obj, strict, "object")


def validate_data(data: Any, *, strict: bool = True) -> Result:
    """Validate parsed JSON: a bundle, an object or a non-empty list of objects. Malformed
    input is an invalid result naming what is wrong, never an exception."""
    _ensure_schemas()
    if isinstance(data, list):
        if not data:
            return Result(False, ["an empty list: no STIX objects to validate"])
        return _merge([_validate_one(obj, strict, f"[{i}]") for i, obj in enumerate(data)])
    if not isinstance(data, dict):
        return Result(
            False,
            [f"expected a STIX bundle, object or list of objects, got {type(data).__name__}"],
        )
    return _validate_one(data, strict, "object")


def validate_text(text: str | bytes, *, strict: bool = True) -> Result:
    """Validate a JSON document (a bundle, an object or a list of objects), parsed within
    :mod:`hakusan.domain.safejson`'s limits."""
    _ensure_schemas()
    try:
        data = loading.loads(text)
    except loading.BundleError as exc:
        return Result(False, [str(exc)])
    return validate_data(data, strict=strict)
