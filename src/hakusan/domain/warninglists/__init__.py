"""Warninglists: values that are known and benign, or too common to mean anything.

Pure Python (no Django). The MISP warninglists shipped inside the ``pymispwarninglists``
package (public DNS resolvers, top sites such as Tranco, cloud and CDN ranges, RFC 1918 and
other special-use ranges, scanners, benign and empty-file hashes, ...) are read from the
installed wheel, never from the network, and indexed once per process:

    from hakusan.domain.warninglists import (
        Warninglist, Hit, WarninglistIndex, load_packaged_lists,
    )

    index = WarninglistIndex.packaged()      # lazy, cached, a few seconds the first time
    index.match("ipv4", "8.8.8.8")           # [Hit(slug="public-dns-v4", ...)]
    index.match_many([("domain", "www.google.com"), ("md5", "d41d8cd98f00b204e9800998ecf8427e")])
    index.version                            # digest of the lists: re-flag when it changes

A value that hits a list is *flagged* with the list (``Hit.slug``/``name``/``category`` and
the entry that matched); the store keeps it, excludes it from correlation counts and
blocklist exports, and shows why. Nothing is dropped here.

Categories: ``false-positive`` (too common or benign to mean anything) or ``known`` (a known
kind of service, worth showing, not a reason to hide the value). The lists of
pymispwarninglists 1.7.0 carry no category; MISP then assumes false positive, and so do
we, except for ``types.KNOWN_BY_DEFAULT``: dynamic DNS, URL shorteners, link-in-bio,
LOTS (Living Off Trusted Sites), public IPFS gateways and disposable e-mail.

Semantics (see ``index.py`` for the structures):

- Which of our observable types a list applies to comes from its ``matching_attributes``
  (MISP attribute types; ``types.MISP_TYPE_MAP``): ip-src/ip-dst(|port) -> ipv4, ipv6;
  domain/hostname -> domain; url/uri/link -> url; email-* -> email; md5/sha1/sha256 (also
  ``filename|…`` and x509 fingerprints) -> the hash; phone-number -> phone. A list with no
  matching attributes applies to every type, as in MISP.
- cidr lists match IPv4 and IPv6 addresses by containment; every list containing the
  address is returned, each with its most specific entry. IPv4-mapped IPv6 addresses
  (``::ffff:192.0.2.1``) are matched as IPv4, and so are mapped entries.
- hostname lists match the name and every subdomain (``www.google.com`` hits
  ``google.com``); entries are lower-cased, leading ``.``/``*.`` and trailing dots removed.
  Except that an entry which is a public suffix (``github.io``, ``blogspot.com``,
  ``ddns.net``: Tranco holds 1,190) covers only itself in ``false-positive`` lists: a
  phishing site on ``*.web.app`` is not a top site. ``build(..., psl_boundary=False)`` gives
  MISP's plain suffix matching.
- string lists match exactly (hosts, e-mails and hashes case-insensitively). An entry
  written ``.google.ad`` in a string list is read as a hostname entry (name and subdomains).
- substring lists match case-insensitively anywhere in the value (MISP semantics: the
  ``disposable-email`` entry ``n8.gs`` also hits ``x@n8.gsa.example``).
- regex lists: ``/body/flags`` entries compiled once with Python ``re``; invalid skipped.
- urls: the full URL against string/substring/regex lists that apply to urls, and the
  URL's host (not an IP literal) against the hostname lists that apply to urls.

``Hit.matched`` is the entry as indexed: CIDR entries as written (``8.8.8.8``,
``8.8.8.0/24``), host names normalised (``google.ad`` for ``.google.ad``), hashes lower case,
regexes as written. For a url it is the url only for a string-list hit; a hostname hit
carries the host entry (the url was flagged for its host), a substring hit the pattern.

``version`` digests the lists and ``MATCHER_VERSION`` (bumped when these rules change).
"""

from .index import WarninglistIndex
from .load import load_packaged_lists, parse_list
from .types import Hit, Warninglist, applicable_types

__all__ = [
    "Hit",
    "Warninglist",
    "WarninglistIndex",
    "applicable_types",
    "load_packaged_lists",
    "parse_list",
]
