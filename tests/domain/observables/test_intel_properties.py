"""Property tests for the intelligence layer's types and derived links.

canonicalize is idempotent for every type (on generated valid values and on arbitrary text it
happens to accept), defanged and fanged forms agree, and derive() is deterministic, free of
duplicates and of the observable itself, and the same for a value however it is written.
"""

import json
import re

from hypothesis import assume, given
from hypothesis import strategies as st

from hakusan.domain.observables import (
    InvalidObservable,
    Observable,
    ObservableType,
    canonicalize,
    defang,
    derive,
    detect,
    parse_bank_account,
    registrable_domain,
)

from .test_properties import PROFILE, _full_width, _mixed_case, domains, emails, jp_phones, urls

T = ObservableType

# --- strategies ----------------------------------------------------------------------


@st.composite
def cidrs(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        address = str(draw(st.ip_addresses(v=4)))
        prefix = draw(st.integers(0, 32))
        form = draw(st.sampled_from(["prefix", "bare", "netmask", "spaced"]))
        if form == "netmask":
            mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF if prefix else 0
            return f"{address}/{'.'.join(str(mask >> s & 255) for s in (24, 16, 8, 0))}"
    else:
        address = str(draw(st.ip_addresses(v=6)))
        prefix = draw(st.integers(0, 128))
        form = draw(st.sampled_from(["prefix", "bare", "bracketed", "upper"]))
        if form == "bracketed":
            return f"[{address}]/{prefix}"
        if form == "upper":
            return f"{address.upper()}/{prefix}"
    if form == "bare":
        return address
    if form == "spaced":
        return f"{address} / {prefix}"
    return f"{address}/{prefix}"


_RESERVED_ASNS = {0, 23456, 65535, 4294967295}
asn_numbers = st.one_of(st.integers(1, 65534), st.integers(65536, 4294967294)).filter(
    lambda n: n not in _RESERVED_ASNS
)


@st.composite
def asns(draw: st.DrawFn) -> str:
    number = draw(asn_numbers)
    form = draw(st.sampled_from(["AS{}", "as{}", "{}", "ASN {}", "AS {}", "asdot"]))
    if form == "asdot":
        return f"AS{number >> 16}.{number & 0xFFFF}"
    return form.format(number)


names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() not in ("", ".", "..")
)


@st.composite
def mutexes(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(["", "Global\\", "Local\\", "Session\\1\\"]))
    return prefix + draw(names) + draw(st.sampled_from(["", " ", "\u3000"]))


@st.composite
def filenames(draw: st.DrawFn) -> str:
    # A name like "A:" is a drive letter, which canonical_filename rightly refuses.
    name = draw(
        names.filter(lambda s: "/" not in s and "\\" not in s and not re.fullmatch(r"[A-Za-z]:", s))
    )
    folders = draw(st.lists(st.from_regex(r"[A-Za-z0-9 ._-]{1,8}", fullmatch=True), max_size=3))
    style = draw(st.sampled_from(["windows", "posix", "bare", "quoted"]))
    if style == "windows":
        return "C:\\" + "".join(f"{f}\\" for f in folders) + name
    if style == "posix":
        return "/" + "".join(f"{f}/" for f in folders) + name
    if style == "quoted":
        return f'"{name}"'
    return name


whitespace = st.sampled_from([" ", "  ", "\t", "\n", " \r\n "])


@st.composite
def user_agents(draw: st.DrawFn) -> str:
    words = draw(st.lists(names.map(lambda s: "".join(s.split()) or "x"), min_size=1, max_size=6))
    text = "".join(w + draw(whitespace) for w in words)
    return draw(st.sampled_from(["{}", "User-Agent: {}", '"{}"'])).format(text)


def _ja3_list(draw: st.DrawFn) -> str:
    return "-".join(str(n) for n in draw(st.lists(st.integers(0, 65535), max_size=6)))


