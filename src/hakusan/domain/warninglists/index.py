"""WarninglistIndex: all lists in lookup structures, matched by our observable types.

Per list type (and our types the list applies to, from its ``matching_attributes``):

- cidr -> ipv4/ipv6: every prefix of every list cut into disjoint segments (``CidrTable``);
  one ``bisect`` returns every list containing the address, each with its most specific entry.
- hostname -> domain, and the host of a url: one dict from host name to the lists naming
  it; a value is looked up with each of its parent names (``www.google.com``,
  ``google.com``, ``com``), so an entry matches itself and every subdomain. Except across a
  public suffix: in a ``false-positive`` list, an entry that is a public suffix (Public
  Suffix List, private section included: ``github.io``, ``blogspot.com``, ``ddns.net``,
  ``azurewebsites.net``; Tranco lists 1,190 such names) matches only itself. Names under
  it belong to whoever registered them - a phishing site on ``web.app`` is not a top site.
  ``known`` lists (dynamic DNS, LOTS, URL shorteners) keep every subdomain.
- string -> exact match. For hosts (domain) it shares the hostname dict; an entry written
  ``.google.ad``/``*.google.ad`` is read as "this name and its subdomains", as in hostname
  lists. Hash entries are lower-cased; e-mail entries too.
- substring -> per type, patterns that can occur in the type's canonical form; a few are
  tested with ``in``, many (disposable-email: ~5,000) with one prefix-factored regular
  expression and, on a hit, a trie walk that collects every pattern present.
- regex -> each entry compiled once (MISP ``/body/flags``); invalid ones skipped.

Hits are made lazily and cached (a bounded dict of ``Hit`` by list and entry): a frozen
dataclass costs about a microsecond to create and popular values hit ten lists.
"""

import contextlib
import functools
import gc
import hashlib
import json
import os
import pickle
import re
import socket
import sys
import threading
from bisect import bisect_right as _bisect_right
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
from publicsuffixlist import PublicSuffixList

from . import overrides as reviewed
from .cidr import CidrTable, Cover, parse_prefix
from .load import load_packaged_lists
from .text import SubstringMatcher, compile_misp_regex, normalise_hosts
from .types import OUR_TYPES, Hit, Warninglist

_HASH_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64}
_HEX = re.compile(r"[0-9a-f]+")
_SINGLE_LABEL = re.compile(r"^[^.\n]+$", re.MULTILINE)
# Characters a canonical value of the type can hold: a substring pattern with any other
# character can never match it (``portal.example.com`` inside an IPv4 address).
_ALPHABETS = {
    "ipv4": frozenset("0123456789."),
    "ipv6": frozenset("0123456789abcdef:."),
    "md5": frozenset("0123456789abcdef"),
    "sha1": frozenset("0123456789abcdef"),
    "sha256": frozenset("0123456789abcdef"),
    "domain": frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-_"),
    "phone": frozenset("+0123456789"),
}
_URL_HOST = re.compile(r"[a-z][a-z0-9+.\-]*://(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^/?#:]*)", re.I)
_AF_INET = socket.AF_INET
_AF_INET6 = socket.AF_INET6
_inet_pton = socket.inet_pton
_from_bytes = int.from_bytes

Ids = tuple[int, ...]
Pair = tuple[Ids, Ids]  # (lists with this exact value, lists with this name and subdomains)
Regexes = tuple[tuple[re.Pattern[str], int, str], ...]  # (compiled, list order, entry)
# Lists other than the host dict and CIDR tables, per type: (exact table, case folding,
# substring matcher, regexes). Case folding: True - exact keys and substring text are
# lower-cased; False - exact keys as given, substring text lower-cased; None - the canonical
# form is lower case already (domain, IPs): nothing to fold.
Extras = tuple[dict[str, Pair] | None, bool | None, SubstringMatcher | None, Regexes]
_FOLD: dict[str, bool | None] = {
    "md5": True,
    "sha1": True,
    "sha256": True,
    "email": True,
    "domain": None,
    "ipv4": None,
    "ipv6": None,
}
# Part of ``version``: bump when matching semantics change, so stored flags are redone.
MATCHER_VERSION = 1
HIT_CACHE = 1 << 16
_NO_HITS: list[
    "Hit"
] = []  # placeholder only: every slot is replaced before returning  # Hit objects kept for reuse (frozen dataclasses cost ~1 µs to make)


