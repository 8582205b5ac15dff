"""The intelligence layer's observable types: canonical forms, errors, parsers, detection."""

import pytest

from hakusan.domain.observables import (
    SNS_PLATFORMS,
    AccountKind,
    BankAccount,
    InvalidObservable,
    Observable,
    ObservableType,
    SnsAccount,
    canonicalize,
    defang,
    detect,
    parse_bank_account,
    parse_sns_account,
)

T = ObservableType
TLSH = "8D2302D7A6A0C5E5D2E25C1C3D5E9C3BDB6AD6F4A68D4C1A0E6F6F5A0F7D2A6E5F1C2B"
assert len(TLSH) == 70

VALID = [
    # cidr: block address, prefix; IPv6 compressed; single addresses get /32, /128
    (T.CIDR, "192.0.2.0/24", "192.0.2.0/24"),
    (T.CIDR, "192.0.2.77/24", "192.0.2.0/24"),
    (T.CIDR, "192.0.2[.]0/24", "192.0.2.0/24"),
    (T.CIDR, "192.0.2.0[/]24", "192.0.2.0/24"),
    (T.CIDR, "１９２．０．２．０／２４", "192.0.2.0/24"),
    (T.CIDR, "192.0.2.0 / 24", "192.0.2.0/24"),
    (T.CIDR, "198.51.100.7", "198.51.100.7/32"),
    (T.CIDR, "10.0.0.0/255.0.0.0", "10.0.0.0/8"),
    (T.CIDR, "0.0.0.0/0", "0.0.0.0/0"),
    (T.CIDR, "2001:DB8:0:0:1::/32", "2001:db8::/32"),
    (T.CIDR, "[2001:db8::]/48", "2001:db8::/48"),
    (T.CIDR, "2001:db8::1", "2001:db8::1/128"),
    (T.CIDR, "::ffff:192.0.2.9/120", "::ffff:192.0.2.0/120"),
    # asn
    (T.ASN, "AS15169", "AS15169"),
    (T.ASN, "as15169", "AS15169"),
    (T.ASN, "15169", "AS15169"),
    (T.ASN, "ASN 15169", "AS15169"),
    (T.ASN, "ＡＳ２４９４", "AS2494"),
    (T.ASN, "AS1.10", "AS65546"),
    (T.ASN, "AS64512", "AS64512"),  # private use: still an ASN
    (T.ASN, "AS4294967294", "AS4294967294"),
    # mutex: as written, case kept, namespace kept
    (T.MUTEX, "  Global\\MsWinZonesCacheCounterMutexA ", "Global\\MsWinZonesCacheCounterMutexA"),
    (T.MUTEX, "Local\\{A1B2}", "Local\\{A1B2}"),
    (T.MUTEX, "abc[.]def", "abc[.]def"),  # not refanged
    (T.MUTEX, "ｍｕｔｅｘ", "ｍｕｔｅｘ"),  # NFC, not NFKC
    (T.MUTEX, "か\u3099", "が"),  # combining dakuten composed (NFC)
    # filename: base name, case kept
    (T.FILENAME, "C:\\Users\\taro\\AppData\\Local\\Temp\\Invoice.PDF.exe", "Invoice.PDF.exe"),
    (T.FILENAME, "/tmp/.x/payload.sh", "payload.sh"),
    (T.FILENAME, '"C:\\Program Files\\Evil App\\run me.exe"', "run me.exe"),
    (T.FILENAME, "請求書.pdf.exe", "請求書.pdf.exe"),
    (T.FILENAME, "invoice[.]zip", "invoice[.]zip"),
    (T.FILENAME, "\\\\server\\share\\a.lnk", "a.lnk"),
    (T.FILENAME, "ファイル\u3099.txt", "ファイル\u3099.txt"),  # NFC keeps a lone mark after ル
    # user_agent
    (
        T.USER_AGENT,
        "  Mozilla/5.0 (Windows NT 10.0;\tWin64; x64)\n AppleWebKit/537.36 ",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36",
    ),
    (T.USER_AGENT, "User-Agent: curl/8.5.0", "curl/8.5.0"),
    (T.USER_AGENT, '"python-requests/2.31.0"', "python-requests/2.31.0"),
    # ja3: md5 hex, or a JA3 string hashed (vector from the JA3 README)
    (T.JA3, "ADA70206E40642A3E4461F35503241D5", "ada70206e40642a3e4461f35503241d5"),
    (
        T.JA3,
        "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0",
        "ada70206e40642a3e4461f35503241d5",
    ),
    (T.JA3, "771,4865,,,", "ja3-md5"),  # empty lists allowed (hash checked below)
    # ssdeep: case kept, file name suffix dropped, not refanged
    (
        T.SSDEEP,
        "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8Qs6",
        "96:s4Ud1Lj96tHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8QsO/wqWXLcMSx:sF1LjEtHHlZDrwciQmA+4uy1I0G4HYuL8N3TzS8Qs6",
    ),
    (T.SSDEEP, '0012:hxxp:ttp,"C:\\sample.bin"', "12:hxxp:ttp"),
    (T.SSDEEP, "3::", "3::"),  # the digest of empty input
    # tlsh
    (T.TLSH, TLSH, "T1" + TLSH),
    (T.TLSH, "t1" + TLSH.lower(), "T1" + TLSH),
    # bank_account: holder left out of the value
    (T.BANK_ACCOUNT, "0009-123-1-1234567 ヤマダ タロウ", "0009-123-ordinary-1234567"),
    (T.BANK_ACCOUNT, "0009-123-ordinary-1234567", "0009-123-ordinary-1234567"),
    (T.BANK_ACCOUNT, "０００５　２５１　普通預金　９８７６５４", "0005-251-ordinary-0987654"),
    (T.BANK_ACCOUNT, "0001ー001ー当座ー1234567", "0001-001-current-1234567"),
    (T.BANK_ACCOUNT, "9900/019/貯蓄/7654321", "9900-019-savings-7654321"),
    (
        T.BANK_ACCOUNT,
        "bank=0009 branch=123 type=普通 number=1234567 holder=ヤマダタロウ",
        "0009-123-ordinary-1234567",
    ),
    (
        T.BANK_ACCOUNT,
        "金融機関コード：0009、支店コード：123、預金種別：普通、口座番号：1234567、口座名義人：ﾔﾏﾀﾞ ﾀﾛｳ",
        "0009-123-ordinary-1234567",
    ),
    (
        T.BANK_ACCOUNT,
        '{"bank": 9, "branch": 1, "type": "savings", "number": 42}',
        "0009-001-savings-0000042",
    ),
    # sns_account
    (T.SNS_ACCOUNT, "x:Example_JP", "x:example_jp"),
    (T.SNS_ACCOUNT, "Twitter: @Example_JP", "x:example_jp"),
    (T.SNS_ACCOUNT, "https://x.com/Example_JP", "x:example_jp"),
    (T.SNS_ACCOUNT, "https://twitter.com/example_jp/status/1790000000000000000", "x:example_jp"),
    (T.SNS_ACCOUNT, "hxxps://mobile.twitter[.]com/Example_JP?lang=ja", "x:example_jp"),
    (T.SNS_ACCOUNT, "https://www.instagram.com/Foo.Bar/", "instagram:foo.bar"),
    (T.SNS_ACCOUNT, "インスタ @foo.bar", "instagram:foo.bar"),
    (T.SNS_ACCOUNT, "LINE ID：taro.line", "line:taro.line"),
    (T.SNS_ACCOUNT, "https://line.me/R/ti/p/%40abc1234x", "line:abc1234x"),
    (
        T.SNS_ACCOUNT,
        "https://www.facebook.com/people/Taro-Yamada/100012345678901/",
        "facebook:100012345678901",
    ),
    (T.SNS_ACCOUNT, "https://t.me/Scam_Support", "telegram:scam_support"),
    (T.SNS_ACCOUNT, "https://t.me/s/scam_support", "telegram:scam_support"),
    (T.SNS_ACCOUNT, "https://www.facebook.com/John.Smith", "facebook:johnsmith"),
    (
        T.SNS_ACCOUNT,
        "https://www.facebook.com/profile.php?id=100012345678901",
        "facebook:100012345678901",
    ),
    (T.SNS_ACCOUNT, "https://www.tiktok.com/@Foo_1/video/123", "tiktok:foo_1"),
    (T.SNS_ACCOUNT, "https://line.me/R/ti/p/@abc1234x", "line:abc1234x"),
    (T.SNS_ACCOUNT, "https://line.me/ti/p/~Taro.Line", "line:taro.line"),
    (T.SNS_ACCOUNT, "https://www.youtube.com/@SomeChannel", "youtube:somechannel"),
    (
        T.SNS_ACCOUNT,
        "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
        "youtube:channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
    ),
    (T.SNS_ACCOUNT, "youtube:UC_x5XG1OV2P6uZZ5FSM9Ttw", "youtube:channel/UC_x5XG1OV2P6uZZ5FSM9Ttw"),
    (T.SNS_ACCOUNT, "https://www.threads.net/@foo.bar", "threads:foo.bar"),
    (T.SNS_ACCOUNT, "https://bsky.app/profile/Alice.bsky.social", "bluesky:alice.bsky.social"),
    (
        T.SNS_ACCOUNT,
        "bluesky:did:plc:z72i7hdynmk6r22z27h6tvur",
        "bluesky:did:plc:z72i7hdynmk6r22z27h6tvur",
    ),
    (T.SNS_ACCOUNT, "https://discord.com/users/123456789012345678", "discord:123456789012345678"),
    (T.SNS_ACCOUNT, "discord:Taro#1234", "discord:Taro#1234"),
    (T.SNS_ACCOUNT, "https://mixi.jp/show_friend.pl?id=1234567", "mixi:1234567"),
    (T.SNS_ACCOUNT, "https://www.reddit.com/user/Some_User/", "reddit:some_user"),
    (T.SNS_ACCOUNT, "github.com/Octo-Cat/repo", "github:octo-cat"),
    # tel_sms_sender
    (T.TEL_SMS_SENDER, "090-1234-5678", "+819012345678"),
    (T.TEL_SMS_SENDER, "＋８１ ９０ １２３４ ５６７８", "+819012345678"),
    (T.TEL_SMS_SENDER, "819012345678", "+819012345678"),
    (T.TEL_SMS_SENDER, "SMBC", "SMBC"),
    (T.TEL_SMS_SENDER, " Amazon ", "AMAZON"),
    (T.TEL_SMS_SENDER, "ｓａｇａｗａ", "SAGAWA"),
    (T.TEL_SMS_SENDER, "JP\t Post", "JP POST"),
    (T.TEL_SMS_SENDER, "12345", "12345"),  # a short code
]


