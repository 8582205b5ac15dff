"""Canonical forms: one value per observable, so equal things compare equal.

Every canonicaliser takes an already refanged, stripped string and returns the canonical
value or raises :class:`InvalidObservable` naming the type and what is wrong. The exceptions
are mutex, filename, user_agent and ssdeep, which get the text as written (stripped): refanging
would rewrite them (``[.]`` in a file name, ``ttp:`` inside an ssdeep hash). The intelligence
layer's types live in :mod:`.artifacts`, :mod:`.bank` and :mod:`.sns`; the registry is here.
"""

from __future__ import annotations

import codecs
import functools
import ipaddress
import re
import unicodedata
from collections.abc import Callable
from encodings import idna as _idna

import base58
import bech32m
import phonenumbers
from Crypto.Hash import keccak
from publicsuffixlist import PublicSuffixList

from .artifacts import (
    canonical_asn,
    canonical_cidr,
    canonical_filename,
    canonical_ja3,
    canonical_mutex,
    canonical_ssdeep,
    canonical_tlsh,
    canonical_user_agent,
)
from .bank import canonical_bank_account
from .fang import AS_WRITTEN_TYPES, refang_fully
from .sns import canonical_sns_account
from .types import InvalidObservable, Observable, ObservableType

__all__ = ["SPECIAL_USE_TLDS", "canonicalize", "detect", "url_host"]

T = ObservableType

# The ICANN section only: "s3.amazonaws.com" is a host under the registrable domain
# "amazonaws.com", while "co.jp" alone is a public suffix and never a host observable.
_PSL = PublicSuffixList(only_icann=True)

# RFC 2606/6761 special-use names: not in the PSL, but fictional data and exercises use them.
SPECIAL_USE_TLDS = frozenset({"test", "example", "invalid"})

_LDH_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Labels below the registrable name may also hold "_": DNS allows any octet, wildcard records
# answer for them and browsers resolve them (phishing hosts like "www_amazon.co.jp.example.top"
# use it). The registrable label and the public suffix stay letters, digits and hyphens.
_HOST_LABEL = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_IPV4_SHAPE = re.compile(r"^[0-9]{1,3}(?:\.[0-9]{1,3}){3}$")
_HEX = re.compile(r"^[0-9a-f]+$")
_HASH_LENGTHS = {T.MD5: 32, T.SHA1: 40, T.SHA256: 64}
_DASH = "-\u2010-\u2015\u2212\u30fc"
_CVE = re.compile(rf"^CVE[{_DASH} ]?([0-9]{{4}})[{_DASH}]([0-9]{{4,}})$", re.IGNORECASE)
_ETH = re.compile(r"^0[xX]([0-9a-fA-F]{40})$")
_BASE58 = re.compile(r"^[1-9A-HJ-NP-Za-km-z]{25,35}$")
_BECH32 = re.compile(r"^(?:bc1[02-9ac-hj-np-z]{8,87}|BC1[02-9AC-HJ-NP-Z]{8,87})$")
_PHONE_SHAPE = re.compile(r"^(?:\+|\(\+[0-9]{1,3}\))?[0-9()\-. ]+$")
_BRACKETED_COUNTRY_CODE = re.compile(r"^\(\+([0-9]{1,3})\)")  # "(+81) 90 ..." is "+81 90 ..."
_NON_DIGITS = re.compile(r"[^0-9]")
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
_LOCAL_PART = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_URL = re.compile(
    r"^(?P<scheme>[a-z][a-z0-9+.\-]*)://(?P<userinfo>[^@/?#]*@)?"
    r"(?P<host>\[[^\]/?#]*\]|[^:/?#\[\]@]*)(?::(?P<port>[0-9]*))?(?P<rest>[/?#].*)?$",
    re.IGNORECASE | re.DOTALL,
)
DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ftps": 990, "sftp": 22, "ws": 80, "wss": 443}


def _invalid(kind: ObservableType, reason: str, raw: str) -> InvalidObservable:
    return InvalidObservable(kind, reason, raw)


# --- network -------------------------------------------------------------------------


def canonical_ipv4(raw: str) -> str:
    if not (raw.isascii() and _IPV4_SHAPE.match(raw)):
        raise _invalid(T.IPV4, "expected a dotted quad such as 192.0.2.1", raw)
    octets = raw.split(".")
    for octet in octets:
        if len(octet) > 1 and octet[0] == "0":
            raise _invalid(T.IPV4, f"octet {octet!r} has a leading zero (octal or decimal?)", raw)
        if int(octet) > 255:
            raise _invalid(T.IPV4, f"octet {octet} is above 255", raw)
    return raw


