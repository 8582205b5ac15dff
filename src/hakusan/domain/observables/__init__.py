"""Observables: types, canonical forms, fang/defang and extraction from (Japanese) text.

Pure Python (no Django); the apps adapt these dataclasses to models.

    from hakusan.domain.observables import (
        ObservableType, Observable, Extracted, InvalidObservable,
        canonicalize, detect, extract, refang, defang,
        derive, registrable_domain, DerivedLink,
        parse_bank_account, BankAccount, parse_sns_account, SnsAccount,
    )

Canonical values (``canonicalize`` refangs and width-folds first, and is idempotent):

- ipv4: dotted quad; octets with a leading zero are rejected (``010`` is octal to some
  parsers, decimal to others), as Python's ``ipaddress`` does.
- ipv6: RFC 5952 (``ipaddress`` compressed, lower case); IPv4-mapped in mixed notation
  (``::ffff:192.0.2.1``); zone indexes rejected.
- domain: lower case, IDNA A-labels (stdlib IDNA 2003 codec: the ``idna`` package is not a
  runtime dependency, so ``ß`` maps to ``ss``), at least two labels, and a registrable name under an
  ICANN suffix of the bundled Public Suffix List (``co.jp`` alone is rejected; hosts under
  private suffixes such as ``s3.amazonaws.com`` are fine). The RFC 2606/6761 names
  ``.test``, ``.example`` and ``.invalid`` are accepted for exercises and fictional data.
- url: scheme and host lower case, host as above (or an IP; IPv6 in brackets), default port
  dropped (80/443/21/990/22), empty path becomes ``/``; path, query and fragment are kept as
  written. Schemes: http, https, ftp, ftps, sftp, ws, wss. Without a scheme
  (``www.example.jp/login``) ``http://`` is assumed, as a browser does.
- email: lower case (local part too), domain as above; ``mailto:`` and ``<>`` stripped.
- md5/sha1/sha256: lower-case hex of exactly 32/40/64 digits.
- phone: E.164 via ``phonenumbers``, Japanese numbering plan unless the number starts with
  ``+`` or a bracketed country code (``03-1234-5678``, ``+81 3-1234-5678`` and
  ``(+81) 3 1234 5678`` -> ``+81312345678``); must be a valid, allocated range, whichever
  way it is written (``090-0000-5678`` is not: mobile numbers are ``[6-9]0[1-9]...``).
- btc: mainnet only. Base58check with version 0x00 (P2PKH) or 0x05 (P2SH), kept as written
  (base58 is case-sensitive); bech32 (witness v0, BIP-173) or bech32m (v1+, BIP-350) with a
  valid checksum and witness program, checked by the ``bech32m`` package, lower-cased.
- eth: ``0x`` + 40 lower-case hex. A mixed-case address must pass its EIP-55 checksum
  (Keccak-256 from ``pycryptodome``; hashlib's ``sha3_256`` pads differently).
- cve: ``CVE-YYYY-NNNN`` upper case; year from 1999; sequences over 4 digits have no
  leading zero.

The intelligence layer's types (``canonicalize`` refangs them too, except mutex, filename,
user_agent and ssdeep, which are taken as written: ``[.]`` in a file name is part of it):

- cidr: ``network/prefix`` with the host bits cleared (``192.0.2.7/24`` -> ``192.0.2.0/24``:
  the block, not the host in it); IPv6 compressed, IPv4-mapped in mixed notation
  (``::ffff:192.0.2.0/120``); an address alone is its /32 or /128; an IPv4 netmask
  (``/255.255.255.0``) becomes its prefix length.
- asn: ``AS`` + decimal (``AS15169``) from ``AS15169``, ``as15169``, ``15169``, ``ASN 15169``
  and asdot ``AS1.10`` (= AS65546). 1 to 4294967294; rejected as never a real network:
  0 (RFC 7607), 23456 (AS_TRANS, RFC 6793), 65535 and 4294967295 (RFC 7300).
  Private-use and documentation numbers are accepted (exercises, leaked configurations).
- mutex: as written, NFC, trimmed, case kept (Windows compares object names case-sensitively),
  and the ``Global\\``/``Local\\`` namespace kept as part of the name (a different object);
  no control characters, at most 260 characters.
- filename: the base name of a Windows or POSIX path (``C:\\Users\\x\\a.exe`` and
  ``/tmp/a.exe`` -> ``a.exe``), surrounding quotes dropped, NFC (macOS writes NFD), trimmed,
  case kept (POSIX file systems are case-sensitive; search case-insensitively if needed).
- user_agent: NFC, whitespace runs collapsed to one space, trimmed; a ``User-Agent:`` header
  name and the quotes of a log line are dropped.
- ja3: 32 lower-case hex digits (the MD5). A full JA3 string
  (``771,4865-4866-4867,0-23-65281,29-23-24,0``) becomes the MD5 of the string as written.
  A bare MD5 is only a ja3 when the type is given: ``detect`` reads it as md5.
- ssdeep: ``blocksize:hash1:hash2``, block size ``3 * 2**n`` (leading zeros dropped), hashes
  in the base64 alphabet (case kept), at most 64 characters each; the ``,"file name"`` the
  ssdeep tool appends is dropped.
- tlsh: ``T1`` + 70 upper-case hex digits; an older digest written without the ``T1``
  version is the same digest and gets the prefix. ``TNULL`` (input too small) is rejected.
- bank_account: ``BBBB-SSS-kind-NNNNNNN``, e.g. ``0009-123-ordinary-1234567``: 金融機関コード
  (4 digits), 支店コード (3), 預金種別 ``ordinary``/``current``/``savings`` (普通/当座/貯蓄,
  1/2/4), 口座番号 zero-padded to 7. The holder (口座名義人) is not part of the value, so
  the account correlates whatever name was written; ``parse_bank_account`` returns it
  (full-width katakana). Input forms: see :func:`parse_bank_account`. Bank and branch
  names are not resolved to codes.
- sns_account: ``platform:handle``, platform one of ``SNS_PLATFORMS`` (x, instagram,
  facebook, tiktok, line, youtube, telegram, discord, threads, bluesky, mixi, reddit, github;
  twitter and other aliases map to these), handle without ``@`` and lower case (YouTube
  channel ids ``youtube:channel/UC...`` and legacy Discord ``name#1234`` keep their case;
  Facebook drops dots, which it ignores). Profile URLs (``https://x.com/Handle``,
  ``https://www.instagram.com/handle/``, ``https://t.me/handle``, a post URL's account)
  give the same value; invite, group and post-only URLs are rejected.
- tel_sms_sender: a phone number as the phone type (E.164; ``819012345678`` without ``+`` is
  read as E.164); a short code of 3 to 8 digits as its digits; otherwise an alphanumeric
  sender ID (``SMBC``, ``Amazon``): whitespace collapsed, upper case, ASCII, at most 11
  characters (the GSM limit).

Detection (``detect``) of these: cidr (``192.0.2.0/24``, ``2001:db8::/32``; no longer read
as a scheme-less URL), asn (``AS15169``, ``ASN 15169``), a full JA3 string, ssdeep (both hash
parts present, the first at least 8 characters with a letter) and TLSH (``T1`` + 70 hex, or
70 hex digits). Everything else needs its type given.

Derived links (``derive``): a url gives its host (``host``: a domain, or the ipv4/ipv6 it
names) and the host's registrable domain (``registrable``); a domain its registrable domain;
an email its domain (``domain``) and that domain's registrable domain; a /32 or /128 cidr
its address (``host``). Deterministic order, no duplicates, never the observable itself;
profile URLs are not made sns_account here. The kind ``network`` is reserved for an address
lying in a block, a range query for the store (an address lies in every block around it),
and is never produced by ``derive``. ``registrable_domain`` uses the ICANN *and*
private sections of the bundled Public Suffix List: ``victim.pages.dev`` or ``x.github.io``
is one customer's site, its own registrable domain, instead of every such site meeting at
``pages.dev`` (domain *validity* stays ICANN-only, so ``s3.amazonaws.com`` is a valid host
with no registrable domain). ``.test``, ``.example`` and ``.invalid`` act as public suffixes,
so ``https://a.evil.example/x`` and ``b.evil.example`` meet at ``evil.example``;
``www.example.co.jp`` -> ``example.co.jp``, ``mail.example.jp`` -> ``example.jp``. (The
PSL lists only ``lg.jp``, so a prefecture's municipal hosts meet at ``<pref>.lg.jp``.)

Extraction (``extract``) policy:

- Every occurrence is reported, in order; ``start``/``end``/``original`` index the text as
  given, even where normalising changed lengths (``[.]``, full-width, ``ttp://``).
- Overlaps: the longest match wins. So the host of a URL or e-mail address is *not*
  reported again as a domain (derived links are the intelligence layer's job), nor an IP
  host, nor digits in a URL path as a phone number.
- A scheme starts a URL after a non-word character or Japanese text (``こちらhttps://``),
  and the exact tokens ``http``, ``https``, ``ftp``, ``ftps`` (also written ``hxxp``,
  ``hXXps``, ``h**p``, ``fxp``) also right after ASCII letters or digits (``URLhttps://``,
  ``記載のURLhxxps://``, ``手順2https://``), unless the word is a longer scheme ending in
  one (``tftp``, ``shttp``). ``sftp``, ``ws``, ``wss`` and the h抜き ``ttp://`` are not split
  off a word (``news://`` is not ``ws://``), and nothing starts after ``+``, ``.`` or ``-``,
  which join scheme words (``git+https://``); the host alone is then reported as a domain.
- Scheme-less URLs: a valid domain followed by a path (``example[.]com/login``) is a URL;
  a bare domain (``www.example.jp``, ``example.jp/``) is a domain. An IP followed by ``/``
  is not made a URL (``192.0.2.0/24`` is CIDR): the address alone is reported.
- Free-text hosts are ASCII (or ``xn--``). Unicode labels are read only right after a
  scheme, where the start of the host is certain, and the top-level label must be ASCII:
  ``こちらexample.jpにアクセス`` cannot be told from an IDN otherwise.
- False positives avoided: names whose TLD is a common file extension (``setup.py``,
  ``invoice.zip``; ``invoice.pdf.exe`` fails the PSL anyway) and ``ASP.NET``-style names
  count only when written defanged; a dotted quad after ``version``/``v``/``バージョン`` is
  a version; a number after ``注文番号``/``口座番号``/``No.``-style labels is an identifier,
  not a phone number; a "hash" needs both digits and letters (32 digits is an account
  number); e-mail-shaped ids in ``Message-ID``/``In-Reply-To``/``References`` are skipped.
- Defang forms undone: ``hxxp``, ``hXXps``, ``h**p``, ``fxp``, ``ttp://`` (h抜き),
  ``[.]``, ``(.)``, ``{.}``, ``[dot]``, ``(dot)``, ``\\.``, ``[:]``, ``[://]``, ``[/]``,
  ``[@]``, ``[at]``, ``(at)``; width variants folded (NFKC on full/half-width forms);
  circled digits and ``℡`` act as separators; ``ー``/``−``/``‐`` between digits are hyphens.
"""

from .bank import AccountKind, BankAccount, parse_bank_account
from .canonical import canonicalize, detect
from .derive import DerivedKind, DerivedLink, derive, registrable_domain
from .extract import extract
from .fang import defang, refang
from .sns import SNS_PLATFORMS, SnsAccount, parse_sns_account
from .types import Extracted, InvalidObservable, Observable, ObservableType

__all__ = [
    "SNS_PLATFORMS",
    "AccountKind",
    "BankAccount",
    "DerivedKind",
    "DerivedLink",
    "Extracted",
    "InvalidObservable",
    "Observable",
    "ObservableType",
    "SnsAccount",
    "canonicalize",
    "defang",
    "derive",
    "detect",
    "extract",
    "parse_bank_account",
    "parse_sns_account",
    "refang",
    "registrable_domain",
]
