"""Observables: types, canonical forms, fang/defang and extraction from (Japanese) text.

Pure Python (no Django); the apps adapt these dataclasses to models.

    from hakusan.domain.observables import (
        ObservableType, Observable, Extracted, InvalidObservable,
        canonicalize, detect, extract, refang, defang,
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

from .canonical import canonicalize, detect
from .extract import extract
from .fang import defang, refang
from .types import Extracted, InvalidObservable, Observable, ObservableType

__all__ = [
    "Extracted",
    "InvalidObservable",
    "Observable",
    "ObservableType",
    "canonicalize",
    "defang",
    "detect",
    "extract",
    "refang",
]
