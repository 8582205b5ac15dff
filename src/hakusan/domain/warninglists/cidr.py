"""CIDR entries as disjoint integer intervals: one ``bisect`` finds every list holding an IP.

All prefixes of one address family, from every list, are cut at their boundaries into
elementary segments; each segment stores the (list order, entry) pairs of the lists that
cover it (for each list its most specific entry). Nested and overlapping prefixes, within a
list or across lists, therefore cost nothing at lookup time: ``starts`` is sorted and
``covers[k]`` holds for ``starts[k] .. starts[k + 1] - 1``.
"""

from bisect import bisect_right
from operator import itemgetter
from socket import AF_INET, AF_INET6, inet_pton

V4_MAX = (1 << 32) - 1
_MAPPED_PREFIX = 0xFFFF << 32  # ::ffff:0:0/96, IPv4-mapped IPv6

Cover = tuple[tuple[int, str], ...]  # (list order, entry) per list, in list order


def parse_prefix(entry: str) -> tuple[int, int, int] | None:
    """``"8.8.8.0/24"``, ``"8.8.8.8"``, ``"2001:db8::/32"`` -> (4 or 6, first, last address).

    None when the entry is not an address or CIDR block. Host bits are masked
    (``10.0.0.1/8`` is ``10.0.0.0/8``), as ``ip_network(strict=False)`` does. IPv4-mapped IPv6
    blocks (``::ffff:9270:3d68``) become the IPv4 block they map: our canonical IPv6 keeps
    mapped addresses, and the index looks those up as IPv4.
    """
    address, slash, length = entry.strip().partition("/")
    try:
        if ":" in address:
            value = int.from_bytes(inet_pton(AF_INET6, address))
            bits = 128
        else:
            value = int.from_bytes(inet_pton(AF_INET, address))
            if not slash:
                return 4, value, value
            bits = 32
    except (OSError, ValueError):
        return None
    prefixlen = bits
    if slash:
        if not length.isascii() or not length.isdigit() or len(length) > 3:
            return None
        prefixlen = int(length)
        if prefixlen > bits:
            return None
    host = (1 << (bits - prefixlen)) - 1
    start = value & ~host
    if bits == 128 and prefixlen >= 96 and start >> 32 == 0xFFFF:
        return 4, start - _MAPPED_PREFIX, (start - _MAPPED_PREFIX) | host
    return (6 if bits == 128 else 4), start, start | host


class CidrTable:
    """Sorted segment starts and, per segment, the (list order, entry) pairs covering it."""

    __slots__ = ("covers", "starts")

    def __init__(self, starts: list[int], covers: list[Cover]) -> None:
        self.starts = starts
        self.covers = covers

    def __len__(self) -> int:
        return len(self.starts)

    def lookup(self, number: int) -> Cover:
        k = bisect_right(self.starts, number) - 1
        return self.covers[k] if k >= 0 else ()

    @classmethod
    def build(cls, intervals: list[tuple[int, int, int, str]]) -> "CidrTable":
        """``intervals``: (first address, last address, list order, entry).

        CIDR blocks are laminar: two blocks are either disjoint or one contains the other.
        Sorted by start, widest first, one pass with a stack of open blocks yields the
        segments; a nested block inherits the covers of its parents and replaces its own
        list's entry (the more specific entry wins).
        """
        starts: list[int] = []
        covers: list[Cover] = []
        stack: list[tuple[int, Cover]] = []  # (last address, cover) of open blocks

        def close_before(address: int) -> None:
            while stack and stack[-1][0] < address:
                # close the innermost block; the next address belongs to its parent
                point = stack.pop()[0] + 1
                cover = stack[-1][1] if stack else ()
                if starts[-1] == point:
                    covers[-1] = cover
                elif covers[-1] != cover:
                    starts.append(point)
                    covers.append(cover)

        ordered = sorted(intervals, key=itemgetter(1), reverse=True)
        ordered.sort(key=itemgetter(0))  # stable: widest first among equal starts
        for start, end, order, entry in ordered:
            if stack and stack[-1][0] < start:
                close_before(start)
            if stack:
                outer = stack[-1][1]
                rows = [row for row in outer if row[0] != order]
                rows.append((order, entry))
                rows.sort(key=itemgetter(0))
                cover: Cover = tuple(rows)
            else:
                cover = ((order, entry),)
            if starts and starts[-1] == start:
                covers[-1] = cover  # a narrower block starting at the same address
            else:
                starts.append(start)
                covers.append(cover)
            stack.append((end, cover))
        close_before(1 << 129)
        return cls(starts, covers)