@st.composite
def ja3s(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return _mixed_case(draw, draw(st.binary(min_size=16, max_size=16)).hex())
    version = draw(st.sampled_from([768, 769, 770, 771, 772]))
    return ",".join([str(version), *(_ja3_list(draw) for _ in range(4))])


b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


@st.composite
def ssdeeps(draw: st.DrawFn) -> str:
    block = 3 << draw(st.integers(0, 30))
    one = draw(st.text(b64, max_size=64))
    two = draw(st.text(b64, max_size=64))
    suffix = draw(st.sampled_from(["", ',"sample.exe"', ',"C:\\tmp\\a b.dll"']))
    return f"{block}:{one}:{two}{suffix}"


@st.composite
def tlshes(draw: st.DrawFn) -> str:
    body = _mixed_case(draw, draw(st.binary(min_size=35, max_size=35)).hex())
    return draw(st.sampled_from(["", "T1", "t1"])) + body


_KIND_WORDS = {
    "ordinary": ["1", "普通", "普通預金", "ordinary", "Futsu"],
    "current": ["2", "当座", "当座預金", "current", "Checking"],
    "savings": ["4", "貯蓄", "貯蓄預金", "savings", "SAVINGS"],
}
_KATAKANA = "アイウエオカキクケコガギグゲゴサシスセソタチツテトダナニヌネノハヒフヘホバパマミムメモヤユヨラリルレロワヲンー"


@st.composite
def bank_accounts(draw: st.DrawFn) -> str:
    bank = f"{draw(st.integers(1, 9999)):04d}"
    branch = f"{draw(st.integers(0, 999)):03d}"
    kind = draw(st.sampled_from(sorted(_KIND_WORDS)))
    word = draw(st.sampled_from(_KIND_WORDS[kind]))
    number = str(draw(st.integers(1, 9999999)))
    holder = draw(
        st.one_of(
            st.none(), st.lists(st.text(_KATAKANA, min_size=1, max_size=6), min_size=1, max_size=3)
        )
    )
    holder_text = " ".join(holder) if holder else None
    form = draw(st.sampled_from(["positional", "keys", "json", "canonical"]))
    if form == "canonical":
        text = f"{bank}-{branch}-{kind}-{number.zfill(7)}"
    elif form == "keys":
        parts = [f"bank={bank}", f"branch={branch}", f"type={word}", f"number={number}"]
        parts = draw(st.permutations(parts))
        text = " ".join(parts) + (f" holder={holder_text}" if holder_text else "")
    elif form == "json":
        data = {"bank": bank, "branch": branch, "type": word, "number": number}
        if holder_text:
            data["holder"] = holder_text
        text = json.dumps(data, ensure_ascii=draw(st.booleans()))
    else:
        sep = draw(st.sampled_from(["-", " ", "/", "　", "ー"]))
        text = sep.join([bank, branch, word, number]) + (f" {holder_text}" if holder_text else "")
    return _full_width(text) if draw(st.booleans()) else text


_HANDLES = {
    "x": r"[A-Za-z0-9_]{1,15}",
    "instagram": r"[A-Za-z0-9._]{1,30}",
    "tiktok": r"[A-Za-z0-9._]{2,24}",
    "telegram": r"[A-Za-z0-9_]{5,32}",
    "threads": r"[A-Za-z0-9._]{1,30}",
    "reddit": r"[A-Za-z0-9_-]{3,20}",
    "facebook": r"[A-Za-z0-9.]{5,20}",
    "line": r"[a-z0-9._-]{4,20}",
    "youtube": r"[A-Za-z0-9._-]{3,30}",
    "discord": r"[a-z0-9_.]{2,32}",
    "mixi": r"[0-9]{1,10}",
}
_PROFILE_URLS = {
    "x": ["https://x.com/{}", "https://twitter.com/{}/status/1", "x.com/{}"],
    "instagram": ["https://www.instagram.com/{}/"],
    "tiktok": ["https://www.tiktok.com/@{}"],
    "telegram": ["https://t.me/{}", "hxxps://t[.]me/{}"],
    "threads": ["https://www.threads.net/@{}"],
    "reddit": ["https://www.reddit.com/user/{}/"],
    "facebook": ["https://www.facebook.com/{}"],
    "line": ["https://line.me/R/ti/p/~{}"],
    "youtube": ["https://www.youtube.com/@{}"],
    "discord": [],
    "mixi": ["https://mixi.jp/show_friend.pl?id={}"],
}
_RESERVED_FIRST_SEGMENTS = {"home", "i", "search", "explore", "intent", "share", "hashtag",
                            "settings", "messages", "notifications", "login", "logout", "signup",
                            "tos", "privacy", "compose", "account", "p", "reel", "reels", "tv",
                            "accounts", "direct", "stories", "about", "legal", "developer",
                            "groups", "pages", "events", "watch", "sharer", "photo", "marketplace",
                            "help", "policies", "gaming", "s", "joinchat", "addstickers",
                            "addemoji", "proxy", "socks", "addlist", "c"}  # fmt: skip


@st.composite
def sns_accounts(draw: st.DrawFn) -> str:
    platform = draw(st.sampled_from(sorted(_HANDLES)))
    handle = draw(st.from_regex(_HANDLES[platform], fullmatch=True))
    assume(handle.lower() not in _RESERVED_FIRST_SEGMENTS)
    forms = [f"{platform}:{{}}", f"{platform}: @{{}}", *_PROFILE_URLS[platform]]
    return draw(st.sampled_from(forms)).format(handle)


@st.composite
def sms_senders(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["phone", "id", "short"]))
    if kind == "phone":
        return draw(jp_phones())
    if kind == "short":
        return str(draw(st.integers(100, 99999999)))
    text = draw(st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,5}( [A-Za-z0-9]{1,4})?", fullmatch=True))
    return _full_width(text) if draw(st.booleans()) else text


