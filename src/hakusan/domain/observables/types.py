"""Observable types and the value objects the rest of Hakusan codes against."""

from dataclasses import dataclass
from enum import StrEnum


class ObservableType(StrEnum):
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    DOMAIN = "domain"
    URL = "url"
    EMAIL = "email"
    MD5 = "md5"
    SHA1 = "sha1"
    SHA256 = "sha256"
    PHONE = "phone"
    BTC = "btc"
    ETH = "eth"
    CVE = "cve"
    # The intelligence layer's types (see the package docstring for their canonical forms).
    CIDR = "cidr"
    ASN = "asn"
    MUTEX = "mutex"
    FILENAME = "filename"
    USER_AGENT = "user_agent"
    JA3 = "ja3"
    SSDEEP = "ssdeep"
    TLSH = "tlsh"
    BANK_ACCOUNT = "bank_account"
    SNS_ACCOUNT = "sns_account"
    TEL_SMS_SENDER = "tel_sms_sender"


class InvalidObservable(ValueError):
    """A value is not a valid observable of the given type; the message says why."""

    def __init__(self, type_: ObservableType | str, reason: str, raw: str | None = None) -> None:
        self.type = str(type_)
        self.reason = reason
        self.raw = raw
        shown = "" if raw is None else f" {raw[:80]!r}"
        super().__init__(f"invalid {self.type}{shown}: {reason}")


@dataclass(frozen=True, slots=True)
class Observable:
    """One observable in canonical form: (type, canonical value) is its identity."""

    type: ObservableType
    value: str


@dataclass(frozen=True, slots=True)
class Extracted:
    """An observable found in free text.

    ``value`` is canonical; ``original`` is the text exactly as written, and
    ``text[start:end] == original`` holds for the text given to ``extract``.
    """

    type: ObservableType
    value: str
    original: str
    start: int
    end: int

    @property
    def observable(self) -> Observable:
        return Observable(self.type, self.value)