@pytest.mark.parametrize(("kind", "raw", "expected"), VALID)
def test_canonical_value(kind: ObservableType, raw: str, expected: str) -> None:
    value = canonicalize(kind, raw)
    if expected != "ja3-md5":
        assert value == expected
    assert canonicalize(kind.value, raw) == value
    assert canonicalize(kind, value) == value  # idempotent


def test_ja3_string_hash_is_md5_of_the_string() -> None:
    import hashlib

    text = "771,4865,,,"
    assert canonicalize(T.JA3, text) == hashlib.md5(text.encode()).hexdigest()


INVALID = [
    (T.CIDR, "192.0.2.0/33", "longer than 32 bits"),
    (T.CIDR, "2001:db8::/129", "longer than 128 bits"),
    (T.CIDR, "192.0.2.0/abc", "number of bits"),
    (T.CIDR, "192.0.02.0/24", "leading zeros"),
    (T.CIDR, "256.0.0.0/8", "255"),
    (T.CIDR, "10.0.0.0/255.0.255.0", "netmask"),
    (T.CIDR, "example.jp/24", "address/prefix"),
    (T.CIDR, "192.0.2.0-192.0.2.255", "address/prefix"),
    (T.CIDR, "fe80::/10%eth0", "prefix"),
    (T.ASN, "AS0", "RFC 7607"),
    (T.ASN, "AS23456", "AS_TRANS"),
    (T.ASN, "AS65535", "RFC 7300"),
    (T.ASN, "AS4294967295", "RFC 7300"),
    (T.ASN, "AS4294967296", "32-bit"),
    (T.ASN, "AS70000.1", "asdot"),
    (T.ASN, "ASX", "AS followed by a number"),
    (T.ASN, "AS-SET-FOO", "AS followed by a number"),
    (T.MUTEX, "bad\x00name", "control"),
    (T.MUTEX, "x" * 261, "260"),
    (T.FILENAME, "C:\\Users\\taro\\", "directory path"),
    (T.FILENAME, '""', "no file name"),
    (T.FILENAME, "/tmp/..", "directory reference"),
    (T.FILENAME, "C:", "drive"),
    (T.FILENAME, "a\tb.txt", "control"),
    (T.FILENAME, "x" * 256, "255"),
    (T.USER_AGENT, '""', "empty"),
    (T.USER_AGENT, "Mozilla\x07", "control"),
    (T.JA3, "d41d8cd98f00b204e9800998ecf8427", "32 hex digits"),
    (T.JA3, "771,4865-4866", "SSLVersion,Ciphers"),
    (T.JA3, "771,70000,0,0,0", "16-bit"),
    (T.SSDEEP, "5:abc:def", "power of two"),
    (T.SSDEEP, "96:abc!:def", "base64"),
    (T.SSDEEP, "96:abc", "blocksize:hash1:hash2"),
    (T.SSDEEP, "96:" + "a" * 65 + ":b", "64"),
    (T.TLSH, "T1" + TLSH[:-1], "70 hex digits"),
    (T.TLSH, "T2" + TLSH, "70 hex digits"),
    (T.TLSH, "TNULL", "too small"),
    (T.TLSH, "T1" + TLSH[:-1] + "G", "70 hex digits"),
    (T.BANK_ACCOUNT, "0009-123-1234567", "expected bank-branch-type-number"),
    (T.BANK_ACCOUNT, "009-123-1-1234567", "bank code must be 4 digits"),
    (T.BANK_ACCOUNT, "0009-12-1-1234567", "branch code must be 3 digits"),
    (T.BANK_ACCOUNT, "0009-123-定期-1234567", "普通/当座/貯蓄"),
    (T.BANK_ACCOUNT, "0009-123-9-1234567", "普通/当座/貯蓄"),
    (T.BANK_ACCOUNT, "0009-123-1-12345678", "at most 7 digits"),
    (T.BANK_ACCOUNT, "0009-123-1-0000000", "not an account"),
    (T.BANK_ACCOUNT, "0009-123-1-1234567 山田太郎", "kana"),
    (T.BANK_ACCOUNT, "bank=三井住友銀行 branch=123 type=1 number=1", "names of banks"),
    (T.BANK_ACCOUNT, "bank=0009 type=1 number=1", "missing branch"),
    (T.BANK_ACCOUNT, "bank=0009 bank=0005 branch=1 type=1 number=1", "given twice"),
    (T.SNS_ACCOUNT, "myspace:foo", "not one of"),
    (T.SNS_ACCOUNT, "@foo", "platform:handle"),
    (T.SNS_ACCOUNT, "x:this_handle_is_too_long", "not a valid x handle"),
    (T.SNS_ACCOUNT, "instagram:foo bar", "not a valid instagram handle"),
    (T.SNS_ACCOUNT, "https://www.instagram.com/p/C1a2b3c4d5/", "not a instagram profile"),
    (T.SNS_ACCOUNT, "https://t.me/+AbCdEfGhIjK", "invite"),
    (T.SNS_ACCOUNT, "https://t.me/joinchat/AbCdEf", "invite"),
    (T.SNS_ACCOUNT, "https://x.com/home", "profile"),
    (T.SNS_ACCOUNT, "https://example.jp/foo", "not the profile host"),
    (T.SNS_ACCOUNT, "x:https://www.instagram.com/foo/", "given as x"),
    (T.SNS_ACCOUNT, "ftp://x.com/foo", "scheme"),
    (T.SNS_ACCOUNT, "x:@", "no x handle"),
    (T.TEL_SMS_SENDER, "090-1234-567", "phone number"),
    (T.TEL_SMS_SENDER, "12", "short code"),
    (T.TEL_SMS_SENDER, "AMAZONJAPANCO", "11 characters"),
    (T.TEL_SMS_SENDER, "ヤマト運輸", "ASCII"),
    (T.TEL_SMS_SENDER, "SMBC!", "ASCII letters"),
]


