"""Japanese bank accounts (口座): the fields a 口座凍結 request names, and one canonical value.

An account is identified by 金融機関コード (4 digits), 支店コード (3 digits), 預金種別 and
口座番号 (7 digits), the Zengin (全銀) fields. The holder (口座名義人, kana) is parsed and
normalised but is *not* part of the canonical value: the same account correlates whatever
spelling of the name a victim or a bank wrote.

    parse_bank_account("0009-123-1-1234567 ﾔﾏﾀﾞ ﾀﾛｳ")
    -> BankAccount("0009", "123", AccountKind.ORDINARY, "1234567", "ヤマダ タロウ")
    .value == "0009-123-ordinary-1234567"
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from .types import InvalidObservable, ObservableType

__all__ = ["AccountKind", "BankAccount", "canonical_bank_account", "parse_bank_account"]

T = ObservableType


class AccountKind(StrEnum):
    """預金種別, with the Zengin 預金種目 code (1 普通, 2 当座, 4 貯蓄)."""

    ORDINARY = "ordinary"
    CURRENT = "current"
    SAVINGS = "savings"

    @property
    def label_ja(self) -> str:
        return _LABELS_JA[self]

    @property
    def zengin_code(self) -> str:
        return _ZENGIN_CODES[self]


_LABELS_JA = {
    AccountKind.ORDINARY: "普通",
    AccountKind.CURRENT: "当座",
    AccountKind.SAVINGS: "貯蓄",
}
_ZENGIN_CODES = {AccountKind.ORDINARY: "1", AccountKind.CURRENT: "2", AccountKind.SAVINGS: "4"}

_KINDS: dict[str, AccountKind] = {
    **dict.fromkeys(
        ["1", "普通", "普通預金", "普", "総合", "総合口座", "ordinary", "futsu", "futsuu"],
        AccountKind.ORDINARY,
    ),
    **dict.fromkeys(
        ["2", "当座", "当座預金", "当", "current", "checking", "toza", "touza"],
        AccountKind.CURRENT,
    ),
    **dict.fromkeys(
        ["4", "貯蓄", "貯蓄預金", "貯", "savings", "saving", "chochiku"], AccountKind.SAVINGS
    ),
}


@dataclass(frozen=True, slots=True)
class BankAccount:
    bank_code: str  # 金融機関コード, 4 digits
    branch_code: str  # 支店コード (店番), 3 digits
    kind: AccountKind  # 預金種別
    number: str  # 口座番号, 7 digits
    holder_kana: str | None = None  # 口座名義人 (カナ), full-width katakana, or None

    @property
    def value(self) -> str:
        """The canonical observable value: the holder is left out on purpose."""
        return f"{self.bank_code}-{self.branch_code}-{self.kind.value}-{self.number}"


def _invalid(reason: str, raw: str) -> InvalidObservable:
    return InvalidObservable(T.BANK_ACCOUNT, reason, raw)


# --- fields --------------------------------------------------------------------------


def _code(value: str, width: int, what: str, raw: str, *, pad: bool) -> str:
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        raise _invalid(
            f"{what} must be {width} digits (names of banks and branches are not resolved here)",
            raw,
        )
    if len(value) > width or (len(value) < width and not pad):
        raise _invalid(f"{what} must be {width} digits, got {value!r}", raw)
    return value.zfill(width)


def _kind(value: str, raw: str) -> AccountKind:
    kind = _KINDS.get(value.strip().lower())
    if kind is None:
        raise _invalid(f"account type {value!r} is not 普通/当座/貯蓄 (1/2/4)", raw)
    return kind


def _number(value: str, raw: str) -> str:
    value = value.strip()
    if not (value.isascii() and value.isdigit()):
        raise _invalid(f"account number {value!r} must be digits", raw)
    if len(value) > 7:
        raise _invalid(
            "account numbers have at most 7 digits (a ゆうちょ 記号番号 must first be "
            "converted to its 店番 and 口座番号)",
            raw,
        )
    if not value.strip("0"):
        raise _invalid("account number 0000000 is not an account", raw)
    return value.zfill(7)


_HOLDER_SYMBOLS = frozenset(" ().,-/「」")
_SPACES = re.compile(r"\s+")


def normalize_holder(name: str, raw: str | None = None) -> str | None:
    """口座名義人 as full-width katakana: NFKC (ﾔﾏﾀﾞ -> ヤマダ), hiragana made katakana,
    Latin letters upper case, runs of spaces (also 全角) one ASCII space. None if empty.

    Raises :class:`InvalidObservable` for kanji or other characters a kana name cannot have.
    """
    value = unicodedata.normalize("NFKC", name)
    # Hiragana (and ゝゞ) to katakana: the same letters, 0x60 further on.
    value = "".join(
        chr(ord(c) + 0x60) if "\u3041" <= c <= "\u3096" or c in "\u309d\u309e" else c for c in value
    )
    value = _SPACES.sub(" ", value).strip().upper()
    if not value:
        return None
    for char in value:
        kana = "\u30a1" <= char <= "\u30ff"
        if not (kana or (char.isascii() and char.isalnum()) or char in _HOLDER_SYMBOLS):
            raise _invalid(
                f"口座名義人 must be written in kana, not {char!r}", name if raw is None else raw
            )
    return value


# --- input forms ---------------------------------------------------------------------

_KEYS = {
    "bank": ["bank", "bank_code", "bankcode", "金融機関コード", "銀行コード", "金融機関", "銀行"],
    "branch": ["branch", "branch_code", "branchcode", "支店コード", "店番号", "店番", "支店番号", "支店"],
    "kind": ["type", "kind", "account_type", "預金種別", "預金種目", "種別", "科目"],
    "number": ["number", "account_number", "accountnumber", "account", "no", "口座番号", "番号"],
    "holder": [
        "holder", "holder_kana", "name", "kana",
        "口座名義人カナ", "口座名義人", "口座名義", "名義人", "名義カナ", "名義",
    ],
}  # fmt: skip
_FIELD_OF = {alias: field for field, aliases in _KEYS.items() for alias in aliases}
_KEY = re.compile(
    r"""(?:^|(?<=[\s,;{、]))["']?("""
    + "|".join(re.escape(k) for k in sorted(_FIELD_OF, key=len, reverse=True))
    + r""")["']?\s*[=:]\s*""",
    re.IGNORECASE,
)
_DASHES = "\\-\u2010-\u2015\u2212\u30fc"  # ASCII and look-alike dashes (０００９ー１２３)
_SEP = rf"(?:\s*[{_DASHES}/・]\s*|\s+)"
_POSITIONAL = re.compile(
    rf"^([0-9]+){_SEP}([0-9]+){_SEP}([^\s{_DASHES}/・]+){_SEP}([0-9]+)"
    r"(?:(?:\s+|\s*[,/]\s*)(.*))?$"
)


def _named(fields: dict[str, str], raw: str) -> BankAccount:
    missing = [f for f in ("bank", "branch", "kind", "number") if not fields.get(f)]
    if missing:
        raise _invalid(f"missing {', '.join(missing)}", raw)
    holder = fields.get("holder")
    return BankAccount(
        _code(fields["bank"], 4, "bank code", raw, pad=True),
        _code(fields["branch"], 3, "branch code", raw, pad=True),
        _kind(fields["kind"], raw),
        _number(fields["number"], raw),
        normalize_holder(holder, raw) if holder else None,
    )


def _from_json(text: str, raw: str) -> BankAccount | None:
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    fields: dict[str, str] = {}
    for key, value in data.items():
        field = _FIELD_OF.get(str(key).lower())
        if field is None or value is None:
            continue
        if field in fields:
            raise _invalid(f"{field} is given twice", raw)
        fields[field] = str(value)
    return _named(fields, raw)


def _from_key_values(text: str, raw: str) -> BankAccount | None:
    matches = list(_KEY.finditer(text))
    if not matches:
        return None
    if text[: matches[0].start()].strip(" {,;、"):
        raise _invalid(f"unexpected text before {matches[0][1]!r}", raw)
    fields: dict[str, str] = {}
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        value = text[match.end() : end].strip().rstrip("},;、").strip().strip("\"'").strip()
        field = _FIELD_OF[match[1].lower()]
        if field in fields:
            raise _invalid(f"{field} is given twice", raw)
        fields[field] = value
    return _named(fields, raw)


def parse_bank_account(raw: str) -> BankAccount:
    """The fields of a Japanese bank account, from any of the forms it is written in.

    - positional: ``0009-123-1-1234567 ヤマダ タロウ``, ``0009 123 普通 1234567``, and the
      canonical ``0009-123-ordinary-1234567``: bank code (exactly 4 digits), branch code
      (exactly 3), type, number (up to 7 digits), then optionally the holder.
    - named: ``bank=0009 branch=123 type=普通 number=1234567 holder=ヤマダタロウ`` (``=`` or
      ``:``, English or Japanese keys such as 口座番号, 名義) or a JSON object with such keys;
      codes written shorter are zero-padded here, since the field is named.

    Full-width digits and half-width kana are folded (NFKC) first. Raises
    :class:`InvalidObservable` (type ``bank_account``) naming the field that is wrong.
    """
    if not isinstance(raw, str):
        raise InvalidObservable(T.BANK_ACCOUNT, f"value must be a string, not {type(raw).__name__}")
    text = _SPACES.sub(" ", unicodedata.normalize("NFKC", raw)).strip()
    if not text:
        raise _invalid("empty value", raw)
    if text.startswith("{"):
        parsed = _from_json(text, raw)
        if parsed is not None:
            return parsed
    parsed = _from_key_values(text, raw)
    if parsed is not None:
        return parsed
    match = _POSITIONAL.match(text)
    if not match:
        raise _invalid(
            "expected bank-branch-type-number (0009-123-普通-1234567), optionally followed by "
            "the holder in kana, or named fields (bank=0009 branch=123 type=普通 number=...)",
            raw,
        )
    bank, branch, kind, number, holder = match.groups()
    return BankAccount(
        _code(bank, 4, "bank code", raw, pad=False),
        _code(branch, 3, "branch code", raw, pad=False),
        _kind(kind, raw),
        _number(number, raw),
        normalize_holder(holder, raw) if holder else None,
    )


def canonical_bank_account(raw: str) -> str:
    return parse_bank_account(raw).value
