"""SNS accounts: ``platform:handle`` from a fixed set of platforms, or from a profile URL.

    parse_sns_account("https://twitter.com/Example_JP") -> SnsAccount("x", "example_jp")
    canonicalize("sns_account", "Instagram: @Foo.Bar") == "instagram:foo.bar"

Handles lose a leading ``@`` and are lower-cased where the platform treats them without case
(all of them, except YouTube channel ids and legacy Discord ``name#1234`` tags). Facebook
ignores dots in user names (``john.smith`` is ``johnsmith``), so dots are dropped there.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from .fang import refang_fully
from .types import InvalidObservable, ObservableType

__all__ = ["SNS_PLATFORMS", "SnsAccount", "canonical_sns_account", "parse_sns_account"]

T = ObservableType


@dataclass(frozen=True, slots=True)
class SnsAccount:
    platform: str  # one of SNS_PLATFORMS
    handle: str  # canonical: no "@", case folded where the platform ignores case

    @property
    def value(self) -> str:
        return f"{self.platform}:{self.handle}"


def _invalid(reason: str, raw: str) -> InvalidObservable:
    return InvalidObservable(T.SNS_ACCOUNT, reason, raw)


Query = dict[str, list[str]]
PathRule = Callable[[str, list[str], Query], str | None]


@dataclass(frozen=True, slots=True)
class _Platform:
    name: str
    aliases: tuple[str, ...]
    hosts: tuple[str, ...]
    handle: re.Pattern[str]  # the canonical handle (after case folding)
    from_path: PathRule  # (host, path segments, query) -> handle, or None if not a profile


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _first(reserved: frozenset[str]) -> PathRule:
    """Profile at the first path segment (x.com/handle[/status/...]) unless reserved."""

    def rule(host: str, segments: list[str], query: Query) -> str | None:
        if segments and segments[0].lower() not in reserved:
            return segments[0]
        return None

    return rule


def _at_first(host: str, segments: list[str], query: Query) -> str | None:
    """Profile at an ``@handle`` first segment (tiktok.com/@h, threads.net/@h)."""
    return segments[0] if segments and segments[0].startswith("@") else None


def _after(prefix: str) -> PathRule:
    """Profile right after a fixed segment (reddit.com/user/h, bsky.app/profile/h)."""

    def rule(host: str, segments: list[str], query: Query) -> str | None:
        if len(segments) >= 2 and segments[0].lower() == prefix:
            return segments[1]
        return None

    return rule


# First path segments that are pages of the site, not accounts.
_x_first = _first(
    _words(
        "home i search explore intent share hashtag settings messages notifications login "
        "logout signup tos privacy compose account"
    )
)
_instagram_first = _first(
    _words("p reel reels tv explore accounts direct stories about legal developer")
)
_facebook_first = _first(
    _words(
        "groups pages events watch share sharer sharer.php story.php photo.php photo "
        "permalink.php login login.php marketplace reel hashtag help policies privacy "
        "gaming home.php messages"
    )
)
_github_first = _first(
    _words(
        "settings login about features topics explore marketplace sponsors search apps "
        "pricing issues pulls notifications"
    )
)
_TELEGRAM_NOT_ACCOUNTS = _words("joinchat addstickers addemoji share proxy socks addlist c")


def _x(host: str, segments: list[str], query: Query) -> str | None:
    if segments[:1] == ["intent"] and query.get("screen_name"):
        return query["screen_name"][0]
    return _x_first(host, segments, query)


def _instagram(host: str, segments: list[str], query: Query) -> str | None:
    if len(segments) >= 2 and segments[0] == "stories":
        return segments[1]
    return _instagram_first(host, segments, query)


def _facebook(host: str, segments: list[str], query: Query) -> str | None:
    if segments[:1] == ["profile.php"]:
        return query.get("id", [None])[0]
    if len(segments) >= 3 and segments[0] == "people":
        return segments[2]  # /people/Display-Name/<numeric id>
    return _facebook_first(host, segments, query)


def _line(host: str, segments: list[str], query: Query) -> str | None:
    if host == "page.line.me":
        return segments[0] if segments else None
    if segments[:1] == ["R"]:
        segments = segments[1:]
    if len(segments) >= 3 and segments[:2] == ["ti", "p"]:
        return segments[2].removeprefix("~")  # ~lineid (personal) or @id (official account)
    return None


def _youtube(host: str, segments: list[str], query: Query) -> str | None:
    if len(segments) >= 2 and segments[0] == "channel":
        return f"channel/{segments[1]}"
    return _at_first(host, segments, query)


def _telegram(host: str, segments: list[str], query: Query) -> str | None:
    if len(segments) >= 2 and segments[0] == "s":
        return segments[1]  # t.me/s/<channel>: the web preview
    if segments and (segments[0].startswith("+") or segments[0] in _TELEGRAM_NOT_ACCOUNTS):
        return None
    return segments[0] if segments else None


def _mixi(host: str, segments: list[str], query: Query) -> str | None:
    if host == "mixi.social":
        return _at_first(host, segments, query)
    if segments[:1] in (["show_friend.pl"], ["show_profile.pl"]):
        return query.get("id", [None])[0]
    return None


def _github(host: str, segments: list[str], query: Query) -> str | None:
    if len(segments) >= 2 and segments[0] == "orgs":
        return segments[1]
    return _github_first(host, segments, query)


_INSTAGRAM_HANDLE = re.compile(r"^[a-z0-9._]{1,30}$")
_PLATFORMS = (
    _Platform("x", ("x", "twitter", "x.com", "twitter.com", "ツイッター", "エックス"),
              ("x.com", "twitter.com"), re.compile(r"^[a-z0-9_]{1,15}$"), _x),
    _Platform("instagram", ("instagram", "ig", "insta", "インスタ", "インスタグラム"),
              ("instagram.com", "instagr.am"), _INSTAGRAM_HANDLE, _instagram),
    _Platform("facebook", ("facebook", "fb", "フェイスブック"), ("facebook.com", "fb.com"),
              re.compile(r"^(?:[a-z0-9]{1,50}|[0-9]{1,20})$"), _facebook),
    _Platform("tiktok", ("tiktok", "ティックトック"), ("tiktok.com",),
              re.compile(r"^[a-z0-9._]{2,24}$"), _at_first),
    _Platform("line", ("line", "ライン"), ("line.me", "page.line.me"),
              re.compile(r"^[a-z0-9._-]{1,32}$"), _line),
    _Platform("youtube", ("youtube", "yt", "ユーチューブ"), ("youtube.com",),
              re.compile(r"^(?:[a-z0-9._-]{3,30}|channel/UC[A-Za-z0-9_-]{22})$"), _youtube),
    _Platform("telegram", ("telegram", "tg", "テレグラム"), ("t.me", "telegram.me", "telegram.dog"),
              re.compile(r"^[a-z0-9_]{4,32}$"), _telegram),
    _Platform("discord", ("discord", "ディスコード"), ("discord.com", "discordapp.com"),
              re.compile(r"^(?:[a-z0-9_.]{2,32}|[0-9]{17,20}|[^#@:\s]{2,32}#[0-9]{4})$"),
              _after("users")),
    _Platform("threads", ("threads", "スレッズ"), ("threads.net", "threads.com"),
              _INSTAGRAM_HANDLE, _at_first),
    _Platform("bluesky", ("bluesky", "bsky", "ブルースカイ"), ("bsky.app",),
              re.compile(
                  r"^(?:(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+"
                  r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?|did:[a-z]+:[a-z0-9._:%-]+)$"
              ), _after("profile")),
    _Platform("mixi", ("mixi", "mixi2", "ミクシィ", "ミクシー"), ("mixi.jp", "mixi.social"),
              re.compile(r"^[a-z0-9_.-]{1,64}$"), _mixi),
    _Platform("reddit", ("reddit", "レディット"), ("reddit.com",),
              re.compile(r"^[a-z0-9_-]{3,20}$"), _after("user")),
    _Platform("github", ("github", "ギットハブ"), ("github.com",),
              re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38})$"), _github),
)  # fmt: skip

SNS_PLATFORMS = tuple(p.name for p in _PLATFORMS)
_BY_ALIAS = {alias: p for p in _PLATFORMS for alias in (p.name, *p.aliases)}
_BY_HOST = {host: p for p in _PLATFORMS for host in p.hosts}
_HOST_PREFIXES = ("www.", "m.", "mobile.", "web.", "old.", "new.")


def _platform_of_host(host: str) -> _Platform | None:
    host = host.lower().removesuffix(".")
    if host in _BY_HOST:
        return _BY_HOST[host]
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host[len(prefix) :] in _BY_HOST:
            return _BY_HOST[host[len(prefix) :]]
    return None


_YOUTUBE_CHANNEL_ID = re.compile(r"^UC[A-Za-z0-9_-]{22}$")


def _handle(platform: _Platform, written: str, raw: str) -> str:
    written = written.strip()
    handle = written.removeprefix("@")
    if platform.name == "youtube" and _YOUTUBE_CHANNEL_ID.match(written):
        handle = f"channel/{handle}"  # a bare channel id, as YouTube Studio shows it
    if platform.name == "reddit":
        handle = handle.removeprefix("u/").removeprefix("/u/")
    keep_case = (platform.name == "youtube" and handle.startswith("channel/")) or (
        platform.name == "discord" and "#" in handle
    )
    if not keep_case:
        handle = handle.lower()
    if platform.name == "facebook" and not handle.isdigit():
        handle = handle.replace(".", "")  # Facebook: dots do not count in a user name
    if not handle:
        raise _invalid(f"no {platform.name} handle", raw)
    if not platform.handle.match(handle):
        raise _invalid(f"{handle!r} is not a valid {platform.name} handle", raw)
    return handle


def _from_url(text: str, raw: str, expected: _Platform | None = None) -> SnsAccount:
    url = text if "://" in text else f"https://{text}"
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        raise _invalid("cannot be parsed as a URL", raw) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise _invalid(f"scheme {parts.scheme!r} is not http or https", raw)
    platform = _platform_of_host(host)
    if platform is None:
        raise _invalid(f"{host!r} is not the profile host of a supported platform", raw)
    if expected is not None and platform is not expected:
        raise _invalid(f"a {platform.name} URL given as {expected.name}", raw)
    segments = [unquote(s) for s in parts.path.split("/") if s]
    handle = platform.from_path(host.lower().removeprefix("www."), segments, parse_qs(parts.query))
    if not handle:
        raise _invalid(f"not a {platform.name} profile URL (a post, group or invite link?)", raw)
    return SnsAccount(platform.name, _handle(platform, handle, raw))


# "X: @foo", "instagram foo", "LINE ID: foo" (the "ID" is how Japanese reports label it).
_PLATFORM_PREFIX = re.compile(r"^([^\s:/]+)(?:\s*ID)?\s*(?::\s*|\s+)(\S.*)$", re.IGNORECASE)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def _alias(name: str) -> _Platform | None:
    return _BY_ALIAS.get(unicodedata.normalize("NFKC", name).lower())


def _looks_like_profile_url(text: str) -> bool:
    if "://" in text:
        return True
    host = text.split("/", 1)[0]
    return "/" in text and _platform_of_host(host) is not None


def parse_sns_account(raw: str) -> SnsAccount:
    """An SNS account from ``platform:handle`` (``X: @Foo``, ``instagram foo``) or a profile
    URL (``https://x.com/Foo``, ``instagram.com/foo/``, ``hxxps://t[.]me/foo``).

    Raises :class:`InvalidObservable` (type ``sns_account``) for unknown platforms, invalid
    handles and URLs that point at a post, group or invite rather than an account.
    """
    if not isinstance(raw, str):
        raise InvalidObservable(T.SNS_ACCOUNT, f"value must be a string, not {type(raw).__name__}")
    text = refang_fully(raw).strip()
    if not text:
        raise _invalid("empty value", raw)
    match = _PLATFORM_PREFIX.match(text)
    if _looks_like_profile_url(text) and not (
        match and _alias(match[1]) and not _SCHEME.match(text)
    ):
        return _from_url(text, raw)
    if not match:
        raise _invalid(
            f"expected platform:handle or a profile URL; platforms: {', '.join(SNS_PLATFORMS)}",
            raw,
        )
    name, written = match.groups()
    platform = _alias(name)
    if platform is None:
        raise _invalid(f"platform {name!r} is not one of {', '.join(SNS_PLATFORMS)}", raw)
    if _looks_like_profile_url(written.strip()):
        return _from_url(written.strip(), raw, expected=platform)
    return SnsAccount(platform.name, _handle(platform, written, raw))


def canonical_sns_account(raw: str) -> str:
    return parse_sns_account(raw).value
