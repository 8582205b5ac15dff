"""Canonical forms of the intelligence layer's network, host and fuzzy-hash types.

cidr, asn, mutex, filename, user_agent, ja3, ssdeep and tlsh. Like the foundation's
canonicalisers, each takes a stripped string and returns the canonical value or raises
:class:`InvalidObservable`; the policy is listed in the package docstring. Which of these
get a refanged input and which the text as written is decided in :mod:`.canonical`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import unicodedata

from .types import InvalidObservable, ObservableType

__all__ = [
    "canonical_asn",
    "canonical_cidr",
    "canonical_filename",
    "canonical_ja3",
    "canonical_mutex",
    "canonical_ssdeep",
    "canonical_tlsh",
    "canonical_user_agent",
]

T = ObservableType

# C0 controls and DEL: never part of a name anyone writes down; a sign of binary garbage.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# --- cidr ----------------------------------------------------------------------------

_CIDR = re.compile(r"^(?P<address>[^/\s]+?)(?:\s*/\s*(?P<prefix>\S+))?$")
_IPV4_SHAPE = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$")


def _network(
    address: str, prefix: str | None, raw: str
) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    if address.startswith("[") and address.endswith("]"):
        address = address[1:-1]
    if not address.isascii() or "%" in address:
        raise InvalidObservable(T.CIDR, "only plain addresses (no zone index, ASCII only)", raw)
    version = 4 if _IPV4_SHAPE.match(address) else 6 if ":" in address else 0
    if not version:
        raise InvalidObservable(
            T.CIDR, "expected an address/prefix such as 192.0.2.0/24 or 2001:db8::/32", raw
        )
    bits = 32 if version == 4 else 128
    if prefix is None:
        length = bits  # a single address is the network of just that address
    elif prefix.isascii() and prefix.isdigit() and len(prefix) <= 3:
        length = int(prefix)
        if length > bits:
            raise InvalidObservable(T.CIDR, f"prefix /{prefix} is longer than {bits} bits", raw)
    elif version == 4 and _IPV4_SHAPE.match(prefix):
        # A netmask (255.255.255.0); ipaddress also reads a host mask (0.0.0.255).
        try:
            mask = ipaddress.IPv4Network(f"0.0.0.0/{prefix}")
        except ValueError:
            raise InvalidObservable(T.CIDR, f"{prefix} is not a valid netmask", raw) from None
        length = mask.prefixlen
    else:
        raise InvalidObservable(T.CIDR, f"prefix {prefix!r} is not a number of bits", raw)
    try:
        if version == 4:
            return ipaddress.IPv4Network(f"{address}/{length}", strict=False)
        return ipaddress.IPv6Network(f"{address}/{length}", strict=False)
    except ValueError as exc:
        raise InvalidObservable(T.CIDR, str(exc), raw) from None


def canonical_cidr(raw: str) -> str:
    match = _CIDR.match(raw)
    if not match:
        raise InvalidObservable(
            T.CIDR, "expected an address/prefix such as 192.0.2.0/24 or 2001:db8::/32", raw
        )
    network = _network(match["address"], match["prefix"], raw)
    if isinstance(network, ipaddress.IPv6Network):
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:  # RFC 5952 section 5, as the ipv6 type writes it
            return f"::ffff:{mapped}/{network.prefixlen}"
        return network.compressed
    return str(network)


# --- asn -----------------------------------------------------------------------------

_ASN = re.compile(r"^(?:AS(?:N)?[\s:#-]*)?([0-9]{1,10})(?:\.([0-9]{1,5}))?$", re.IGNORECASE)
_ASN_MAX = 4_294_967_295
# Numbers that never identify a network: RFC 7607 (0), RFC 6793 (AS_TRANS), RFC 7300 (last
# 16- and 32-bit numbers). Private-use and documentation numbers are valid (exercises).
_ASN_RESERVED = {
    0: "AS0 is reserved (RFC 7607) and never originates routes",
    23456: "AS23456 is AS_TRANS (RFC 6793), a placeholder for 4-byte numbers",
    65535: "AS65535 is reserved (RFC 7300)",
    _ASN_MAX: "AS4294967295 is reserved (RFC 7300)",
}


def canonical_asn(raw: str) -> str:
    match = _ASN.match(raw)
    if not match or not raw.isascii():
        raise InvalidObservable(T.ASN, "expected AS followed by a number, e.g. AS15169", raw)
    if match[2] is None:
        number = int(match[1])
    else:  # asdot (RFC 5396): high.low
        high, low = int(match[1]), int(match[2])
        if high > 65535 or low > 65535:
            raise InvalidObservable(T.ASN, "asdot parts must each be at most 65535", raw)
        number = high * 65536 + low
    if number > _ASN_MAX:
        raise InvalidObservable(T.ASN, f"{number} is above the 32-bit range", raw)
    if number in _ASN_RESERVED:
        raise InvalidObservable(T.ASN, _ASN_RESERVED[number], raw)
    return f"AS{number}"


# --- names kept as written: mutex, filename, user agent ------------------------------

_MAX_NAME = 260  # MAX_PATH: the limit of a Windows object name (and far above any file name)


def _nfc(kind: ObservableType, raw: str) -> str:
    value = unicodedata.normalize("NFC", raw).strip()
    if not value:
        raise InvalidObservable(kind, "empty value", raw)
    if _CONTROL.search(value):
        raise InvalidObservable(kind, "contains control characters", raw)
    return value


def canonical_mutex(raw: str) -> str:
    value = _nfc(T.MUTEX, raw)
    if len(value) > _MAX_NAME:
        raise InvalidObservable(T.MUTEX, f"longer than {_MAX_NAME} characters", raw)
    return value


_QUOTES = {'"': '"', "'": "'", "「": "」", "“": "”"}


def _unquote(value: str) -> str:
    close = _QUOTES.get(value[:1])
    if close and len(value) >= 2 and value.endswith(close):
        return value[1:-1]
    return value


_PATH_SEPARATOR = re.compile(r"[\\/]")


def canonical_filename(raw: str) -> str:
    value = _nfc(T.FILENAME, raw)
    while True:  # to a fixed point: '"C:\\x\\ y.exe"' -> 'C:\\x\\ y.exe' -> 'y.exe'
        name = _unquote(value.strip()).strip()
        name = unicodedata.normalize("NFC", _PATH_SEPARATOR.split(name)[-1]).strip()
        if name == value:
            break
        value = name
    if not value:
        raise InvalidObservable(
            T.FILENAME, "no file name (empty, or a directory path ending in a separator)", raw
        )
    if value in (".", ".."):
        raise InvalidObservable(
            T.FILENAME, f"{value!r} is a directory reference, not a file name", raw
        )
    if re.fullmatch(r"[A-Za-z]:", value):
        raise InvalidObservable(T.FILENAME, f"{value!r} is a drive, not a file name", raw)
    if len(value) > 255:
        raise InvalidObservable(T.FILENAME, "longer than 255 characters", raw)
    return value


_UA_HEADER = re.compile(r"^user-agent\s*:\s*", re.IGNORECASE)
_WHITESPACE = re.compile(r"\s+")


def canonical_user_agent(raw: str) -> str:
    value = unicodedata.normalize("NFC", raw)
    value = _WHITESPACE.sub(" ", value).strip()
    while True:  # "User-Agent: ..." header prefix and log quotes, to a fixed point
        stripped = _UA_HEADER.sub("", value)
        if stripped[:1] == '"' and stripped[-1:] == '"' and len(stripped) >= 2:
            stripped = stripped[1:-1]
        stripped = stripped.strip()
        if stripped == value:
            break
        value = stripped
    if not value:
        raise InvalidObservable(T.USER_AGENT, "empty value", raw)
    if _CONTROL.search(value):
        raise InvalidObservable(T.USER_AGENT, "contains control characters", raw)
    return value


# --- fingerprints and fuzzy hashes ---------------------------------------------------

_HEX = re.compile(r"^[0-9a-f]+$")
_JA3_LIST = r"(?:[0-9]{1,5}(?:-[0-9]{1,5})*)?"
_JA3_STRING = re.compile(rf"^[0-9]{{1,5}},{_JA3_LIST},{_JA3_LIST},{_JA3_LIST},{_JA3_LIST}$")


def canonical_ja3(raw: str) -> str:
    if "," in raw:
        if not _JA3_STRING.match(raw):
            raise InvalidObservable(
                T.JA3,
                "a JA3 string is SSLVersion,Ciphers,Extensions,EllipticCurves,PointFormats "
                "(decimal, lists joined by '-')",
                raw,
            )
        if any(int(n) > 65535 for n in re.findall(r"[0-9]+", raw)):
            raise InvalidObservable(T.JA3, "JA3 fields are 16-bit values (at most 65535)", raw)
        # The fingerprint is the MD5 of the string exactly as the TLS client hello gave it.
        return hashlib.md5(raw.encode("ascii"), usedforsecurity=False).hexdigest()
    value = raw.lower()
    if len(value) != 32 or not _HEX.match(value):
        raise InvalidObservable(T.JA3, "expected 32 hex digits (an MD5) or a full JA3 string", raw)
    return value


# ssdeep's own limits: block sizes 3 * 2**n (n < 31), hash parts of at most 64 characters
# (the second is 32 unless made with FUZZY_FLAG_NOTRUNC).
_SSDEEP = re.compile(r'^([0-9]{1,10}):([A-Za-z0-9+/]{0,64}):([A-Za-z0-9+/]{0,64})(?:,"[^"]*")?$')
SSDEEP_BLOCK_SIZES = frozenset(3 << n for n in range(31))


def canonical_ssdeep(raw: str) -> str:
    value = unicodedata.normalize("NFKC", raw).strip()
    match = _SSDEEP.match(value)
    if not match:
        raise InvalidObservable(
            T.SSDEEP,
            "expected blocksize:hash1:hash2 with hashes in the base64 alphabet "
            "(at most 64 characters each)",
            raw,
        )
    block_size = int(match[1])
    if block_size not in SSDEEP_BLOCK_SIZES:
        raise InvalidObservable(
            T.SSDEEP, f"block size {block_size} is not 3 times a power of two", raw
        )
    return f"{block_size}:{match[2]}:{match[3]}"


_TLSH_HEX = 70  # 1-byte checksum, L value, Q ratios, 128 buckets of 2 bits


def canonical_tlsh(raw: str) -> str:
    value = raw.upper()
    if value == "TNULL":
        raise InvalidObservable(T.TLSH, "TNULL: the input was too small to have a digest", raw)
    body = value.removeprefix("T1")
    if len(body) != _TLSH_HEX or not _HEX.match(body.lower()):
        raise InvalidObservable(
            T.TLSH, f"expected {_TLSH_HEX} hex digits, optionally after the T1 version", raw
        )
    return "T1" + body