@pytest.mark.parametrize(("kind", "raw", "reason"), INVALID)
def test_invalid_names_type_and_reason(kind: ObservableType, raw: str, reason: str) -> None:
    with pytest.raises(InvalidObservable) as caught:
        canonicalize(kind, raw)
    message = str(caught.value)
    assert message.startswith(f"invalid {kind.value}")
    assert reason.lower() in message.lower(), message
    assert caught.value.type == kind.value


@pytest.mark.parametrize("kind", [t for t in T if t.value not in {
    "ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "phone", "btc", "eth", "cve"
}])  # fmt: skip
def test_empty_and_non_string_values_are_rejected(kind: ObservableType) -> None:
    with pytest.raises(InvalidObservable, match="empty"):
        canonicalize(kind, "   ")
    with pytest.raises(InvalidObservable, match="string"):
        canonicalize(kind, 15169)  # type: ignore[arg-type]


# --- parsers -------------------------------------------------------------------------


def test_parse_bank_account_fields_and_holder() -> None:
    account = parse_bank_account("0009-123-1-1234567 ﾔﾏﾀﾞ  ﾀﾛｳ")
    assert account == BankAccount("0009", "123", AccountKind.ORDINARY, "1234567", "ヤマダ タロウ")
    assert account.value == "0009-123-ordinary-1234567"
    assert account.kind.label_ja == "普通"
    assert account.kind.zengin_code == "1"