_GC_LOCK = threading.Lock()
_GC_STATE = {"depth": 0, "was_enabled": False}


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (nested and thread-safe; the outermost restores).

    Building and batch matching allocate millions of objects and no cycles; the collector's
    passes over a heap that holds the index cost a third of the build and half of a batch.
    """
    with _GC_LOCK:
        if _GC_STATE["depth"] == 0:
            _GC_STATE["was_enabled"] = gc.isenabled()
            gc.disable()
        _GC_STATE["depth"] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_STATE["depth"] -= 1
            if _GC_STATE["depth"] == 0 and _GC_STATE["was_enabled"]:
                gc.enable()


class _PairDict:
    """key -> (exact list ids, suffix list ids); equal id tuples are shared between keys."""

    def __init__(self) -> None:
        self.data: dict[str, Pair] = {}
        self._interned: dict[Pair, Pair] = {}

    def _intern(self, pair: Pair) -> Pair:
        return self._interned.setdefault(pair, pair)

    def add(self, keys: list[str], order: int, *, suffix: bool) -> None:
        """Add ``keys`` for list ``order``, merging with lists that already hold a key."""
        single = self._intern(((), (order,)) if suffix else ((order,), ()))
        data = self.data
        if not data:
            data.update(dict.fromkeys(keys, single))
            return
        setdefault = data.setdefault
        clashes = [key for key in keys if setdefault(key, single) is not single]
        merged: dict[int, Pair] = {}
        for key in clashes:
            current = data[key]
            new = merged.get(id(current))
            if new is None:
                new = self._merge(current, order, suffix)
                merged[id(current)] = new
            data[key] = new

    def _merge(self, current: Pair, order: int, suffix: bool) -> Pair:
        exact, wild = current
        if suffix:
            wild = wild if order in wild else tuple(sorted((*wild, order)))
        else:
            exact = exact if order in exact else tuple(sorted((*exact, order)))
        return self._intern((exact, wild))


def _merge_ids(table: dict[str, Ids], key: str, order: int) -> None:
    current = table.get(key, ())
    if order not in current:
        table[key] = (*current, order)


class WarninglistIndex:
    """Match (type, canonical value) pairs against warninglists.

    Build once (``build`` or the cached ``packaged``), then call ``match``/``match_many``
    from any thread: the lookup structures are read-only after construction, and the two
    caches of ``Hit`` objects only ever map a key to an equal value.
    """

    lists: tuple[Warninglist, ...]
    version: str  # digest of the loaded lists: re-flag stored observables when it changes
    invalid: Mapping[str, int]  # slug -> entries skipped as unusable (bad CIDR, regex, host)
    entries: int  # entries read, all lists

    def __init__(
        self,
        *,
        lists: tuple[Warninglist, ...],
        version: str,
        invalid: Mapping[str, int],
        entries: int,
        v4: CidrTable,
        v6: CidrTable,
        host: dict[str, Pair],
        tld_suffix: bool,
        exact: dict[str, dict[str, Pair]],
        substring: dict[str, SubstringMatcher],
        regex: dict[str, list[tuple[re.Pattern[str], int, str]]],
        applies: dict[str, frozenset[int]],
        psl_boundary: bool = True,
    ) -> None:
        self.lists = lists
        self.version = version
        self.invalid = invalid
        self.entries = entries
        self._v4 = v4
        self._v4_starts = v4.starts
        self._v4_covers = v4.covers
        # the same starts as an array for match_many's vectorised lookup
        self._v4_array = np.array(v4.starts, dtype=np.int64)
        self._v6 = v6
        self._host = host
        self._tld_suffix = tld_suffix  # some hostname entry is a single label ("onion")
        self._hits: dict[tuple[int, str], Hit] = {}
        self._order = {meta.slug: i for i, meta in enumerate(lists)}
        self._cover_hits: dict[int, tuple[Hit, ...]] = {}  # id(cover) -> its hits, lazily
        self._extras: dict[str, Extras] = {
            t: (exact.get(t), _FOLD.get(t, False), substring.get(t), tuple(regex.get(t, ())))
            for t in set(exact) | set(substring) | set(regex)
        }
        self._applies_domain = applies["domain"]
        self._applies_url = applies["url"]
        # lists whose entries stop at public suffixes (see the module docstring)
        self._bounded = frozenset(
            i for i, meta in enumerate(lists) if psl_boundary and meta.category != "known"
        )
        self._public: dict[str, bool] = {}  # memo of is_public for names that had a hit

    def __repr__(self) -> str:
        return (
            f"<WarninglistIndex {len(self.lists)} lists, {self.entries} entries, "
            f"version {self.version}>"
        )

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        lists: Iterable[tuple[Warninglist, Iterable[str]]],
        *,
        psl_boundary: bool = True,
    ) -> "WarninglistIndex":
        """Index ``lists`` (metadata, entries); a slug may appear once.

        ``psl_boundary=False`` gives MISP's plain subdomain matching for every list.
        The cyclic garbage collector is paused meanwhile (``_gc_paused``).
        """
        with _gc_paused():
            return cls._build(lists, psl_boundary)

    @classmethod
    def _build(
        cls, lists: Iterable[tuple[Warninglist, Iterable[str]]], psl_boundary: bool
    ) -> "WarninglistIndex":
        metas: list[Warninglist] = []
        digest = hashlib.sha256(f"hakusan-warninglists/{MATCHER_VERSION}/{psl_boundary}".encode())
        invalid: dict[str, int] = {}
        total = 0
        v4: list[tuple[int, int, int, str]] = []
        v6: list[tuple[int, int, int, str]] = []
        host_jobs: list[tuple[list[str], int, bool]] = []
        exact: dict[str, _PairDict] = {}
        substring: dict[str, dict[str, Ids]] = {}
        regex: dict[str, list[tuple[re.Pattern[str], int, str]]] = {}
        applies: dict[str, set[int]] = {t: set() for t in OUR_TYPES}
        slugs: set[str] = set()

        for order, (meta, raw_entries) in enumerate(lists):
            if meta.slug in slugs:
                raise ValueError(f"duplicate warninglist slug {meta.slug!r}")
            slugs.add(meta.slug)
            entries = raw_entries if isinstance(raw_entries, list) else list(raw_entries)
            metas.append(meta)
            total += len(entries)
            head = [meta.slug, meta.name, meta.version, meta.list_type, meta.category]
            digest.update(json.dumps([*head, list(meta.matching_attributes)]).encode())
            joined = "\n".join(entries)
            digest.update(joined.encode("utf-8", "surrogatepass"))
            digest.update(b"\0")
            types = meta.observable_types
            for t in types:
                applies[t].add(order)
            bad = 0
            kind = meta.list_type
            if kind == "cidr":
                if types & {"ipv4", "ipv6"}:
                    for entry in entries:
                        prefix = parse_prefix(entry)
                        if prefix is None:
                            bad += 1
                        elif prefix[0] == 4:
                            v4.append((prefix[1], prefix[2], order, entry.strip()))
                        else:
                            v6.append((prefix[1], prefix[2], order, entry.strip()))
            elif kind == "hostname":
                if types & {"domain", "url"}:
                    plain, wild, bad = normalise_hosts(entries, joined)
                    host_jobs.append((plain + wild, order, True))
            elif kind == "string":
                cls._index_strings(entries, joined, order, types, host_jobs, exact)
            elif kind == "substring":
                patterns = [e.strip().lower() for e in entries]
                bad = sum(1 for p in patterns if not p)
                for t in types:
                    table = substring.setdefault(t, {})
                    alphabet = _ALPHABETS.get(t)
                    for pattern in patterns:
                        if pattern and (alphabet is None or alphabet.issuperset(pattern)):
                            _merge_ids(table, pattern, order)
            elif kind == "regex":
                compiled = []
                for entry in entries:
                    pattern = compile_misp_regex(entry)
                    if pattern is None:
                        bad += 1
                    else:
                        compiled.append((pattern, order, entry))
                for t in types:
                    regex.setdefault(t, []).extend(compiled)
            if bad:
                invalid[meta.slug] = bad

        # Biggest first: the first list goes in with dict.fromkeys (C speed); later keys are
        # merged with setdefault, and only keys held by several lists pay for a merge.
        host = _PairDict()
        tld_suffix = False
        for keys, order, suffix in sorted(host_jobs, key=lambda job: -len(job[0])):
            host.add(keys, order, suffix=suffix)
            if suffix and not tld_suffix:
                tld_suffix = _SINGLE_LABEL.search("\n".join(keys)) is not None
        return cls(
            lists=tuple(metas),
            version=digest.hexdigest()[:16],
            invalid=invalid,
            entries=total,
            v4=CidrTable.build(v4),
            v6=CidrTable.build(v6),
            host=host.data,
            tld_suffix=tld_suffix,
            exact={t: d.data for t, d in exact.items() if d.data},
            substring={t: SubstringMatcher(p) for t, p in substring.items() if p},
            regex={t: r for t, r in regex.items() if r},
            applies={t: frozenset(ids) for t, ids in applies.items()},
            psl_boundary=psl_boundary,
        )

    @staticmethod
    def _index_strings(
        entries: list[str],
        joined: str,
        order: int,
        types: frozenset[str],
        host_jobs: list[tuple[list[str], int, bool]],
        exact: dict[str, _PairDict],
    ) -> None:
        if types & {"domain", "url"}:
            plain, wild, _ = normalise_hosts(entries, joined)
            if wild:  # ".google.ad": the name and its subdomains
                host_jobs.append((wild, order, True))
            if "domain" in types:  # a canonical domain has at least two labels
                host_jobs.append(([h for h in plain if "." in h], order, False))
        lowered: list[str] | None = None
        for t in types:
            if t == "domain":
                continue
            if t in _HASH_LENGTHS:
                if lowered is None:
                    lowered = [e.strip() for e in joined.lower().split("\n")]
                size = _HASH_LENGTHS[t]
                keys = [e for e in lowered if len(e) == size]
                if not _HEX.fullmatch("".join(keys)):
                    keys = [key for key in keys if _HEX.fullmatch(key)]
            elif t == "url":
                keys = [e.strip() for e in entries if "://" in e] if "://" in joined else []
            elif t == "email":
                keys = [e.strip().lower() for e in entries if "@" in e] if "@" in joined else []
            else:
                keys = [e.strip() for e in entries]
            if keys:
                exact.setdefault(t, _PairDict()).add(keys, order, suffix=False)

    @classmethod
    def packaged(cls, cache_dir: Path | None = None) -> "WarninglistIndex":
        """The index of every list shipped in ``pymispwarninglists``; built once per process.

        ``cache_dir``: keep the built index there as a pickle (a few seconds to load instead of
        8-16 s to build, for every CLI run and server start). The file name carries a key of
        the package version, this module's source, the reviewed overrides and the Python
        version, so an upgrade or a new override rebuilds it. Only a directory the service alone writes to (the data directory) may be
        given: unpickling runs code from the file."""
        index = _PACKAGED.get("index")
        if index is None:
            with _PACKAGED_LOCK:
                index = _PACKAGED.get("index")
                if index is None:
                    index = _load_cached(cache_dir) if cache_dir is not None else None
                    if index is None:
                        index = cls.build(load_packaged_lists())
                        if cache_dir is not None:
                            _store_cached(cache_dir, index)
                    _PACKAGED["index"] = index
        return index

    # -- matching -------------------------------------------------------------------------

    def match(self, type: str, value: str, *, specific_urls: bool = False) -> list[Hit]:
        """Lists holding ``value`` (canonical form of observable ``type``), in list order.

        One hit per list, with its most specific entry. Unknown types and values that do
        not parse as their type give no hits; this never raises on bad input.

        ``specific_urls``: a URL with a path or query of its own (anything but ``/`` after
        the host, the fragment aside) is not flagged by its host's entries: a phishing
        page on a big shared host (``sites.google.com/view/…``, a shortened link) is
        specific and still correlates by URL, while the host, its own observable, stays
        flagged and correlates nothing. Entries naming the full URL, substring and regex
        entries still apply; a bare ``https://host/`` is flagged like its host. Off by
        default (MISP's matching: a URL's host decides); the observable store turns it on.
        """
        hits: list[Hit]
        if type == "ipv4":
            try:
                number = _from_bytes(_inet_pton(_AF_INET, value))
            except (OSError, ValueError, TypeError):
                hits = []
            else:
                k = _bisect_right(self._v4_starts, number) - 1
                hits = self._cover(self._v4_covers[k]) if k >= 0 else []
        elif type == "domain":
            hits = self._walk(value, self._applies_domain, True) if value else []
        elif type == "url":
            hits = []
            netloc = _URL_HOST.match(value)
            if netloc is not None:
                host = netloc.group(1).lower().rstrip(".")
                # IP literals (brackets, or a last label of digits) are not host names.
                if (
                    host
                    and host[0] != "["
                    and not host[-1].isdigit()
                    and not (specific_urls and _has_own_path(value, netloc.end()))
                ):
                    hits = self._walk(host, self._applies_url, False)
        elif type == "ipv6":
            try:
                number = _from_bytes(_inet_pton(_AF_INET6, value))
            except (OSError, ValueError, TypeError):
                hits = []
            else:
                if number >> 32 == 0xFFFF:  # IPv4-mapped: the IPv4 lists apply
                    hits = self._cover(self._v4.lookup(number & 0xFFFFFFFF))
                else:
                    hits = self._cover(self._v6.lookup(number))
        else:
            hits = []
        extras = self._extras.get(type)
        if extras is not None:
            more = self._match_extras(extras, value)
            if more:
                return self._merge_hits(hits, more)
        return hits

    def match_many(
        self, items: Iterable[tuple[str, str]], *, specific_urls: bool = False
    ) -> list[list[Hit]]:
        """``match`` for each (type, value), same order (``specific_urls``: as ``match``).

        Values are matched one type at a time (better locality than interleaved types);
        IPv4 addresses, 64 or more, are looked up together with ``numpy.searchsorted``
        over the segment starts. The cyclic garbage collector is paused meanwhile
        (``_gc_paused``).
        """
        with _gc_paused():
            return self._match_many(items, specific_urls)

    def _match_many(
        self, items: Iterable[tuple[str, str]], specific_urls: bool = False
    ) -> list[list[Hit]]:
        out: list[list[Hit]] = []
        groups: dict[str, tuple[list[int], list[str]]] = {}
        for position, (t, v) in enumerate(items):
            group = groups.get(t)
            if group is None:
                group = groups[t] = ([], [])
            group[0].append(position)
            group[1].append(v)
            out.append(_NO_HITS)
        for t, (positions, values) in groups.items():
            if t == "ipv4" and len(values) >= 64:  # below that numpy's overhead dominates
                results = self._match_ipv4_many(values)
            else:
                match = self.match
                results = [match(t, v, specific_urls=specific_urls) for v in values]
            for position, hits in zip(positions, results, strict=True):
                out[position] = hits
        return out

    def _match_ipv4_many(self, values: list[str]) -> list[list[Hit]]:
        numbers: list[int] = []
        for value in values:
            try:
                numbers.append(_from_bytes(_inet_pton(_AF_INET, value)))
            except (OSError, ValueError, TypeError):
                numbers.append(-1)
        found = np.searchsorted(self._v4_array, np.array(numbers, dtype=np.int64), "right")
        covers = self._v4_covers
        cover = self._cover
        extras = self._extras.get("ipv4")
        results: list[list[Hit]] = []
        for value, number, k in zip(values, numbers, found.tolist(), strict=True):
            hits = cover(covers[k - 1]) if k and number >= 0 else []
            if extras is not None:
                more = self._match_extras(extras, value)
                if more:
                    hits = self._merge_hits(hits, more)
            results.append(hits)
        return results

    def _hit(self, order: int, matched: str) -> Hit:
        key = (order, matched)
        hit = self._hits.get(key)
        if hit is None:
            meta = self.lists[order]
            hit = Hit(meta.slug, meta.name, meta.category, matched)
            if len(self._hits) >= HIT_CACHE:
                self._hits.clear()
            self._hits[key] = hit
        return hit

    def _cover(self, cover: Cover) -> list[Hit]:
        if not cover:
            return []
        hits = self._cover_hits.get(id(cover))  # covers live as long as the index
        if hits is None:
            hits = tuple(self._hit(order, entry) for order, entry in cover)
            self._cover_hits[id(cover)] = hits
        return list(hits)

    def _walk(self, host: str, applies: frozenset[int], exact: bool) -> list[Hit]:
        """Hits for ``host`` and each parent name; one per list, the most specific entry.

        ``exact``: string-list entries count for the full name (a domain value), not for
        the host of a url.
        """
        get = self._host.get
        found: dict[int, str] = {}
        pair = get(host)
        if pair is not None:
            if exact:
                for order in pair[0]:
                    if order in applies:
                        found[order] = host
            for order in pair[1]:
                if order in applies:
                    found[order] = host
        dot = host.find(".")
        last = len(host) if self._tld_suffix else host.rfind(".")
        while -1 < dot < last:
            parent = host[dot + 1 :]
            pair = get(parent)
            if pair is not None:
                for order in pair[1]:
                    if order in applies and order not in found:
                        if order in self._bounded and self._is_public(parent):
                            continue
                        found[order] = parent
            dot = host.find(".", dot + 1)
        if not found:
            return []
        hit = self._hit
        return [hit(order, found[order]) for order in sorted(found)]

    def _is_public(self, name: str) -> bool:
        public = self._public.get(name)
        if public is None:
            public = bool(_psl().is_public(name))
            if len(self._public) >= HIT_CACHE:
                self._public.clear()
            self._public[name] = public
        return public

    def _match_extras(self, extras: Extras, value: str) -> dict[int, str]:
        """Exact (non-host), substring and regex lists for one type: {list order: entry}."""
        table, fold, matcher, regexes = extras
        found: dict[int, str] = {}
        if table is not None:
            key = value.lower() if fold else value
            pair = table.get(key)
            if pair is not None:
                for order in pair[0]:
                    found[order] = key
        if matcher is not None:
            for pattern, ids in matcher.find(value if fold is None else value.lower()):
                for order in ids:
                    found.setdefault(order, pattern)
        for compiled, order, entry in regexes:
            if order not in found and compiled.search(value) is not None:
                found[order] = entry
        return found

    def _merge_hits(self, hits: list[Hit], extra: dict[int, str]) -> list[Hit]:
        if not hits:
            return [self._hit(order, extra[order]) for order in sorted(extra)]
        rows = {self._order[hit.slug]: hit for hit in hits}
        for order, matched in extra.items():
            if order not in rows:
                rows[order] = self._hit(order, matched)
        return [rows[order] for order in sorted(rows)]


def _has_own_path(url: str, host_end: int) -> bool:
    """Whether a URL has a path or query beyond ``/`` after its host (and port), the
    fragment aside: ``https://example.jp/`` and ``https://example.jp:8443/#top`` do not,
    ``https://example.jp/login`` and ``https://example.jp/?id=1`` do."""
    rest = url[host_end:]
    if rest.startswith(":"):  # the port
        end = 1
        while end < len(rest) and rest[end].isdigit():
            end += 1
        rest = rest[end:]
    rest = rest.partition("#")[0]
    return rest not in ("", "/")


