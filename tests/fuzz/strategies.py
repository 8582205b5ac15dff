"""Hostile JSON for the fuzz targets: deep nesting, lone surrogates, NaN/Infinity, huge numbers,
random bytes and mutations of valid documents.

Two faces of the same generators: hypothesis strategies for the short runs in ``make test``
(:func:`hostile_json`), and :func:`generate`, a plain ``random.Random`` generator for the long
bench run (``bench/fuzz.py``), where hypothesis's bookkeeping would cost more than the target.
"""

import json
import random
from collections.abc import Callable, Sequence
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# The short run in ``make test``: a few hundred inputs per target (the bench runs a million).
# Big inputs (100,000 '[') are the point, hence no size or speed health checks; the database
# fixture is shared by the examples of one test on purpose.
SHORT_RUN = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)

# Leaves the probe found crashing something: lone surrogates, non-finite and huge numbers.
HOSTILE_STRINGS = ["\ud800", "\udfff", "a\udc00b", "", "\x00", "é", "\u202e", "𝒳" * 3]
HOSTILE_NUMBERS: list[Any] = [
    float("nan"),
    float("inf"),
    float("-inf"),
    10**1000,  # 1,001 digits (int() itself refuses beyond 4,300)
    -(10**400),
    1e308,
    -0.0,
    2**63,
    2**64 + 1,
]
# Byte-level fragments that break a decoder in different places.
HOSTILE_FRAGMENTS = [
    b"[" * 100_000,
    b'{"a":' * 5_000,
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1" * 5_000,
    b"1e999",
    b'"\\ud800"',
    b'"\\udc00\\ud800"',
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\x00",
    b'"\\u00"',
    b"}",
    b"]",
    b",",
    b":",
    b"null",
    b"true",
    b'""',
    b"[]",
    b"{}",
]


def dumps(value: Any) -> bytes:
    """Serialise with NaN/Infinity allowed and surrogates escaped, as a hostile client would."""
    return json.dumps(value, allow_nan=True, ensure_ascii=True).encode()


def nested(depth: int, *, kind: str = "[", leaf: bytes = b"1") -> bytes:
    """A document ``depth`` levels deep, closed or (``leaf=b""``) left open."""
    if kind == "[":
        return b"[" * depth + leaf + (b"]" * depth if leaf else b"")
    return b'{"a":' * depth + leaf + (b"}" * depth if leaf else b"")


# -- hypothesis strategies ------------------------------------------------------------------


def hostile_leaves() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from(HOSTILE_NUMBERS),
        st.text(max_size=20),
        st.sampled_from(HOSTILE_STRINGS),
        # Unrestricted code points include lone surrogates (category Cs).
        st.text(st.characters(codec=None, categories=["Cs", "Lo", "Nd"]), max_size=5),
    )


def hostile_values(keys: Sequence[str] = ()) -> st.SearchStrategy[Any]:
    """JSON-shaped values with hostile leaves; ``keys`` are field names worth hitting."""
    key = st.one_of(st.sampled_from([*keys, "\ud800"]), st.text(max_size=8)) if keys else st.text()
    return st.recursive(
        hostile_leaves(),
        lambda children: st.one_of(
            st.lists(children, max_size=4), st.dictionaries(key, children, max_size=4)
        ),
        max_leaves=12,
    )


def hostile_objects(
    template: dict[str, Any], keys: Sequence[str] = ()
) -> st.SearchStrategy[dict[str, Any]]:
    """``template`` with some fields replaced or added with hostile values: gets past the
    envelope checks so the field-level ones are exercised."""
    names = list(keys) or list(template)
    return st.dictionaries(st.sampled_from(names), hostile_values(names), max_size=4).map(
        lambda extra: {**template, **extra}
    )


def hostile_json(
    valid_documents: Sequence[bytes] = (), keys: Sequence[str] = ()
) -> st.SearchStrategy[bytes]:
    """Bytes to feed a parser: hostile trees, fragments, random bytes and, when given, valid
    documents mutated at the byte level."""
    parts: list[st.SearchStrategy[bytes]] = [
        hostile_values(keys).map(dumps),
        st.binary(max_size=200),
        st.sampled_from(HOSTILE_FRAGMENTS),
        st.builds(
            nested,
            st.integers(min_value=1, max_value=3_000),
            kind=st.sampled_from(["[", "{"]),
            leaf=st.sampled_from([b"1", b"", b'"\\ud800"', b"NaN"]),
        ),
    ]
    if valid_documents:
        docs = list(valid_documents)
        parts.append(st.sampled_from(docs))
        randoms = st.randoms(use_true_random=False)
        parts.append(st.builds(mutate, randoms, st.sampled_from(docs)))
        parts.append(st.builds(mutate_value, randoms, st.sampled_from(docs)))
    return st.one_of(parts)