@pytest.mark.parametrize(
    "written",
    [
        "0009-123-1-1234567 ヤマダ タロウ",
        "0009-123-普通-1234567 ﾔﾏﾀﾞ ﾀﾛｳ",
        "0009 123 普通 1234567 やまだ　たろう",
        "bank=0009 branch=123 type=普通 number=1234567 holder=ヤマダ タロウ",
        "bank: 0009, branch: 123, type: ordinary, number: 1234567, holder: ヤマダ タロウ",
        '{"bank": "0009", "branch": "123", "type": "普通", "number": "1234567",'
        ' "holder": "ヤマダ タロウ"}',
    ],
)
def test_the_same_account_in_every_form(written: str) -> None:
    account = parse_bank_account(written)
    assert account.value == "0009-123-ordinary-1234567"
    assert account.holder_kana == "ヤマダ タロウ"


def test_holder_variants_correlate_and_corporate_abbreviations_parse() -> None:
    a = canonicalize(T.BANK_ACCOUNT, "0005-001-2-7654321 カ)ヤマダシヨウジ")
    b = canonicalize(T.BANK_ACCOUNT, "0005-001-2-7654321 ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ")
    c = canonicalize(T.BANK_ACCOUNT, "0005-001-2-7654321")
    assert a == b == c == "0005-001-current-7654321"
    assert parse_bank_account("0005-001-2-7654321 ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ").holder_kana == "カ)ヤマダショウジ"
    assert parse_bank_account("bank=0005 branch=001 type=2 number=1").holder_kana is None