_PACKAGED: dict[str, WarninglistIndex] = {}
_PACKAGED_LOCK = threading.Lock()


def _cache_file(cache_dir: Path) -> Path:
    from importlib.metadata import version as package_version

    key = hashlib.sha256(
        "/".join(
            [
                package_version("pymispwarninglists"),
                str(MATCHER_VERSION),
                reviewed.digest(reviewed.OVERRIDES),
                sys.version,
                hashlib.sha256(Path(__file__).read_bytes()).hexdigest(),
            ]
        ).encode()
    ).hexdigest()[:16]
    return cache_dir / f"warninglists-{key}.pickle"


def _load_cached(cache_dir: Path) -> WarninglistIndex | None:
    path = _cache_file(cache_dir)
    try:
        with path.open("rb") as handle:
            index = pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception:  # a torn or foreign file: rebuild (and overwrite it)
        return None
    return index if isinstance(index, WarninglistIndex) else None


def _store_cached(cache_dir: Path, index: WarninglistIndex) -> None:
    """Write atomically (temporary file, then rename) and drop caches of other versions."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        path = _cache_file(cache_dir)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as handle:
            pickle.dump(index, handle, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        for old in cache_dir.glob("warninglists-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:  # a read-only data directory: the index still works, only uncached
        return


@functools.cache
def _psl() -> PublicSuffixList:
    """The Public Suffix List bundled with ``publicsuffixlist``, private section included."""
    return PublicSuffixList()
