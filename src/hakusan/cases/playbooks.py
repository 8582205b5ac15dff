"""Seed case types and their playbooks (configurable afterwards in the admin).

Each step: (Japanese title, English title, guidance ja, guidance en, due within hours)."""

Step = tuple[str, str, str, str, int | None]

RANSOMWARE_FIRST_RESPONSE: list[Step] = [
    (
        "被害組織の規模・業種を確認",
        "Record the victim's size and industry",
        "大企業/中小企業/団体等、業種を記録する。",
        "Large/SME/organisation and industry.",
        4,
    ),
    (
        "通信ログ・アクセスログの保全を依頼",
        "Ask the victim to preserve communication and access logs",
        "ファイアウォール、VPN、プロキシ、サーバのログを上書き前に保全するよう依頼する。",
        "Firewall, VPN, proxy and server logs, before they rotate.",
        2,
    ),
    (
        "VPN機器・ファイアウォールの電源を切らないよう依頼",
        "Ask the victim to keep VPN and firewall devices powered on",
        "メモリ上のログが失われるため、再起動・電源断をしないよう伝える。",
        "Logs held in memory are lost on reboot or power-off.",
        1,
    ),
    (
        "被害サーバのデータ保全",
        "Preserve the affected servers' data",
        "暗号化されたサーバ・端末のイメージ取得またはデータの保全を依頼する。",
        "Disk images or copies of the encrypted servers and endpoints.",
        24,
    ),
    (
        "システム構成図の入手",
        "Obtain the system diagram",
        "ネットワーク構成図・資産一覧を入手する。",
        "Network diagram and asset list.",
        48,
    ),
    (
        "感染経路の確認",
        "Establish the infection route",
        "VPN機器/リモートデスクトップ/不審メール/その他。パッチ適用状況も確認する。",
        "VPN device / remote desktop / suspicious e-mail / other; and the patch state.",
        72,
    ),
    (
        "バックアップの有無と復元結果の確認",
        "Check backups and whether restore worked",
        "バックアップの有無、暗号化の有無、復元結果を記録する。",
        "Whether backups existed, were encrypted too, and could be restored.",
        72,
    ),
    (
        "手口と対価要求の確認",
        "Record the method and any ransom demand",
        "暗号化/二重恐喝/ノーウェアランサム、対価要求の有無・手段、脅迫文の保全。",
        "Encryption / double extortion / no-ware; ransom demand and means; keep the note.",
        24,
    ),
    (
        "リークサイト掲載の確認",
        "Check leak sites for the victim",
        "二重恐喝の場合、リークサイトへの掲載状況を確認する(閲覧のみ、データは取得しない)。",
        "For double extortion, check leak sites (look only; never download data).",
        72,
    ),
    (
        "IoCの抽出と共有",
        "Extract and share indicators",
        "脅迫文・ログからIoC(IP、ドメイン、ハッシュ、ウォレット)を抽出し登録する。",
        "Indicators from the note and logs: IPs, domains, hashes, wallets.",
        96,
    ),
]

CASE_TYPES: list[tuple[str, str, str, bool, list[Step]]] = [
    ("ransomware", "ランサムウェア", "Ransomware", True, RANSOMWARE_FIRST_RESPONSE),
    (
        "unauthorized_access",
        "不正アクセス",
        "Unauthorised access",
        False,
        [
            ("アクセスログの保全", "Preserve access logs", "", "", 24),
            ("不正アクセス元IPの特定", "Identify source addresses", "", "", 72),
            ("侵害されたアカウントの確認", "Identify compromised accounts", "", "", 72),
            ("プロバイダへのログ保存要請", "Ask providers to retain logs", "", "", 48),
        ],
    ),
    (
        "phishing",
        "フィッシング",
        "Phishing",
        False,
        [
            (
                "フィッシングURLとブランドの記録",
                "Record phishing URLs and imitated brand",
                "",
                "",
                4,
            ),
            ("テイクダウン依頼", "Request takedown", "", "", 24),
            ("ウイルス対策ベンダへの情報提供", "Share URLs with antivirus vendors", "", "", 24),
            ("被害口座・決済の確認", "Check affected accounts and payments", "", "", 72),
        ],
    ),
    (
        "illegal_transfer",
        "不正送金",
        "Illegal bank transfer",
        False,
        [
            ("送金先口座の特定", "Identify receiving accounts", "", "", 4),
            ("金融機関への口座凍結依頼", "Ask the bank to freeze the account", "", "", 8),
            ("ログイン履歴の入手", "Obtain login history", "", "", 72),
        ],
    ),
    (
        "support_scam",
        "サポート詐欺",
        "Tech-support scam",
        False,
        [
            (
                "警告画面のURLと電話番号の記録",
                "Record the warning page URL and phone number",
                "",
                "",
                4,
            ),
            ("遠隔操作ソフトの確認", "Check for remote-control software", "", "", 24),
            ("支払手段(ギフトカード等)の確認", "Record payment means (gift cards …)", "", "", 24),
        ],
    ),
    (
        "defamation",
        "誹謗中傷",
        "Defamation",
        False,
        [
            (
                "投稿の保全(URL・日時・スクリーンショット)",
                "Preserve the posts (URL, time, screenshot)",
                "",
                "",
                24,
            ),
            ("削除依頼・発信者情報の検討", "Consider deletion and sender disclosure", "", "", 72),
        ],
    ),
    (
        "illegal_content",
        "違法・有害情報",
        "Illegal or harmful content",
        False,
        [
            (
                "URLと違法情報類型の記録",
                "Record URL and class of illegal information",
                "コンテンツ自体は保存・取得しない(URL・ハッシュ・メタデータのみ)。",
                "Never store or fetch the content itself: URL, hashes and metadata only.",
                4,
            ),
            ("送信防止措置依頼の検討", "Consider a deletion request", "", "", 48),
        ],
    ),
    (
        "ddos",
        "DDoS",
        "DDoS",
        False,
        [
            ("攻撃時間帯と送信元の記録", "Record attack window and sources", "", "", 8),
            ("通信ログの保全", "Preserve traffic logs", "", "", 24),
        ],
    ),
    (
        "other",
        "その他",
        "Other",
        False,
        [
            ("事実関係の整理", "Establish the facts", "", "", 72),
        ],
    ),
]