def test_parse_sns_account() -> None:
    assert parse_sns_account("https://twitter.com/Handle") == SnsAccount("x", "handle")
    assert parse_sns_account("https://x.com/handle").value == "x:handle"
    assert parse_sns_account("X: https://x.com/Handle").value == "x:handle"
    assert set(SNS_PLATFORMS) >= {
        "x", "instagram", "facebook", "tiktok", "line", "youtube", "telegram", "discord",
        "threads", "bluesky", "mixi",
    }  # fmt: skip


def test_sns_profile_urls_and_platform_handles_correlate() -> None:
    forms = [
        "https://x.com/Handle",
        "https://twitter.com/handle",
        "hxxps://x[.]com/HANDLE/",
        "twitter.com/handle",
        "x:@handle",
        "ツイッター：＠ｈａｎｄｌｅ",
    ]
    assert {canonicalize(T.SNS_ACCOUNT, f) for f in forms} == {"x:handle"}


# --- detection and defang ------------------------------------------------------------

DETECTED = [
    ("192.0.2.0/24", T.CIDR, "192.0.2.0/24"),
    ("192.0.2[.]7/24", T.CIDR, "192.0.2.0/24"),
    ("2001:db8::/32", T.CIDR, "2001:db8::/32"),
    ("AS15169", T.ASN, "AS15169"),
    ("asn 2497", T.ASN, "AS2497"),
    (
        "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0",
        T.JA3,
        "ada70206e40642a3e4461f35503241d5",
    ),
    ("96:s4Ud1Lj96tHHlZDrwciQ:sF1LjEtHHlZD", T.SSDEEP, "96:s4Ud1Lj96tHHlZDrwciQ:sF1LjEtHHlZD"),
    ("48:httpabcdefgh:ttp:x", None, None),  # four parts: not ssdeep
    ("T1" + TLSH, T.TLSH, "T1" + TLSH),
    (TLSH.lower(), T.TLSH, "T1" + TLSH),
    # Unchanged: a 32-hex value stays an md5; an account number is not detected.
    ("ada70206e40642a3e4461f35503241d5", T.MD5, "ada70206e40642a3e4461f35503241d5"),
]


