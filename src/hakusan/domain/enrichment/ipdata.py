"""An interval index from IP address ranges to rows of strings, for IPv4 and IPv6.

    index = IpIntervalIndex.from_csv([asn_v4_csv, asn_v6_csv], columns=("asn", "as_org"))
    index.lookup("192.0.2.1")          # -> ("64496", "Example AS") or None
    index.lookup_many(["192.0.2.1", "2001:db8::1"])

Input: CSV files without a header, one range a line, ``start,end,value,...`` where start and
end are textual addresses (``192.0.2.0,192.0.2.255`` or ``2001:db8::,2001:db8::ffff``), the
range is inclusive, and the values are named by ``columns``. IPv4 and IPv6 lines may be
mixed in one file. This is the format of the ``@ip-location-db`` packages' ``*-ipv4.csv``
and ``*-ipv6.csv`` files (RFC 4180 quoting, as in ``"Cloudflare, Inc."``).

Overlapping ranges (the published data has a few hundred, mostly a smaller range nested in
a larger one) are made disjoint when loading: at each address the narrowest range that
covers it wins, and between equally wide ranges the later line (the later file) wins, so a
more specific entry behaves as in longest-prefix matching.

Layout: per family, sorted disjoint ``starts``/``ends`` arrays and an ``int32`` array of row
numbers into a de-duplicated list of value tuples (the ASN data has 515,000 ranges but
91,000 distinct ``(asn, org)`` pairs). IPv4 addresses are ``uint32``; IPv6 addresses are
16-byte big-endian strings (numpy ``S16``), whose byte-wise order is the numeric order, so
``numpy.searchsorted`` works on both without 128-bit integers. A lookup is one binary search
for the last start at or below the address and a comparison with that range's end.

Loading parses the CSV once (a few seconds for the ASN data; about 80,000 lines at a time,
so the transient memory stays near 100 MB) and, unless ``cache=False``, writes a compact
``.npz`` beside the first source file (or in ``cache_dir``), keyed by the sources' names,
sizes and modification times; later loads read that in about 0.1 s. The cache is optional:
a read-only directory or an unreadable cache file only costs the parse.
"""

from __future__ import annotations

import csv
import hashlib
import heapq
import io
import json
import logging
import os
import re
import socket
import sys
import tempfile
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, partial
from ipaddress import ip_network
from itertools import groupby, pairwise
from operator import itemgetter
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Row = tuple[str, ...]

_CACHE_FORMAT = 1
_RECORD, _UNIT = "\x1e", "\x1f"  # ASCII record and unit separators, for the cached values
_MAPPED_PREFIX = b"\x00" * 10 + b"\xff\xff"  # ::ffff:0:0/96, IPv4-mapped IPv6
_V4_DTYPE = np.dtype(np.uint32)
_V6_DTYPE = np.dtype("S16")


class IpDataError(ValueError):
    """A malformed data file (the message names the file and line)."""


def parse_ip(text: str) -> tuple[int, int]:
    """``(4, n)`` or ``(6, n)`` for a textual address; IPv4-mapped IPv6 counts as IPv4.

    Raises ``ValueError`` for anything that is not a plain address (no prefix length, no
    zone index, no ``inet_aton`` shorthand such as ``127.1``).
    """
    try:
        if ":" in text:
            packed = socket.inet_pton(socket.AF_INET6, text)
            if packed.startswith(_MAPPED_PREFIX):
                return 4, int.from_bytes(packed[12:])
            return 6, int.from_bytes(packed)
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text))
    except (OSError, TypeError):
        raise ValueError(f"not an IP address: {text!r}") from None