def canonical_ipv6(raw: str) -> str:
    value = raw[1:-1] if raw.startswith("[") and raw.endswith("]") else raw
    if not value.isascii() or "%" in value:
        raise _invalid(T.IPV6, "only plain addresses (no zone index, ASCII only)", raw)
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError as exc:
        raise _invalid(T.IPV6, str(exc), raw) from None
    mapped = address.ipv4_mapped
    if mapped is not None:  # RFC 5952 section 5: mixed notation for IPv4-mapped
        return f"::ffff:{mapped}"
    return address.compressed


@functools.lru_cache(maxsize=65536)
def _domain_or_reason(raw: str) -> tuple[bool, str]:
    """(True, canonical domain) or (False, reason). Cached: hosts repeat across reports."""
    value = raw.lower().replace("\u3002", ".")  # U+3002 separates IDNA labels
    value = value.removesuffix(".")
    if not value:
        return False, "empty"
    if any(c in value for c in "/:@ \t\r\n\\"):
        return False, "contains characters that cannot be in a host name"
    labels = value.split(".")
    if len(labels) < 2:
        return False, "needs at least two labels (name and top-level domain)"
    out = []
    for label in labels:
        if not label:
            return False, "has an empty label"
        if not label.isascii():
            try:
                # IDNA 2003 (stdlib) nameprep + punycode; `idna` is no runtime dependency.
                label = _idna.ToASCII(label).decode("ascii").lower()
            except UnicodeError as exc:
                return False, f"label {label!r} cannot be IDNA-encoded ({exc})"
        if not _HOST_LABEL.match(label):
            return False, f"label {label!r} is not letters, digits and inner hyphens"
        if label.startswith("xn--"):
            try:
                codecs.decode(label[4:].encode("ascii"), "punycode")
            except UnicodeError:
                return False, f"label {label!r} is not valid punycode"
        out.append(label)
    domain = ".".join(out)
    if len(domain) > 253:
        return False, "longer than 253 characters"
    if out[-1] in SPECIAL_USE_TLDS:
        return _underscore_check(out, 2)
    if out[-1].isdigit() or _PSL.publicsuffix(domain, accept_unknown=False) is None:
        return False, f"'.{out[-1]}' is not a top-level domain in the Public Suffix List"
    registrable = _PSL.privatesuffix(domain, accept_unknown=False)
    if registrable is None:
        return False, "is a public suffix, not a registrable name"
    return _underscore_check(out, registrable.count(".") + 1)


def _underscore_check(labels: list[str], registrable: int) -> tuple[bool, str]:
    """Underscores only in the labels left of the last ``registrable`` ones (the registrable
    name: its own label and the public suffix)."""
    for label in labels[-registrable:]:
        if "_" in label:
            return False, (
                f"label {label!r} is not letters, digits and inner hyphens (an underscore is "
                "allowed only in labels below the registrable name)"
            )
    return True, ".".join(labels)


def canonical_domain(raw: str) -> str:
    ok, result = _domain_or_reason(raw)
    if not ok:
        raise _invalid(T.DOMAIN, result, raw)
    return result


def canonical_url(raw: str) -> str:
    if _SPACE_OR_CONTROL.search(raw):
        raise _invalid(T.URL, "contains whitespace or control characters", raw)
    # Scheme-less input (www.example.jp/login) gets http://, as a browser would.
    value = raw if "://" in raw else f"http://{raw}"
    match = _URL.match(value)
    if not match:
        raise _invalid(T.URL, "cannot be parsed as scheme://host/path", raw)
    scheme = match["scheme"].lower()
    if scheme not in DEFAULT_PORTS:
        raise _invalid(T.URL, f"scheme {scheme!r} is not one of {sorted(DEFAULT_PORTS)}", raw)
    host = match["host"]
    try:
        if host.startswith("["):
            host = f"[{canonical_ipv6(host)}]"
        elif _IPV4_SHAPE.match(host):
            host = canonical_ipv4(host)
        else:
            host = canonical_domain(host)
    except InvalidObservable as exc:
        raise _invalid(T.URL, f"host: {exc.reason}", raw) from None
    port = match["port"]
    port_part = ""
    if port:
        number = int(port)
        if not 0 < number < 65536:
            raise _invalid(T.URL, f"port {port} is out of range", raw)
        if number != DEFAULT_PORTS[scheme]:
            port_part = f":{number}"
    rest = match["rest"] or "/"
    if rest[0] != "/":  # "?q" and "#f" have an empty path, which is "/" (RFC 3986 6.2.3)
        rest = "/" + rest
    return f"{scheme}://{match['userinfo'] or ''}{host}{port_part}{rest}"