# -- plain random generator for the bench ---------------------------------------------------


def _splice(rng: random.Random, data: bytes, piece: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    end = at + rng.randrange(0, 4) if rng.random() < 0.5 else at
    return data[:at] + piece + data[end:]


def mutate(rng: random.Random, data: bytes, rounds: int = 0) -> bytes:
    """A few byte-level edits of ``data``: flip, delete, duplicate, splice a hostile fragment."""
    for _ in range(rounds or rng.randint(1, 4)):
        op = rng.randrange(6)
        if not data or op == 0:
            data = _splice(rng, data, rng.choice(HOSTILE_FRAGMENTS[2:]))
        elif op == 1:
            i = rng.randrange(len(data))
            data = data[:i] + bytes([rng.randrange(256)]) + data[i + 1 :]
        elif op == 2:
            i = rng.randrange(len(data))
            data = data[:i] + data[i + rng.randint(1, 8) :]
        elif op == 3:
            i, j = sorted(rng.randrange(len(data) + 1) for _ in range(2))
            data = data[:j] + data[i:j] + data[j:]
        elif op == 4:
            # Replace a JSON scalar-looking token with a hostile one.
            data = _splice(rng, data, rng.choice([b"1e999", b"NaN", b'"\\ud800"', b"9" * 500]))
        else:
            data = _splice(rng, data, rng.choice([b"[", b"{", b'"', b"\\", b",", b"]", b"}"]))
    return data


def mutate_value(rng: random.Random, data: bytes) -> bytes:
    """Replace one member of one JSON line of ``data`` with a hostile value: a document that
    still parses, so the checks after parsing (field types, bounds) are what gets exercised."""
    lines = data.split(b"\n")
    index = rng.randrange(len(lines))
    try:
        doc = json.loads(lines[index])
    except ValueError:
        return mutate(rng, data)
    node = doc
    # Walk down a few levels (e.g. into a TAXII envelope's objects) before replacing.
    for _ in range(rng.randrange(4)):
        if isinstance(node, dict) and node:
            child = node[rng.choice(list(node))]
        elif isinstance(node, list) and node:
            child = rng.choice(node)
        else:
            break
        if not isinstance(child, dict | list) or not child:
            break
        node = child
    if isinstance(node, dict):
        key = rng.choice([*node, "\ud800", "extra"]) if node else "extra"
        node[key] = _random_value(rng)
    elif isinstance(node, list):
        node.append(_random_value(rng))
    else:
        doc = _random_value(rng)
    lines[index] = dumps(doc)
    return b"\n".join(lines)


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth < 4 and roll < 0.25:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if depth < 4 and roll < 0.45:
        return {
            rng.choice(["a", "id", "type", "\ud800", "objects", ""]): _random_value(rng, depth + 1)
            for _ in range(rng.randrange(4))
        }
    leaf = rng.randrange(5)
    if leaf == 0:
        return rng.choice(HOSTILE_NUMBERS)
    if leaf == 1:
        return rng.choice(HOSTILE_STRINGS)
    if leaf == 2:
        return rng.randint(-(2**70), 2**70)
    if leaf == 3:
        return rng.choice([None, True, False, 0.5, "x"])
    return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(4)))


def generate(rng: random.Random, valid_documents: Sequence[bytes] = ()) -> bytes:
    """One hostile input, chosen the way :func:`hostile_json` chooses (without shrinking)."""
    roll = rng.random()
    if valid_documents and roll < 0.3:
        return mutate_value(rng, rng.choice(valid_documents))
    if valid_documents and roll < 0.5:
        return mutate(rng, rng.choice(valid_documents))
    if roll < 0.7:
        return dumps(_random_value(rng))
    if roll < 0.8:
        return nested(rng.randint(1, 3_000), kind=rng.choice("[{"), leaf=rng.choice([b"1", b""]))
    if roll < 0.9:
        return rng.randbytes(rng.randrange(200))
    return rng.choice(HOSTILE_FRAGMENTS)


Target = Callable[[bytes], None]