VALUES = {
    T.CIDR: cidrs(),
    T.ASN: asns(),
    T.MUTEX: mutexes(),
    T.FILENAME: filenames(),
    T.USER_AGENT: user_agents(),
    T.JA3: ja3s(),
    T.SSDEEP: ssdeeps(),
    T.TLSH: tlshes(),
    T.BANK_ACCOUNT: bank_accounts(),
    T.SNS_ACCOUNT: sns_accounts(),
    T.TEL_SMS_SENDER: sms_senders(),
}


def _tagged(
    kind: ObservableType, values: st.SearchStrategy[str]
) -> st.SearchStrategy[tuple[ObservableType, str]]:
    return values.map(lambda value: (kind, value))


typed_values = st.one_of(*(_tagged(kind, values) for kind, values in VALUES.items()))


# --- canonical forms -----------------------------------------------------------------


@PROFILE
@given(typed_values)
def test_generated_values_are_valid_and_idempotent(item: tuple[ObservableType, str]) -> None:
    kind, raw = item
    once = canonicalize(kind, raw)
    assert canonicalize(kind, once) == once
    assert canonicalize(kind, f"  {raw}\n") == once  # surrounding whitespace never matters


_FUZZ_TEXT = st.text(
    st.one_of(st.characters(), st.sampled_from("0123456789abcdefABCDEF.:/-@[]()_ +ASNT,#=ー０ｱ")),
    max_size=40,
)


@PROFILE
@given(st.sampled_from(list(T)), _FUZZ_TEXT)
def test_idempotent_on_whatever_text_is_accepted(kind: ObservableType, raw: str) -> None:
    """Any text, any type: only InvalidObservable is raised, and what is accepted is a
    fixed point (and derive() copes with it)."""
    try:
        once = canonicalize(kind, raw)
    except InvalidObservable as exc:
        assert exc.type == kind.value and exc.reason
        return
    assert canonicalize(kind, once) == once
    derive(Observable(kind, once))


@PROFILE
@given(cidrs())
def test_defanged_and_fanged_cidr_agree(raw: str) -> None:
    value = canonicalize(T.CIDR, raw)
    assert canonicalize(T.CIDR, defang(value, T.CIDR)) == value
    assert canonicalize(T.CIDR, raw.replace(".", "[.]")) == value
    assert canonicalize(T.CIDR, raw.replace(".", "(.)").replace("/", "[/]")) == value
    assert canonicalize(T.CIDR, _full_width(raw)) == value


@PROFILE
@given(cidrs())
def test_cidr_is_detected(raw: str) -> None:
    assume("/" in raw and " " not in raw)
    assert detect(raw) == Observable(T.CIDR, canonicalize(T.CIDR, raw))


@PROFILE
@given(bank_accounts())
def test_bank_value_is_the_fields(raw: str) -> None:
    account = parse_bank_account(raw)
    assert canonicalize(T.BANK_ACCOUNT, raw) == account.value
    assert len(account.bank_code) == 4 and len(account.branch_code) == 3
    assert len(account.number) == 7
    # Holder left out: the same account with or without a name is one observable.
    bare = f"{account.bank_code}-{account.branch_code}-{account.kind}-{account.number}"
    assert canonicalize(T.BANK_ACCOUNT, bare) == account.value


# --- derived links -------------------------------------------------------------------

linkable = st.one_of(
    urls().map(lambda v: (T.URL, v)),
    domains().map(lambda v: (T.DOMAIN, v)),
    emails.map(lambda v: (T.EMAIL, v)),
    cidrs().map(lambda v: (T.CIDR, v)),
)


@PROFILE
@given(linkable)
def test_derive_is_deterministic_unique_and_canonical(item: tuple[ObservableType, str]) -> None:
    kind, raw = item
    value = canonicalize(kind, raw)
    links = derive(Observable(kind, value))
    assert links == derive(Observable(kind, value))
    targets = [link.target for link in links]
    assert len(set(targets)) == len(targets)
    assert Observable(kind, value) not in targets
    for target in targets:
        assert canonicalize(target.type, target.value) == target.value
    # However the value was written (defanged, as given), the links are the same.
    assert derive(Observable(kind, raw)) == links
    assert derive(Observable(kind, defang(value, kind))) == links


@PROFILE
@given(domains(), st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True))
def test_sibling_hosts_meet_at_the_registrable_domain(domain: str, label: str) -> None:
    registrable = registrable_domain(domain)
    assume(registrable is not None)
    assert registrable is not None
    sibling = f"{label}.{registrable}"
    url = Observable(T.URL, f"https://{domain}/x")
    url_targets = {link.target for link in derive(url)}
    sibling_targets = {link.target for link in derive(Observable(T.DOMAIN, sibling))}
    # Every host derives its registrable domain unless it is that domain.
    assert Observable(T.DOMAIN, registrable) in url_targets
    assert Observable(T.DOMAIN, registrable) in sibling_targets | {Observable(T.DOMAIN, sibling)}
    assert registrable_domain(registrable) == registrable