def url_host(url: str) -> str:
    """The host of a canonical URL: a domain, a dotted quad, or an IPv6 address unbracketed."""
    match = _URL.match(url)
    if not match:
        raise _invalid(T.URL, "cannot be parsed as scheme://host/path", url)
    host = match["host"]
    return host[1:-1] if host.startswith("[") else host


def canonical_email(raw: str) -> str:
    value = raw.removeprefix("mailto:").removeprefix("MAILTO:")
    if value.startswith("<") and value.endswith(">"):
        value = value[1:-1]
    local, at, domain = value.rpartition("@")
    if not at or not local:
        raise _invalid(T.EMAIL, "expected local-part@domain", raw)
    local = local.lower()
    if len(local) > 64 or not _LOCAL_PART.match(local):
        raise _invalid(T.EMAIL, f"local part {local!r} is not a valid dot-atom", raw)
    try:
        return f"{local}@{canonical_domain(domain)}"
    except InvalidObservable as exc:
        raise _invalid(T.EMAIL, f"domain: {exc.reason}", raw) from None


# --- hashes, identifiers -------------------------------------------------------------


def _hash_canonicalizer(kind: ObservableType) -> Callable[[str], str]:
    length = _HASH_LENGTHS[kind]

    def canonical(raw: str) -> str:
        value = raw.lower()
        if len(value) != length:
            raise _invalid(kind, f"needs exactly {length} hex digits, got {len(value)}", raw)
        if not _HEX.match(value):
            raise _invalid(kind, "is not hexadecimal", raw)
        return value

    return canonical


def canonical_cve(raw: str) -> str:
    match = _CVE.match(raw)
    if not match or not match[1].isascii() or not match[2].isascii():
        raise _invalid(T.CVE, "expected CVE-YYYY-NNNN", raw)
    year, number = match[1], match[2]
    if int(year) < 1999:
        raise _invalid(T.CVE, f"year {year} predates CVE (1999)", raw)
    if len(number) > 4 and number[0] == "0":
        raise _invalid(T.CVE, "sequence numbers longer than 4 digits have no leading zero", raw)
    return f"CVE-{year}-{number}"


def canonical_phone(raw: str) -> str:
    if not _PHONE_SHAPE.match(raw) or not raw.isascii():
        raise _invalid(T.PHONE, "only digits, +, -, spaces and parentheses are allowed", raw)
    value = _BRACKETED_COUNTRY_CODE.sub(r"+\1 ", raw)
    result = _phone_e164(value.strip() if value[0] == "+" else _NON_DIGITS.sub("", value))
    if result is None:
        raise _invalid(T.PHONE, "not a valid number (Japanese plan unless it starts with +)", raw)
    return result


@functools.lru_cache(maxsize=65536)
def _phone_e164(number: str) -> str | None:
    if number[:1] == "0" and number[1:2] not in ("", "0") and number.isdigit():
        # Domestic Japanese number: the trunk 0 drops, the rest is the national number.
        # Building it directly is 3x cheaper than phonenumbers.parse (it matters in bulk).
        parsed = phonenumbers.PhoneNumber(country_code=81, national_number=int(number[1:]))
    else:
        try:
            parsed = phonenumbers.parse(number, "JP")
        except phonenumbers.NumberParseException:
            return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_SENDER_ID = re.compile(r"^[A-Z0-9][A-Z0-9 &.'_+-]*$")
_MAX_SENDER_ID = 11  # GSM 03.40: an alphanumeric originator has at most 11 characters


def canonical_tel_sms_sender(raw: str) -> str:
    if raw.isascii() and _PHONE_SHAPE.match(raw):
        digits = _NON_DIGITS.sub("", raw)
        if raw[0] in "+(" or digits[:1] == "0":
            try:
                return canonical_phone(raw)
            except InvalidObservable as exc:
                raise _invalid(T.TEL_SMS_SENDER, f"phone number: {exc.reason}", raw) from None
        if digits == raw and 3 <= len(digits) <= 8:
            return digits  # a short code, kept as its digits
        if digits == raw and len(digits) > 8:
            e164 = _phone_e164("+" + digits)  # E.164 written without its "+" (819012345678)
            if e164 is not None:
                return e164
        raise _invalid(
            T.TEL_SMS_SENDER, "neither a valid phone number nor a short code (3 to 8 digits)", raw
        )
    value = re.sub(r"\s+", " ", raw).strip().upper()
    if not value.isascii() or not _SENDER_ID.match(value):
        raise _invalid(
            T.TEL_SMS_SENDER,
            "an alphanumeric sender ID is ASCII letters, digits, spaces and & . ' _ + -",
            raw,
        )
    if not any(c.isalpha() for c in value):
        raise _invalid(T.TEL_SMS_SENDER, "an alphanumeric sender ID needs a letter", raw)
    if len(value) > _MAX_SENDER_ID:
        raise _invalid(
            T.TEL_SMS_SENDER,
            f"alphanumeric sender IDs have at most {_MAX_SENDER_ID} characters (GSM)",
            raw,
        )
    return value