@pytest.mark.parametrize(("raw", "kind", "value"), DETECTED)
def test_detect(raw: str, kind: ObservableType | None, value: str | None) -> None:
    if kind is None or value is None:
        with pytest.raises(InvalidObservable):
            detect(raw)
    else:
        assert detect(raw) == Observable(kind, value)


@pytest.mark.parametrize(
    "raw",
    ["12:30:45", "6:ab::", "0009-123-ordinary-1234567", "Global\\Mutex", "setup.exe", "SMBC"],
)
def test_detect_leaves_ambiguous_values_alone(raw: str) -> None:
    try:
        found = detect(raw)
    except InvalidObservable:
        return
    assert found.type not in (T.SSDEEP, T.BANK_ACCOUNT, T.MUTEX, T.FILENAME, T.TEL_SMS_SENDER)


def test_defang_cidr_and_as_written_types() -> None:
    assert defang("192.0.2.0/24", T.CIDR) == "192[.]0[.]2[.]0/24"
    assert canonicalize(T.CIDR, defang("192.0.2.0/24", T.CIDR)) == "192.0.2.0/24"
    assert defang("invoice[.]zip", T.FILENAME) == "invoice[.]zip"
    assert defang("12:hxxp:ttp", T.SSDEEP) == "12:hxxp:ttp"