class _Family:
    """Sorted, disjoint ranges of one address family."""

    __slots__ = ("_halves", "ends", "rows", "starts")

    def __init__(self, starts: npt.NDArray[Any], ends: npt.NDArray[Any], rows: npt.NDArray[Any]):
        self.starts = starts
        self.ends = ends
        self.rows = rows
        # IPv6: the 64-bit halves too; most searches need only the high one (see _find6)
        self._halves = (*_halves(starts), *_halves(ends)) if starts.dtype == _V6_DTYPE else None

    def find(self, keys: npt.NDArray[Any]) -> npt.NDArray[np.int32]:
        """Row number for each key, -1 where no range covers it."""
        if not len(self.starts) or not len(keys):
            return np.full(len(keys), -1, dtype=np.int32)
        if self._halves is not None:
            return self._find6(keys)
        pos = np.searchsorted(self.starts, keys, side="right") - 1
        safe = np.maximum(pos, 0)
        hit = (pos >= 0) & (keys <= self.ends[safe])
        return np.where(hit, self.rows[safe], -1).astype(np.int32, copy=False)

    def _find6(self, keys: npt.NDArray[Any]) -> npt.NDArray[np.int32]:
        """Binary search on the high 64 bits (numbers: fast), then the full 16-byte keys
        (``S16``, compared byte-wise: slower) only where the high halves tie and the range
        found starts above the address, i.e. several ranges start in the same /64."""
        assert self._halves is not None
        start_hi, start_lo, end_hi, end_lo = self._halves
        key_hi, key_lo = _halves(keys)
        pos = np.searchsorted(start_hi, key_hi, side="right") - 1
        safe = np.maximum(pos, 0)
        tie = (pos >= 0) & (start_hi[safe] == key_hi) & (start_lo[safe] > key_lo)
        if tie.any():
            pos[tie] = np.searchsorted(self.starts, keys[tie], side="right") - 1
            safe = np.maximum(pos, 0)
        hi = end_hi[safe]
        below_end = (key_hi < hi) | ((key_hi == hi) & (key_lo <= end_lo[safe]))
        hit = (pos >= 0) & below_end
        return np.where(hit, self.rows[safe], -1).astype(np.int32, copy=False)

    @property
    def nbytes(self) -> int:
        halves = sum(a.nbytes for a in self._halves) if self._halves is not None else 0
        return int(self.starts.nbytes + self.ends.nbytes + self.rows.nbytes + halves)


def _halves(packed: npt.NDArray[Any]) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]:
    """High and low 64 bits of 16-byte big-endian addresses, as native integers."""
    pairs = np.frombuffer(packed.tobytes(), dtype=">u8").reshape(-1, 2).astype(np.uint64)
    return np.ascontiguousarray(pairs[:, 0]), np.ascontiguousarray(pairs[:, 1])


def _normalise(
    starts: npt.NDArray[Any], ends: npt.NDArray[Any], rows: npt.NDArray[np.int32], family: int
) -> _Family:
    """Sort the ranges (given in input order) and make them disjoint, as in the module doc.

    Vectorised except inside groups of overlapping ranges (a few hundred in the real data),
    which are swept in Python on integer addresses.
    """
    n = len(starts)
    if n < 2 or bool(np.all(ends[:-1] < starts[1:])):
        return _Family(starts, ends, rows)  # already sorted and disjoint: the common case
    order = np.argsort(starts, kind="stable")
    starts, ends, rows = starts[order], ends[order], rows[order]
    if family == 6:  # no 128-bit integers in numpy: compare ranks of the addresses instead
        keys = np.unique(np.concatenate([starts, ends]))
        start_rank, end_rank = np.searchsorted(keys, starts), np.searchsorted(keys, ends)
    else:
        start_rank, end_rank = starts.astype(np.int64), ends.astype(np.int64)
    reach = np.maximum.accumulate(end_rank)
    first = np.ones(n, dtype=bool)
    first[1:] = start_rank[1:] > reach[:-1]
    group = np.cumsum(first) - 1
    shared = np.bincount(group)[group] > 1
    if not shared.any():
        return _Family(starts, ends, rows)  # only out of order
    resolved: list[tuple[int, int, int]] = []
    overlapping = np.flatnonzero(shared)
    to_int = _v6_int if family == 6 else int
    pairs = zip(group[overlapping].tolist(), overlapping.tolist(), strict=True)
    for _, members in groupby(pairs, key=itemgetter(0)):
        spans = [
            (to_int(starts[pos]), to_int(ends[pos]), int(rows[pos]), int(order[pos]))
            for _, pos in members
        ]
        resolved += _sweep(spans)
    keep = ~shared
    dtype = starts.dtype
    if family == 6:
        new_starts = np.array([x[0].to_bytes(16) for x in resolved], dtype=dtype)
        new_ends = np.array([x[1].to_bytes(16) for x in resolved], dtype=dtype)
    else:
        new_starts = np.array([x[0] for x in resolved], dtype=dtype)
        new_ends = np.array([x[1] for x in resolved], dtype=dtype)
    starts = np.concatenate([starts[keep], new_starts])
    ends = np.concatenate([ends[keep], new_ends])
    rows = np.concatenate([rows[keep], np.array([x[2] for x in resolved], dtype=np.int32)])
    order = np.argsort(starts, kind="stable")
    return _Family(starts[order], ends[order], rows[order])