def _bech32_address(raw: str) -> str:
    if not _BECH32.match(raw):
        raise _invalid(T.BTC, "bc1 address has characters outside bech32 or mixed case", raw)
    value = raw.lower()
    if len(value) > 90:
        raise _invalid(T.BTC, "bech32 address longer than 90 characters", raw)
    # BIP-173 (bech32) for witness v0, BIP-350 (bech32m) for v1+ (taproot); bech32m.decode
    # checks the checksum variant against the witness version and the program length.
    try:
        bech32m.decode("bc", value)
    except bech32m.DecodeError:
        raise _invalid(
            T.BTC,
            "not a segwit address: bech32/bech32m checksum or witness program does not match",
            raw,
        ) from None
    return value


def canonical_btc(raw: str) -> str:
    if raw[:3].lower() == "bc1":
        return _bech32_address(raw)
    if raw[:1] not in ("1", "3") or not _BASE58.match(raw):
        raise _invalid(T.BTC, "expected a mainnet address (1..., 3... or bc1...)", raw)
    try:
        payload = base58.b58decode_check(raw)
    except ValueError:
        raise _invalid(T.BTC, "base58check checksum does not match", raw) from None
    if len(payload) != 21 or payload[0] not in (0x00, 0x05):
        raise _invalid(T.BTC, "not a P2PKH (0x00) or P2SH (0x05) payload", raw)
    return raw


@functools.lru_cache(maxsize=4096)
def eip55_checksum_ok(hex40: str) -> bool:
    lower = hex40.lower()
    digest = keccak.new(digest_bits=256, data=lower.encode("ascii")).hexdigest()
    for char, nibble in zip(hex40, digest[:40], strict=True):
        if char.isalpha() and char.isupper() != (int(nibble, 16) >= 8):
            return False
    return True


def canonical_eth(raw: str) -> str:
    match = _ETH.match(raw)
    if not match:
        raise _invalid(T.ETH, "expected 0x followed by 40 hex digits", raw)
    body = match[1]
    if body != body.lower() and body != body.upper() and not eip55_checksum_ok(body):
        raise _invalid(T.ETH, "mixed-case address fails its EIP-55 checksum", raw)
    return "0x" + body.lower()


_CANONICALIZERS: dict[ObservableType, Callable[[str], str]] = {
    T.IPV4: canonical_ipv4,
    T.IPV6: canonical_ipv6,
    T.DOMAIN: canonical_domain,
    T.URL: canonical_url,
    T.EMAIL: canonical_email,
    T.MD5: _hash_canonicalizer(T.MD5),
    T.SHA1: _hash_canonicalizer(T.SHA1),
    T.SHA256: _hash_canonicalizer(T.SHA256),
    T.PHONE: canonical_phone,
    T.BTC: canonical_btc,
    T.ETH: canonical_eth,
    T.CVE: canonical_cve,
    T.CIDR: canonical_cidr,
    T.ASN: canonical_asn,
    T.MUTEX: canonical_mutex,
    T.FILENAME: canonical_filename,
    T.USER_AGENT: canonical_user_agent,
    T.JA3: canonical_ja3,
    T.SSDEEP: canonical_ssdeep,
    T.TLSH: canonical_tlsh,
    T.BANK_ACCOUNT: canonical_bank_account,
    T.SNS_ACCOUNT: canonical_sns_account,
    T.TEL_SMS_SENDER: canonical_tel_sms_sender,
}


def _prepare(kind: ObservableType | str, raw: str) -> str:
    if not isinstance(raw, str):
        raise InvalidObservable(kind, f"value must be a string, not {type(raw).__name__}")
    value = raw.strip() if kind in AS_WRITTEN_TYPES else refang_fully(raw).strip()
    if not value:
        raise InvalidObservable(kind, "empty value", raw)
    return value


def canonicalize(type: ObservableType | str, raw: str) -> str:
    """Canonical value of ``raw`` as ``type``; refangs first; idempotent.

    Raises :class:`InvalidObservable` when ``raw`` is not a valid value of that type.
    """
    try:
        kind = ObservableType(type)
    except ValueError:
        raise InvalidObservable(str(type), "unknown observable type") from None
    return _CANONICALIZERS[kind](_prepare(kind, raw))


# --- detection -----------------------------------------------------------------------

_HEX_ONLY = re.compile(r"^[0-9a-fA-F]+$")
_IPV6_CHARS = re.compile(r"^\[?[0-9a-fA-F:.]+\]?$")
_BTC_SHAPE = re.compile(r"^(?:[13][1-9A-HJ-NP-Za-km-z]{25,34}|(?:bc|BC)1[0-9A-Za-z]{8,87})$")
# The intelligence layer's types, detected only in shapes nothing else has.
_ASN_SHAPE = re.compile(r"^AS(?:N ?)?[0-9]+$", re.IGNORECASE)
_CIDR_SHAPE = re.compile(
    r"^(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}/(?:[0-9]{1,3}|[0-9]{1,3}(?:\.[0-9]{1,3}){3})"
    r"|\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*\]?/[0-9]{1,3})$"
)
_JA3_SHAPE = re.compile(r"^[0-9]{3,5},[0-9]+(?:-[0-9]+)*(?:,[0-9]*(?:-[0-9]+)*){3}$")
_TLSH_SHAPE = re.compile(r"^[Tt]1[0-9A-Fa-f]{70}$")
# Both hash parts present and the first at least 8 long: "12:30:45" is a time, and
# "6:ab::" is an IPv6 address.
_SSDEEP_SHAPE = re.compile(r"^[0-9]{1,10}:([A-Za-z0-9+/]{8,64}):[A-Za-z0-9+/]{1,64}$")


def _guesses(value: str) -> list[ObservableType]:
    """Types whose shape ``value`` has, most specific first."""
    if value[:3].upper() == "CVE":
        return [T.CVE]
    if "://" in value:
        return [T.URL]
    if "@" in value:
        return [T.EMAIL, T.URL]
    if _ETH.match(value):
        return [T.ETH]
    if _HEX_ONLY.match(value):
        kinds = {32: [T.MD5], 40: [T.SHA1], 64: [T.SHA256], 70: [T.TLSH]}.get(len(value), [])
        if kinds:
            return kinds
    if _TLSH_SHAPE.match(value):
        return [T.TLSH]
    if _ASN_SHAPE.match(value):
        return [T.ASN]
    if _JA3_SHAPE.match(value):
        return [T.JA3]
    if _CIDR_SHAPE.match(value):
        return [T.CIDR]
    guesses: list[ObservableType] = []
    if _IPV4_SHAPE.match(value):
        return [T.IPV4]
    if ":" in value and _IPV6_CHARS.match(value):
        guesses.append(T.IPV6)
    if _BTC_SHAPE.match(value):
        guesses.append(T.BTC)
    if _PHONE_SHAPE.match(value) and sum(c.isdigit() for c in value) >= 7:
        guesses.append(T.PHONE)
    if "/" in value or "?" in value:
        guesses.append(T.URL)
    elif "." in value or "\u3002" in value:
        guesses.append(T.DOMAIN)
    return guesses


def detect(raw: str) -> Observable:
    """Type and canonical value of one value of unknown type, in any written form.

    Of the intelligence layer's types only cidr (``192.0.2.0/24``, ``2001:db8::/32``), asn
    (``AS15169``), a full JA3 string, ssdeep and TLSH are detected; the others (and a JA3
    MD5, which is an md5 here) need their type given to :func:`canonicalize`.

    Raises :class:`InvalidObservable` when it is no supported observable, with the reason
    from the most likely type when the value has the shape of one.
    """
    if isinstance(raw, str):
        # ssdeep before refanging, which could rewrite "...ttp:..." inside the hash.
        written = unicodedata.normalize("NFKC", raw).strip()
        match = _SSDEEP_SHAPE.match(written)
        if match and any(c.isalpha() for c in match[1]):
            return Observable(T.SSDEEP, canonical_ssdeep(written))
    value = _prepare("observable", raw)
    errors: list[InvalidObservable] = []
    for kind in _guesses(value):
        try:
            return Observable(kind, _CANONICALIZERS[kind](value))
        except InvalidObservable as exc:
            errors.append(exc)
    if errors:
        raise errors[0]
    raise InvalidObservable("observable", "not recognised as any supported type", raw)