def _v6_int(packed: bytes) -> int:
    return int.from_bytes(bytes(packed).ljust(16, b"\x00"))  # numpy drops trailing NULs


def _sweep(members: list[tuple[int, int, int, int]]) -> list[tuple[int, int, int]]:
    """Disjoint pieces of overlapping ``(start, end, row, input order)`` ranges, sorted by
    start: at each address the narrowest range wins, then the later input line."""
    bounds = sorted({m[0] for m in members} | {m[1] + 1 for m in members})
    heap: list[tuple[int, int, int, int]] = []  # (width, -input order, end, row)
    out: list[tuple[int, int, int]] = []
    k = 0
    for lo, nxt in pairwise(bounds):
        while k < len(members) and members[k][0] == lo:
            start, end, row, seq = members[k]
            heapq.heappush(heap, (end - start, -seq, end, row))
            k += 1
        while heap and heap[0][2] < lo:
            heapq.heappop(heap)
        if not heap:
            continue
        row = heap[0][3]
        if out and out[-1][2] == row and out[-1][1] == lo - 1:
            out[-1] = (out[-1][0], nxt - 1, row)
        else:
            out.append((lo, nxt - 1, row))
    return out


class IpIntervalIndex:
    """Maps an IPv4 or IPv6 address to the row of the range that holds it (see module doc)."""

    __slots__ = ("_v4", "_v6", "columns", "values")

    def __init__(self, columns: Sequence[str], values: list[Row], v4: _Family, v6: _Family):
        self.columns = tuple(columns)
        self.values = values
        self._v4 = v4
        self._v6 = v6

    # --- building ---------------------------------------------------------------------

    @classmethod
    def from_rows(cls, rows: Iterable[Sequence[str]], *, columns: Sequence[str]) -> IpIntervalIndex:
        """From ``(start, end, value, ...)`` rows; ``IpDataError`` names the bad row."""
        rows = list(rows)
        keys: list[Hashable] = [tuple(row[2:]) for row in rows]
        source = _Source(
            "row",
            lambda k: k + 1,
            [row[0] if row else "" for row in rows],
            [row[1] if len(row) > 1 else "" for row in rows],
            keys,
            _as_row,
        )
        return cls._build([source], tuple(columns))

    @classmethod
    def from_csv(
        cls,
        paths: Path | str | Sequence[Path | str],
        *,
        columns: Sequence[str],
        cache: bool = True,
        cache_dir: Path | str | None = None,
    ) -> IpIntervalIndex:
        """Load one or more CSV files (IPv4 and IPv6 alike) into one index.

        ``cache``: read/write the ``.npz`` cache (in ``cache_dir``, by default beside the
        first file). ``IpDataError`` names the file and line of a malformed line.
        """
        files = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
        if not files:
            raise ValueError("no data files given")
        columns = tuple(columns)
        cache_path = cls._cache_path(files, columns, cache_dir) if cache else None
        if cache_path is not None:
            cached = cls._read_cache(cache_path, columns)
            if cached is not None:
                return cached
        irregular: set[Path] = set()
        while True:
            try:
                index = cls._build(_read_csv(files, irregular), columns)
                break
            except _Irregular as exc:  # rare: start again, reading that file with ``csv``
                irregular.add(exc.path)
        if cache_path is not None:
            index._write_cache(cache_path)
        return index

    @classmethod
    def _build(cls, sources: Iterable[_Source], columns: tuple[str, ...]) -> IpIntervalIndex:
        """Parse in bulk: addresses packed with one ``join`` per column, values decoded once
        per distinct value text (the ASN data repeats 91,000 values over 515,000 lines)."""
        if not columns:
            raise ValueError("at least one value column is needed")
        values: dict[Row, int] = {}
        known: dict[Hashable, int] = {}  # value text (or tuple) -> value number
        parts: dict[int, list[tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]]]
        parts = {4: [], 6: []}
        for src in sources:
            local: dict[Hashable, int] = {}
            first_ids = np.array([local.setdefault(k, len(local)) for k in src.keys], np.int32)
            remap = np.empty(len(local), dtype=np.int32)
            for key, n in local.items():
                number = known.get(key)
                if number is None:
                    row = src.decode(key)
                    if len(row) != len(columns):
                        line = src.line(src.keys.index(key))
                        raise IpDataError(
                            f"{src.where}:{line}: expected {2 + len(columns)} fields, "
                            f"found {2 + len(row)}"
                        )
                    number = known[key] = values.setdefault(row, len(values))
                remap[n] = number
            vids = remap[first_ids]
            if ":" not in "".join(src.starts):
                is6 = np.zeros(len(src.starts), dtype=bool)
            else:
                is6 = np.array([":" in x for x in src.starts], dtype=bool)
            for family in (4, 6):
                picked = np.flatnonzero(is6 if family == 6 else ~is6)
                if not len(picked):
                    continue
                whole = len(picked) == len(src.starts)
                at = picked.tolist()
                starts = _pack_column(
                    src.starts if whole else [src.starts[i] for i in at], family, src, at
                )
                ends = _pack_column(
                    src.ends if whole else [src.ends[i] for i in at], family, src, at
                )
                bad = np.flatnonzero(starts > ends)
                if len(bad):
                    i = at[int(bad[0])]
                    raise IpDataError(
                        f"{src.where}:{src.line(i)}: "
                        f"{src.starts[i]} .. {src.ends[i]} is not a range"
                    )
                parts[family].append((starts, ends, vids[picked]))
        tables = {}
        for family, dtype in ((4, _V4_DTYPE), (6, _V6_DTYPE)):
            got = parts[family]
            if got:
                arrays = [np.concatenate([p[k] for p in got]) for k in range(3)]
            else:
                arrays = [np.empty(0, dtype), np.empty(0, dtype), np.empty(0, np.int32)]
            tables[family] = _normalise(arrays[0], arrays[1], arrays[2], family)
        return cls(columns, list(values), tables[4], tables[6])

    # --- lookups ----------------------------------------------------------------------

    def lookup(self, ip: str) -> Row | None:
        """The row for ``ip``, or None where no range holds it; ``ValueError`` if not an IP."""
        family, number = parse_ip(ip)
        if family == 4:
            found = self._v4.find(np.array([number], dtype=_V4_DTYPE))
        else:
            found = self._v6.find(np.array([number.to_bytes(16)], dtype=_V6_DTYPE))
        row = int(found[0])
        return self.values[row] if row >= 0 else None

    def lookup_many(self, ips: Sequence[str], *, strict: bool = True) -> list[Row | None]:
        """Rows for many addresses, vectorised. ``strict=False``: None for a non-address."""
        values = self.values
        return [values[i] if i >= 0 else None for i in self.find_rows(ips, strict=strict).tolist()]

    def find_rows(self, ips: Sequence[str], *, strict: bool = True) -> npt.NDArray[np.int32]:
        """Row numbers into ``values`` (-1: not covered), the array form of ``lookup_many``."""
        return self.find_packed(pack_ips(ips, strict=strict))

    def find_packed(self, packed: PackedIps) -> npt.NDArray[np.int32]:
        """``find_rows`` for addresses parsed once with ``pack_ips`` (to query many indexes)."""
        out = np.full(packed.size, -1, dtype=np.int32)
        if len(packed.v4_at):
            out[packed.v4_at] = self._v4.find(packed.v4_keys)
        if len(packed.v6_at):
            out[packed.v6_at] = self._v6.find(packed.v6_keys)
        return out

    def __contains__(self, ip: object) -> bool:
        return isinstance(ip, str) and self.lookup(ip) is not None

    def __len__(self) -> int:
        """Number of (disjoint) ranges, IPv4 and IPv6."""
        return len(self._v4.starts) + len(self._v6.starts)

    @property
    def nbytes(self) -> int:
        """Approximate memory held: the arrays plus the value strings."""
        seen: set[int] = set()
        held = sys.getsizeof(self.values)
        for value in self.values:
            held += sys.getsizeof(value)
            for text in value:
                if id(text) not in seen:
                    seen.add(id(text))
                    held += sys.getsizeof(text)
        return self._v4.nbytes + self._v6.nbytes + held

    def __repr__(self) -> str:
        return (
            f"<IpIntervalIndex {self.columns} ipv4={len(self._v4.starts)} "
            f"ipv6={len(self._v6.starts)} values={len(self.values)}>"
        )

    # --- cache ------------------------------------------------------------------------

    @staticmethod
    def _cache_path(
        files: list[Path], columns: tuple[str, ...], cache_dir: Path | str | None
    ) -> Path | None:
        try:
            stats = [(p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files]
        except OSError:
            return None  # reading the source will raise the real error
        key = json.dumps([_CACHE_FORMAT, columns, stats]).encode()
        digest = hashlib.sha256(key).hexdigest()[:16]
        folder = Path(cache_dir) if cache_dir is not None else files[0].parent
        return folder / f".{files[0].stem}.hakusan-{digest}.npz"

    @classmethod
    def _read_cache(cls, path: Path, columns: tuple[str, ...]) -> IpIntervalIndex | None:
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode())
                if meta["format"] != _CACHE_FORMAT or tuple(meta["columns"]) != columns:
                    return None
                if "values" in meta:
                    values = [tuple(v) for v in meta["values"]]
                else:  # the compact form: separator-joined (twice as fast as JSON)
                    text = bytes(data["values"]).decode()
                    values = [tuple(v.split(_UNIT)) for v in text.split(_RECORD)]
                    values = values[: meta["count"]]
                v4 = _Family(data["v4_starts"], data["v4_ends"], data["v4_rows"])
                v6 = _Family(data["v6_starts"], data["v6_ends"], data["v6_rows"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring unreadable IP data cache %s: %s", path, exc)
            return None
        return cls(columns, values, v4, v6)

    def _write_cache(self, path: Path) -> None:
        meta: dict[str, Any] = {"format": _CACHE_FORMAT, "columns": self.columns}
        joined = _RECORD.join(_UNIT.join(v) for v in self.values)
        if joined.count(_RECORD) + 1 == len(self.values) and joined.count(_UNIT) == len(
            self.values
        ) * (len(self.columns) - 1):
            meta["count"] = len(self.values)
        else:  # a value holds a separator character, or there are no values
            meta["values"] = self.values
            joined = ""
        meta_bytes = json.dumps(meta, ensure_ascii=False).encode()
        tmp = None
        try:
            fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
            with os.fdopen(fd, "wb") as out:
                np.savez(
                    out,
                    meta=np.frombuffer(meta_bytes, dtype=np.uint8),
                    values=np.frombuffer(joined.encode(), dtype=np.uint8),
                    v4_starts=self._v4.starts,
                    v4_ends=self._v4.ends,
                    v4_rows=self._v4.rows,
                    v6_starts=self._v6.starts,
                    v6_ends=self._v6.ends,
                    v6_rows=self._v6.rows,
                )
            os.chmod(tmp, 0o644)  # mkstemp makes it private; other users' processes read it
            os.replace(tmp, path)  # atomic: concurrent loaders see the old or the new file
        except OSError as exc:
            log.info("IP data cache not written (%s): %s", path, exc)
            if tmp is not None:
                Path(tmp).unlink(missing_ok=True)
            return
        prefix = path.name.split(".hakusan-")[0] + ".hakusan-"
        for stale in path.parent.glob(f"{prefix}*.npz"):
            if stale != path:
                stale.unlink(missing_ok=True)


@dataclass(slots=True)
class _Source:
    """One file (or the rows given) split into columns, values not yet decoded."""

    where: str
    line: Callable[[int], int]  # line number of the k-th entry, for messages
    starts: list[str]
    ends: list[str]
    keys: list[Hashable]  # the value part of each line, decoded once per distinct key
    decode: Callable[[Any], Row]


def _as_row(key: Any) -> Row:
    return tuple(key)


def _decode_csv(text: str) -> Row:
    if '"' not in text:
        return tuple(text.split(","))
    row = next(csv.reader([text]), None)
    return tuple(row) if row else ("",)  # csv reads "" as no field at all


_LINE = re.compile(r"^([^,\n]*),([^,\n]*),(.*)$", re.MULTILINE)


_CHUNK = 4_000_000  # characters parsed at a time (about 80,000 lines): bounds the memory


class _Irregular(Exception):
    def __init__(self, path: Path) -> None:
        self.path = path


def _read_csv(files: list[Path], irregular: set[Path]) -> Iterator[_Source]:
    """Sources for ``_build``, lazily, a chunk of lines at a time: the per-line strings of a
    chunk are dropped once its addresses are packed. A file the fast path does not fit
    raises ``_Irregular`` and is then read whole with ``csv`` (``irregular``)."""
    for path in files:
        text = path.read_text(encoding="utf-8")
        if "\r" in text:
            text = text.replace("\r\n", "\n")
        if path in irregular:
            yield _csv_rows(str(path), text)
            continue
        start = 0
        while start < len(text):
            end = text.find("\n", start + _CHUNK)
            end = len(text) if end < 0 else end + 1
            source = _split_lines(str(path), text, start, end)
            if source is None:
                raise _Irregular(path)
            yield source
            start = end


def _split_lines(where: str, text: str, start: int, end: int) -> _Source | None:
    """The fast path for ``text[start:end]`` (whole lines): one regex splits each line at
    its first two commas (addresses hold neither commas nor quotes); the rest, the values
    with CSV quoting where needed, is decoded once per distinct text. None when the lines
    do not fit (quoted addresses, quoted line breaks, a line with fewer fields)."""
    chunk = text[start:end]
    found = _LINE.findall(chunk)
    starts = [m[0] for m in found]
    ends = [m[1] for m in found]
    rests = [m[2] for m in found]
    del found
    covered = sum(map(len, starts)) + sum(map(len, ends)) + sum(map(len, rests)) + 2 * len(rests)
    if covered + chunk.count("\n") != len(chunk):
        return None  # a line the pattern skipped: fewer than three fields
    if '"' in "".join(starts) or '"' in "".join(ends):
        return None
    if any(rest.count('"') % 2 for rest in set(rests) if '"' in rest):
        return None  # a quoted line break

    def line(k: int) -> int:
        match = next(m for i, m in enumerate(_LINE.finditer(chunk)) if i == k)
        return text.count("\n", 0, start + match.start()) + 1

    keys: list[Hashable] = list(rests)
    return _Source(where, line, starts, ends, keys, _decode_csv)


def _csv_rows(where: str, text: str) -> _Source:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    numbers = [n for n, row in enumerate(rows, 1) if row]
    rows = [row for row in rows if row]
    for n, row in zip(numbers, rows, strict=True):
        if len(row) < 3:
            raise IpDataError(f"{where}:{n}: expected start,end,value…, found {row!r}")
    keys: list[Hashable] = [tuple(row[2:]) for row in rows]
    starts, ends = [r[0] for r in rows], [r[1] for r in rows]
    return _Source(where, numbers.__getitem__, starts, ends, keys, _as_row)


def _pack_column(texts: list[str], family: int, src: _Source, at: list[int]) -> npt.NDArray[Any]:
    """Addresses of one family as a uint32 or S16 array; ``IpDataError`` names a bad one."""
    af = socket.AF_INET if family == 4 else socket.AF_INET6
    try:
        packed = b"".join(map(partial(socket.inet_pton, af), texts))
    except (OSError, TypeError):
        for k, text in enumerate(texts):
            try:
                socket.inet_pton(af, text)
            except (OSError, TypeError):
                place = f"{src.where}:{src.line(at[k])}"
                raise IpDataError(f"{place}: not an IPv{family} address: {text!r}") from None
        raise
    if family == 4:
        return np.frombuffer(packed, dtype=">u4").astype(_V4_DTYPE)
    return np.frombuffer(packed, dtype=_V6_DTYPE)


_pton4 = partial(socket.inet_pton, socket.AF_INET)
_pton6 = partial(socket.inet_pton, socket.AF_INET6)
_NO_AT = np.empty(0, dtype=np.intp)
_NO_V6 = np.empty(0, dtype=_V6_DTYPE)


class PackedIps(NamedTuple):
    """Addresses parsed to index keys, split by family, with their positions in the input."""

    size: int
    v4_at: npt.NDArray[np.intp]
    v4_keys: npt.NDArray[np.uint32]
    v6_at: npt.NDArray[np.intp]
    v6_keys: npt.NDArray[Any]  # S16, big-endian


def pack_ips(ips: Sequence[str], *, strict: bool = True) -> PackedIps:
    """Parse addresses once; ``strict=False`` leaves out (so: not found) what is not an IP."""
    try:  # all IPv4, the usual batch: one pass in C
        packed4 = b"".join(map(_pton4, ips))
    except (OSError, TypeError):
        pass
    else:
        keys4 = np.frombuffer(packed4, dtype=">u4").astype(_V4_DTYPE)
        return PackedIps(len(ips), np.arange(len(ips), dtype=np.intp), keys4, _NO_AT, _NO_V6)
    fast = _pack_valid_mixed(ips)
    if fast is not None:
        return fast
    pton = socket.inet_pton
    v4_at: list[int] = []
    v4_keys: list[bytes] = []
    v6_at: list[int] = []
    v6_keys: list[bytes] = []
    for i, ip in enumerate(ips):
        try:
            if ":" in ip:
                packed = pton(socket.AF_INET6, ip)
                if packed.startswith(_MAPPED_PREFIX):
                    v4_keys.append(packed[12:])
                    v4_at.append(i)
                else:
                    v6_keys.append(packed)
                    v6_at.append(i)
            else:
                v4_keys.append(pton(socket.AF_INET, ip))
                v4_at.append(i)
        except (OSError, TypeError):
            if strict:
                raise ValueError(f"not an IP address: {ip!r}") from None
    return PackedIps(
        len(ips),
        np.array(v4_at, dtype=np.intp),
        np.frombuffer(b"".join(v4_keys), dtype=">u4").astype(_V4_DTYPE),
        np.array(v6_at, dtype=np.intp),
        np.frombuffer(b"".join(v6_keys), dtype=_V6_DTYPE),
    )


def _pack_valid_mixed(ips: Sequence[str]) -> PackedIps | None:
    """``pack_ips`` for valid IPv4 and IPv6 addresses without IPv4-mapped ones, split by
    family and packed in C; None for anything else (the caller's loop sorts it out)."""
    try:
        at4 = [i for i, ip in enumerate(ips) if ":" not in ip]
        at6 = [i for i, ip in enumerate(ips) if ":" in ip]
        keys4 = b"".join(map(_pton4, [ips[i] for i in at4]))
        keys6 = b"".join(map(_pton6, [ips[i] for i in at6]))
    except (OSError, TypeError):
        return None
    six = np.frombuffer(keys6, dtype=np.uint8).reshape(-1, 16)
    if (six[:, :12] == np.frombuffer(_MAPPED_PREFIX, dtype=np.uint8)).all(axis=1).any():
        return None
    return PackedIps(
        len(ips),
        np.array(at4, dtype=np.intp),
        np.frombuffer(keys4, dtype=">u4").astype(_V4_DTYPE),
        np.array(at6, dtype=np.intp),
        np.frombuffer(keys6, dtype=_V6_DTYPE),
    )


# --- special-purpose addresses ----------------------------------------------------------

#: Ranges that are not globally reachable (IANA IPv4/IPv6 Special-Purpose Address
#: Registries, plus multicast), so an enricher reports nothing for them. IPv4-mapped IPv6 is
#: looked up as IPv4; the NAT64 and 6to4 prefixes that embed a public IPv4 are not listed.
SPECIAL_PURPOSE: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "this network (RFC 791)"),
    ("10.0.0.0/8", "private (RFC 1918)"),
    ("100.64.0.0/10", "shared address space (RFC 6598)"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("169.254.0.0/16", "link-local (RFC 3927)"),
    ("172.16.0.0/12", "private (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation (RFC 5737)"),
    ("192.168.0.0/16", "private (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (RFC 2544)"),
    ("198.51.100.0/24", "documentation (RFC 5737)"),
    ("203.0.113.0/24", "documentation (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),  # and 255.255.255.255, limited broadcast
    ("::/128", "unspecified (RFC 4291)"),
    ("::1/128", "loopback (RFC 4291)"),
    ("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
    ("100::/64", "discard-only (RFC 6666)"),
    ("2001::/23", "IETF protocol assignments (RFC 2928)"),  # Teredo, benchmarking, ORCHID
    ("2001:db8::/32", "documentation (RFC 3849)"),
    ("3fff::/20", "documentation (RFC 9637)"),
    ("5f00::/16", "SRv6 SIDs (RFC 9602)"),
    ("fc00::/7", "unique local (RFC 4193)"),
    ("fe80::/10", "link-local (RFC 4291)"),
    ("fec0::/10", "site-local, deprecated (RFC 3879)"),
    ("ff00::/8", "multicast (RFC 4291)"),
)

#: Globally reachable assignments inside the ranges above (IANA registries).
GLOBAL_EXCEPTIONS: tuple[str, ...] = (
    "192.0.0.9/32",  # Port Control Protocol anycast (RFC 7723)
    "192.0.0.10/32",  # TURN anycast (RFC 8155)
    "2001:1::1/128",  # PCP anycast
    "2001:1::2/128",  # TURN anycast
    "2001:3::/32",  # AMT (RFC 7450)
    "2001:4:112::/48",  # AS112-v6 (RFC 7535)
    "2001:20::/28",  # ORCHIDv2 (RFC 7343)
    "2001:30::/28",  # DRIP (RFC 9374)
)


@cache
def special_purpose_index() -> IpIntervalIndex:
    """``lookup(ip)`` gives ``(label,)`` for a special-purpose address, ``("",)`` for a
    global exception inside one (the narrower range wins), None for anything else."""
    rows = [(str(n[0]), str(n[-1]), label) for n, label in _networks(SPECIAL_PURPOSE)]
    rows += [(str(n[0]), str(n[-1]), "") for n, _ in _networks((e, "") for e in GLOBAL_EXCEPTIONS)]
    return IpIntervalIndex.from_rows(rows, columns=("range",))


def _networks(items: Iterable[tuple[str, str]]) -> list[tuple[Any, str]]:
    return [(ip_network(cidr), label) for cidr, label in items]
