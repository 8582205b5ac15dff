"""Fictional 通報・相談 reports for the demo, the intake benchmark and the triage model.

Everything is made up: generic common names, companies such as 株式会社サンプル工業, domains under
example.jp / example.com / *.example / *.test, IPv4 documentation ranges (RFC 5737), phone
numbers with a 0000 block (0120-000-xxx, 03-0000-xxxx), fictional banks, the well-known Bitcoin
test-vector addresses, random hashes.

Narratives are Japanese 5W1H texts built from several scenes per category, optional detail
sentences, sentences borrowed from easily confused categories, and noise (typos, full-width
digits, defanged URLs, several date and amount styles, a few vague reports), so that a classifier
is useful but not trivially perfect.

``generate_reports`` streams: it holds one report at a time and is deterministic for a seed.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import accumulate

from hakusan.domain.triage.categories import SEED_CATEGORIES
from hakusan.domain.triage.rules import HIGH_DAMAGE_YEN, TriageInput, needs_cyber_reasons

CHANNELS = ("visit", "phone", "web", "email", "ihc", "patrol", "partner")
KINDS = ("report", "consultation", "information")
VICTIM_KINDS = ("person", "company", "organisation")
ORG_SIZES = ("", "large", "sme", "organisation")

ALLOWED_DOMAIN_SUFFIXES = ("example.jp", "example.com", ".example", ".test")
DOC_IPV4_PREFIXES = ("192.0.2.", "198.51.100.", "203.0.113.")
# Well-known test vectors (BIP-173, BIP-13 and the Bitcoin wiki example), EIP-55 test vector.
BTC_TEST_ADDRESSES = (
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2",
)
ETH_TEST_ADDRESSES = ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",)

DEFAULT_START = datetime(2025, 1, 1, tzinfo=UTC)
JST = timedelta(hours=9)
SPAN_SECONDS = 365 * 86400


@dataclass(frozen=True, slots=True)
class ReportSample:
    channel: str
    kind: str
    reporter_name: str
    reporter_contact: str
    victim_kind: str
    victim_name: str
    victim_org_size: str
    victim_industry: str
    narrative: str
    items: tuple[str, ...]
    damage_amount: int | None
    occurred_at: datetime
    category: str
    needs_cyber: bool


# --------------------------------------------------------------------------------------------
# Data pools (Japanese only here)

FAMILY_NAMES = ("山田", "佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "中村", "小林", "加藤")
GIVEN_NAMES = (
    "太郎", "花子", "一郎", "次郎", "美咲", "健太", "裕子", "翔太", "由美", "大輔", "陽子", "誠",
)  # fmt: skip
FAMILY_KANA = {
    "山田": "ヤマダ", "佐藤": "サトウ", "鈴木": "スズキ", "高橋": "タカハシ", "田中": "タナカ",
    "伊藤": "イトウ", "渡辺": "ワタナベ", "中村": "ナカムラ", "小林": "コバヤシ", "加藤": "カトウ",
}  # fmt: skip
ROMAJI = {
    "山田": "yamada", "佐藤": "sato", "鈴木": "suzuki", "高橋": "takahashi", "田中": "tanaka",
    "伊藤": "ito", "渡辺": "watanabe", "中村": "nakamura", "小林": "kobayashi", "加藤": "kato",
}  # fmt: skip
COMPANY_STEMS = ("サンプル", "テスト", "エグザンプル", "架空", "ダミー", "見本")
COMPANY_KINDS = ("製作所", "商事", "工業", "物流", "システムズ", "食品", "建設", "電機", "薬品")
ORG_NAMES = (
    "サンプル市立病院", "学校法人テスト学園", "社会福祉法人サンプル会", "テスト町役場",
    "サンプル協同組合", "NPO法人エグザンプル", "医療法人テスト会", "サンプル市教育委員会",
)  # fmt: skip
COMPANY_INDUSTRIES = (
    "製造業", "卸売・小売業", "建設業", "情報通信業", "運輸業", "金融・保険業", "飲食業",
    "不動産業", "サービス業", "医療", "食品製造業",
)  # fmt: skip
ORG_INDUSTRIES = ("医療", "教育", "福祉", "自治体", "団体")
BANKS = ("サンプル銀行", "テスト信用金庫", "エグザンプル銀行", "架空ネット銀行", "見本信用組合")
BRANCHES = ("本店", "本店営業部", "さくら支店", "中央支店", "駅前支店", "第一営業部")
DEPTS = ("経理部", "総務課", "本社", "営業所", "工場", "事務所", "情報システム部門")
PCS = ("パソコン", "PC", "ノートパソコン", "自宅のパソコン", "職場のPC")
ITEMS = (
    "ゲーム機", "ブランドバッグ", "スニーカー", "トレーディングカード", "腕時計", "コンサートのチケット",
    "家電", "カメラ", "タブレット", "スマートフォン",
)  # fmt: skip
BRANDS = (
    "大手通販サイト", "携帯電話会社", "クレジットカード会社", "宅配業者", "銀行", "動画配信サービス",
    "電力会社", "ガス会社", "国税庁", "大手ECモール",
)  # fmt: skip
SERVICES = (
    "通販サイト",
    "メールサービス",
    "SNS",
    "動画配信サービス",
    "クラウドストレージ",
    "ゲーム",
)
SNSES = (
    "SNS",
    "匿名掲示板",
    "動画サイトのコメント欄",
    "口コミサイト",
    "ブログのコメント欄",
    "SNSの投稿",
)
CHILDREN = (
    "中学生の娘",
    "高校生の息子",
    "小学生の子ども",
    "中学2年の長女",
    "高校1年の次女",
    "息子",
)
SUBJECTS_PERSON = ("相談者", "私", "届出人", "被害者")
SUBJECTS_COMPANY = ("当社", "同社", "相談企業")
SUBJECTS_ORG = ("当法人", "同団体", "当院")
RANSOM_EXTS = (".lockbit", ".locked", ".encrypted", ".crypt", ".enc")
SUBDOMAINS = (
    "secure-login", "account-verify", "delivery-check", "support-center", "my-page", "shop",
    "bbs", "flea", "invest-club", "card-info", "mail", "cdn", "auth", "info", "news",
)  # fmt: skip
BASE_DOMAINS = ("example.jp", "example.com", "example", "test")
SUBDOMAINS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "phishing": ("secure-login", "account-verify", "delivery-check", "my-page", "auth", "info"),
    "online_banking": ("secure-login", "ib-auth", "bank-verify", "my-page"),
    "fraud": ("shop", "invest-club", "fx-profit", "store", "info"),
    "auction": ("flea", "auction", "shop"),
    "defamation": ("bbs", "news", "blog", "sns"),
    "support_scam": ("support-center", "security-alert", "pc-warning"),
    "illegal_harmful_site": ("bbs", "uploader", "shop", "job-board"),
    "child_victim": ("sns", "chat", "game"),
    "ransomware": ("leak-blog", "mail", "recovery"),
}
URL_PATHS = ("/login", "/verify", "/item/m{}", "/thread/{}", "/", "/index.php?id={}", "/p/{}")
MAIL_LOCALS = ("info", "support", "no-reply", "security", "campaign", "admin", "notice")
MAIL_LOCALS_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    "ransomware": ("decrypt", "recovery", "support"),
    "spam_mail": ("info", "campaign", "present", "no-reply"),
}
SUBJECT_LINES = (
    "【重要】アカウント確認のお願い", "ご当選のお知らせ", "未払い料金について", "お荷物のお届けについて",
    "特別なご案内", "【最終通知】", "請求書送付のご案内",
)  # fmt: skip
PARTNERS = (
    "サンプルセキュリティ株式会社",
    "共同対処協定締結事業者",
    "テスト通信株式会社",
    "金融機関",
)


# --------------------------------------------------------------------------------------------
# Scenes: (victim group, template). Group "p" person, "o" company/organisation, "*" any.

Scene = tuple[str, str]

SCENES: dict[str, tuple[Scene, ...]] = {
    "fraud": (
        ("p", "{when}、{subj}はSNSの広告で見つけた投資グループに誘われ、「必ず儲かる」と言われて"
              "指定された口座に{amount}を振り込んだ。出金しようとすると手数料を求められ、"
              "出金できない状態になっている。"),
        ("p", "{when}、{app}で知り合った相手から暗号資産への投資を勧められ、{amount}分の仮想通貨を"
              "送った。相手とはその後連絡が取れない。"),
        ("*", "{when}、通販サイト（{durl}）で{item}を注文し、{amount}を前払いで振り込んだが、"
              "商品が届かない。サイトに書かれた電話番号はつながらない。"),
        ("p", "{when}、スマートフォンで動画を見ていたところ突然「登録完了」と表示され、"
              "利用料金{amount}を請求された。期限までに払わないと法的措置をとると書かれている。"),
        ("p", "{when}、副業を紹介するサイトに登録したところ、マニュアル代として{amount}を支払わされた。"
              "説明と違って全く稼げず、返金を求めても応じない。"),
        ("p", "{when}、{mobile}から「未納料金がある」と電話があり、{amount}を支払うよう言われた。"),
        ("p", "{when}、{app}で知り合った外国人を名乗る人物と親しくなり、「結婚資金のため」と"
              "言われて{amount}を送金した。"),
        ("o", "{when}、取引先を名乗るメールで振込先口座の変更を連絡され、{amount}を新しい口座に"
              "振り込んだが、取引先はそのような連絡をしていなかった。"),
        ("p", "健康食品の「初回無料」の広告から注文したところ、定期購入になっており解約できない。"),
    ),
    "defamation": (
        ("p", "{when}ごろから、{sns}に{subj}の実名と勤務先を挙げて根拠のない悪口が書き込まれている。"
              "投稿のURLは{url}。"),
        ("o", "{when}、口コミサイトに{subj}について事実と異なる低評価のレビューが繰り返し投稿され、"
              "客足が減っている。"),
        ("p", "匿名アカウントが{subj}の顔写真を無断で掲載し、中傷するコメントを付けて拡散している。"),
        ("*", "{sns}に「{vname}は詐欺師だ」など事実無根の書き込みがされた。削除依頼をしたが"
              "消されない。発信者情報開示請求の方法を知りたい。"),
        ("p", "動画配信の際、コメント欄で繰り返し侮辱され、「家を特定した」とも書かれて不安である。"),
        ("p", "{when}、元同僚と思われる人物が{sns}で{subj}の個人情報を晒し、デマを流している。"),
        ("o", "{sns}で{subj}の商品に異物が混入していたというデマが拡散され、問い合わせが殺到している。"),
    ),
    "unauthorized_access": (
        ("p", "{when}、{svc}から「新しい端末からのログインがありました」という通知が届いた。"
              "身に覚えがなく確認したところ、パスワードを変えられていて入れなくなった。"),
        ("p", "{when}、{sns}のアカウントが乗っ取られ、知人に不審なメッセージが送られていた。"),
        ("o", "{when}、{dept}のサーバに海外のIPアドレス（{ip}）から多数のログイン試行があり、"
              "一部のアカウントで不正ログインが成功していた。アクセスログは保存している。"),
        ("o", "{when}、社員のパソコンがEmotetに感染した疑いがある。取引先から{subj}を装った"
              "不審なメールが届いていると連絡があった。"),
        ("o", "{when}、{subj}のWebサイトが改ざんされ、閲覧すると不審なサイト（{durl}）へ"
              "転送されるようになっていた。"),
        ("p", "通販サイトのアカウントに第三者がログインし、登録していたポイントを勝手に使われた。"),
        ("o", "VPN機器の脆弱性を突かれて侵入された形跡があり、管理者権限のアカウントが作成されていた。"),
        ("o", "{when}、{dept}の端末から{ip}へ定期的に不審な通信が発生していると委託先から指摘を受けた。"),
        ("p", "メールアカウントに海外からアクセスされ、送信済みフォルダに覚えのないメールが残っていた。"),
    ),
    "spam_mail": (
        ("p", "{when}ごろから、身に覚えのないアダルトサイトの宣伝メールが毎日20通以上届く。"
              "受信拒否をしてもアドレスを変えて送られてくる。"),
        ("p", "{when}、「ご当選のお知らせ」という件名のメールが{mail}から届いた。賞金を受け取るには"
              "手続きが必要と書かれているが、応募した覚えはない。"),
        ("p", "携帯電話に迷惑SMSが何通も届き困っている。送信元は{sender}など毎回違う。"),
        ("o", "{when}、{subj}の代表アドレス宛てに、取引先を装った添付ファイル付きのメールが大量に届いた。"
              "添付ファイルは開いていない。"),
        ("*", "配信停止の手続きをしたのに、広告メールが止まらない。特定電子メール法違反ではないか。"),
        ("p", "知らないアドレス（{mail}）から出会い系サイトへ誘うメールが繰り返し届いている。"),
    ),
    "illegal_harmful_site": (
        ("*", "{when}、{sns}で「高額バイト」「即日現金」という投稿を見つけた。闇バイトの勧誘と"
              "思われる。URLは{durl}。"),
        ("*", "規制薬物（大麻）の販売をうたうサイト（{durl}）を発見した。"),
        ("*", "インターネット上で銀行口座の買取をうたう書き込みを見つけた。「口座を売ってくれたら"
              "1口座{amount}」などと書かれている。"),
        ("*", "わいせつな画像が閲覧制限なく公開されているサイト（{durl}）がある。"),
        ("*", "{sns}に拳銃の製造方法を解説する書き込みがあった。"),
        ("*", "自殺の方法を紹介し、一緒に死のうと誘う書き込みがある掲示板を見つけた。"),
        ("*", "海賊版の漫画を無断で公開しているサイト（{durl}）がある。"),
        ("*", "携帯電話を買い取るとして、契約した端末を送るよう勧誘する書き込みがある（{durl}）。"),
    ),
    "other": (
        ("p", "元交際相手から{sns}でつきまといを受けており、位置情報を把握されているようで怖い。"),
        ("p", "交際中に撮影した私的な画像を、ネットに公開すると元交際相手に言われている。"),
        ("p", "オンラインゲームで知り合った相手にアイテムの交換を持ちかけられ、アイテムだけ"
              "取られてしまった。"),
        ("p", "スマートフォンの使い方がよく分からず、ウイルスが心配なので話を聞いてほしい。"),
        ("p", "自分の写真が無断で使われ、別人のプロフィールとして使われている。"),
        ("*", "ネット上に{place}の爆破予告の書き込みを見つけたので情報提供する。"),
        ("*", "著作権を侵害していると書かれたメールが届き、示談金を求められている。"),
        ("p", "子どもに持たせるスマートフォンのフィルタリングの設定方法を知りたい。"),
        ("p", "ネットで知り合った人にお金を貸したが返してもらえない。"),
        ("o", "{subj}の商品の偽ブランド品がネットで売られている。"),
    ),
    "auction": (
        ("p", "{when}、フリマアプリで{item}を購入し{amount}を支払ったが、出品者から発送されない。"
              "取引メッセージにも返信がない。"),
        ("p", "ネットオークションで{item}を落札し、出品者から指定された{bank}に{amount}を"
              "振り込んだが、商品が届かない。"),
        ("p", "フリマアプリで購入した{item}が届いたが、中身は空箱だった。出品者は評価を付けるよう"
              "催促してくる。"),
        ("p", "出品した{item}について購入者から「届いていない」と言われ返金を求められているが、"
              "追跡では配達済みになっている。"),
        ("p", "出品者から「手数料がかかるので直接取引しよう」と言われ、{amount}を振り込んだ後に"
              "連絡が取れなくなった。"),
        ("*", "オークションで買った{item}が偽物で、返品を求めたが応じてもらえない。"),
    ),
    "credit_card": (
        ("p", "{when}、カード会社から利用確認の電話があり、明細を確認したところ身に覚えのない"
              "海外サイトでの利用が{count}件、合計{amount}あった。"),
        ("p", "クレジットカードの利用通知メールが届き、身に覚えのない{amount}の決済がされていた。"
              "すぐにカードを止めて再発行を依頼した。"),
        ("p", "{when}、通販サイトで買い物をした後から、カードの不正利用が続いている。"
              "サイトからカード情報が漏れた可能性がある。"),
        ("p", "利用明細に毎月少額の請求があり、調べると契約した覚えのない有料サービスの料金だった。"),
        ("p", "偽サイトにカード番号とセキュリティコードを入力してしまい、その後{amount}を"
              "不正に使われた。"),
        ("o", "{subj}が運営するネットショップで、他人のカードを使ったとみられる注文が{count}件あった。"),
    ),
    "online_banking": (
        ("p", "{when}、インターネットバンキングの口座から身に覚えのない振込が{count}回、"
              "合計{amount}行われていた。振込先は{bank}。"),
        ("p", "{when}、銀行を名乗るSMSが届き、リンク先でログインIDとパスワード、ワンタイムパスワードを"
              "入力してしまった。その直後に{amount}が不正送金された。"),
        ("o", "{when}、{subj}の法人口座からネットバンキングで{amount}が送金された。経理担当は"
              "送金していない。"),
        ("p", "スマホ決済アプリに登録した銀行口座から勝手にチャージされ、{amount}が引き出されていた。"),
        ("p", "ネットバンキングにログインできなくなり、残高を確認すると{amount}減っていた。"),
        ("p", "{when}、銀行のメールにあったリンクから暗証番号を入力したところ、翌日、預金{amount}が"
              "他の口座へ移されていた。"),
    ),
    "ransomware": (
        ("o", "{when}、{dept}のファイルサーバのファイルが暗号化され、拡張子が「{ext}」に変わっていた。"
              "各フォルダに「README.txt」という脅迫文が置かれていた。"),
        ("o", "{when}朝、出勤した職員がパソコンを起動するとファイルが開けない状態だった。画面には"
              "ビットコインで身代金を支払うよう要求するメッセージが表示された。"),
        ("o", "電子カルテのシステムが停止し、サーバのデータが暗号化された。外来診療を一時停止している。"),
        ("o", "犯行グループを名乗る者から、盗んだ顧客情報をリークサイトで公開すると脅すメールが届いた。"
              "データの暗号化はされていない。"),
        ("o", "VPN機器から侵入され、リモートデスクトップで複数の端末に被害が広がった。"
              "バックアップも暗号化されていた。"),
        ("o", "{when}、基幹システムのサーバが停止し、業務停止に追い込まれた。ファイル名の末尾が"
              "{ext}になっている。"),
    ),
    "phishing": (
        ("p", "{when}、宅配業者を名乗るSMS（送信元{sender}）で「不在のため持ち帰りました」と届き、"
              "リンク先（{durl}）で再配達の手続きをしようとして個人情報を入力してしまった。"),
        ("p", "{when}、{brand}を装ったメールが届き、「アカウントが停止されました」と書かれていた。"
              "リンク先の偽サイトでIDとパスワードを入力してしまった。"),
        ("p", "電力会社を名乗り「料金が未払いで電気が止まる」というSMSが届いた。URLは{durl}。"
              "開いてはいない。"),
        ("*", "{brand}のログインページそっくりのサイト（{durl}）を見つけた。フィッシングサイトだと"
              "思うので通報する。"),
        ("p", "税金の還付金があるというメールのリンクから、カード情報を入力してしまった。"),
        ("o", "{subj}を名乗る偽のメールが顧客に送られているとの問い合わせが相次いでいる。"
              "誘導先は{durl}。"),
    ),
    "support_scam": (
        ("p", "{when}、{pc}でインターネットを見ていると突然大音量の警告音が鳴り、「ウイルスに感染して"
              "います」という警告画面が出た。表示された電話番号（{tollfree}）に電話すると、"
              "片言の日本語を話す男に遠隔操作ソフトを入れるよう指示された。"),
        ("p", "警告画面の指示に従ってサポートセンターに電話したところ、修理代としてコンビニで"
              "ギフトカード{amount}分を買い、番号を伝えるよう言われて伝えてしまった。"),
        ("p", "マイクロソフトのサポートを名乗る者に{pc}の遠隔操作を許してしまい、ネットバンキングの"
              "画面を開くよう言われた。"),
        ("p", "画面が消えず、ブラウザも閉じられない。画面の番号に電話して、セキュリティソフトの料金"
              "として{amount}を電子マネーで支払った。"),
        ("o", "{when}、職員の{pc}に警告画面が表示され、職員が画面の番号（{tollfree}）に電話して"
              "しまった。"),
    ),
    "child_victim": (
        ("p", "{when}、{child}がSNSで知り合った相手から裸の画像を送るよう求められ、送ってしまった。"
              "その後「言うことを聞かないと拡散する」と脅されている。"),
        ("p", "{child}がオンラインゲームで知り合った大人から「会おう」と誘われている。"),
        ("p", "{child}の自画撮り画像がネット上に公開されていると学校から連絡があった。"),
        ("p", "{child}がスマホゲームで高額な課金をしていた。合計{amount}。"),
        ("p", "家出した{child}がSNSで泊めてくれる人を探していたと分かった。"),
        ("*", "{sns}で未成年とみられる利用者に性的な画像を要求する投稿を見つけた（{url}）。"),
    ),
    "provider_trouble": (
        ("p", "{when}、光回線の乗り換えを勧める電話勧誘を受け、よく分からないまま契約してしまった。"
              "解約しようとすると高額な違約金と工事費を請求された。"),
        ("p", "プロバイダを解約したはずなのに、月額料金の請求が続いている。"),
        ("p", "訪問販売で格安SIMとWi-Fiルーターのセット契約を勧められ、不要なオプションが付けられて"
              "いた。"),
        ("*", "通信速度が契約内容より極端に遅く、プロバイダに問い合わせても改善しない。"),
        ("*", "契約した覚えがないのに、代理店から請求書が届いた。二重契約になっているようだ。"),
        ("o", "{subj}に回線業者を名乗る電話があり、料金が安くなると言われて契約を変えられていた。"),
    ),
}  # fmt: skip

DETAILS: dict[str, tuple[str, ...]] = {
    "fraud": (
        "振込先は{bank}。", "相手のアカウントは既に削除されている。",
        "家族に話して詐欺ではないかと気づいた。", "サイトの会社概要の住所は存在しなかった。",
        "やり取りはすべてメッセージアプリで行った。", "送金先のアドレスは{btc}。",
    ),
    "defamation": (
        "スクリーンショットは保存してある。", "投稿者に心当たりはある。",
        "運営会社に削除を求めたが返信がない。", "精神的に参っており、仕事にも影響が出ている。",
        "投稿のURLは{url}。",
    ),
    "unauthorized_access": (
        "ログイン履歴には{ip}からのアクセスが残っていた。", "二段階認証は設定していなかった。",
        "同じパスワードを複数のサービスで使い回していた。", "不審なファイルのハッシュ値は{sha}。",
        "情報漏えいの有無を調査している。", "通知メールの送信元は{mail}だった。",
    ),
    "spam_mail": (
        "ヘッダには「Received: from {host} ([{ip}])」とあった。", "リンクはクリックしていない。",
        "件名は「{subjectline}」。", "迷惑メールフォルダに振り分ける設定にしたが効果がない。",
        "差出人は{mail}。",
    ),
    "illegal_harmful_site": (
        "インターネット・ホットラインセンターからの通報による。", "サイトのサーバは海外にあるとみられる。",
        "スクリーンショットを保存した。", "同様の投稿が複数のアカウントから繰り返されている。",
    ),
    "other": (
        "特に金銭的な被害はない。", "今後どうすればよいか助言がほしい。", "念のため記録に残してほしい。",
        "相手の連絡先は{mobile}。",
    ),
    "auction": (
        "出品ページのURLは{url}。", "出品者のアカウントは既に退会していた。",
        "運営事務局にも連絡している。", "同じ出品者から被害に遭った人が他にもいるようだ。",
    ),
    "credit_card": (
        "カード末尾は{last4}。", "カード会社は補償の手続きに警察への届出の受理番号が必要だと言っている。",
        "カードは手元にあり、紛失はしていない。",
    ),
    "online_banking": (
        "銀行には連絡し、口座は凍結してもらった。", "取引履歴を印刷して持参した。",
        "ログイン元のIPアドレスは{ip}と銀行から聞いた。", "振込先口座の名義はカタカナの個人名だった。",
        "SMSの送信元は{sender}。",
    ),
    "ransomware": (
        "身代金として{btcamount}BTCを{btc}に送るよう要求されている。", "連絡先として{mail}が書かれていた。",
        "バックアップから一部復旧できた。", "支払いには応じていない。",
        "感染経路はVPN機器と考えられ、接続元として{ip}の記録がある。", "不審なファイルのSHA-256は{sha}。",
    ),
    "phishing": (
        "メールの差出人は{mail}だった。", "同じ内容のSMSが家族にも届いている。",
        "入力後にパスワードは変更した。", "サイトのURLは{durl}で、本物とは一文字違いだった。",
    ),
    "support_scam": (
        "相手は技術者を名乗っていた。", "パソコンはネットワークから切り離して持参した。",
        "遠隔操作ソフトはまだ入ったままになっている。", "画面に表示されたURLは{durl}。",
    ),
    "child_victim": (
        "相手のアカウントは{url}。", "保護者として今後の対応を相談したい。", "学校にも相談している。",
        "やり取りのスクリーンショットを持参した。",
    ),
    "provider_trouble": (
        "契約番号は{contract}。", "クーリングオフができるか知りたい。", "消費生活センターにも相談した。",
        "高齢の母が契約した。",
    ),
}  # fmt: skip

# Categories whose detail sentences easily appear in a report of another category.
CONFUSABLE: dict[str, tuple[str, ...]] = {
    "fraud": ("auction", "online_banking", "spam_mail"),
    "defamation": ("other",),
    "unauthorized_access": ("phishing", "ransomware", "spam_mail"),
    "spam_mail": ("phishing", "fraud"),
    "illegal_harmful_site": ("other", "child_victim"),
    "other": ("defamation", "fraud", "child_victim"),
    "auction": ("fraud",),
    "credit_card": ("phishing", "fraud"),
    "online_banking": ("phishing", "unauthorized_access"),
    "ransomware": ("unauthorized_access",),
    "phishing": ("unauthorized_access", "online_banking", "credit_card"),
    "support_scam": ("unauthorized_access", "fraud"),
    "child_victim": ("other", "defamation"),
    "provider_trouble": ("fraud", "other"),
}

VAGUE = (
    "{when}、インターネットのことで困っていることがある。詳しくは後日資料を持って説明する。",
    "ネット関係のトラブルについて相談したい。内容は電話で一部説明済み。",
    "被害に遭ったかもしれないので話を聞いてほしい。",
    "{when}に起きた件で相談。本人が動揺しており内容の詳細は未聴取。",
)

OPENERS = {
    "visit": ("", "【相談要旨】", "来署した相談者からの聴取内容：", "相談者によると、"),
    "phone": ("", "電話にて相談あり。", "【電話相談】", "相談者によると、"),
    "web": ("", "お問い合わせ内容：", "（Web相談フォームより）"),
    "email": ("", "メールにて受付。", "件名：ご相談　本文："),
    "ihc": ("IHCからの通報。", "インターネット・ホットラインセンターから通報あり。"),
    "patrol": ("サイバーパトロールにより認知。", "サイバー防犯ボランティアからの報告。"),
    "partner": ("{partner}からの情報提供。", "部外機関（{partner}）より連絡。"),
}
CLOSERS = (
    "", "", "被害届を提出したい。", "今後の対応について相談したい。", "どうすればよいか教えてほしい。",
    "警察で捜査してほしい。", "記録に残してほしい。", "以上。",
)  # fmt: skip

# (weight) per category, roughly Miyagi's 2025 counts plus guesses for the additions.
CATEGORY_WEIGHTS: dict[str, int] = {
    "fraud": 14,
    "defamation": 6,
    "unauthorized_access": 13,
    "spam_mail": 8,
    "illegal_harmful_site": 4,
    "other": 9,
    "auction": 5,
    "credit_card": 6,
    "online_banking": 5,
    "ransomware": 3,
    "phishing": 12,
    "support_scam": 6,
    "child_victim": 3,
    "provider_trouble": 5,
}
# victim kind weights (person, company, organisation)
VICTIM_WEIGHTS: dict[str, tuple[int, int, int]] = {
    "unauthorized_access": (5, 4, 2),
    "ransomware": (0, 3, 1),
    "defamation": (8, 2, 1),
    "fraud": (9, 1, 0),
    "spam_mail": (8, 2, 0),
    "credit_card": (9, 1, 0),
    "online_banking": (8, 2, 0),
    "phishing": (9, 1, 0),
    "support_scam": (9, 1, 1),
    "illegal_harmful_site": (1, 0, 0),
    "other": (9, 1, 0),
    "auction": (1, 0, 0),
    "child_victim": (1, 0, 0),
    "provider_trouble": (9, 1, 0),
}
# damage ranges in yen (low, high) for categories that have money at stake
DAMAGE_RANGES: dict[str, tuple[int, int]] = {
    "fraud": (10_000, 8_000_000),
    "auction": (3_000, 300_000),
    "credit_card": (5_000, 800_000),
    "online_banking": (50_000, 5_000_000),
    "support_scam": (30_000, 600_000),
    "illegal_harmful_site": (10_000, 50_000),
    "child_victim": (10_000, 300_000),
    "ransomware": (1_000_000, 50_000_000),
}
# Channel weights per category group.
CHANNEL_WEIGHTS_DEFAULT = (30, 30, 20, 10, 0, 0, 2)
CHANNEL_WEIGHTS: dict[str, tuple[int, ...]] = {
    "illegal_harmful_site": (3, 3, 10, 4, 40, 35, 5),
    "child_victim": (40, 30, 10, 5, 3, 10, 2),
    "phishing": (20, 20, 25, 15, 5, 5, 10),
    "ransomware": (40, 40, 5, 5, 0, 0, 10),
    "unauthorized_access": (30, 30, 20, 10, 0, 2, 8),
}
_CHANNEL_CUM_DEFAULT = tuple(accumulate(CHANNEL_WEIGHTS_DEFAULT))
_CHANNEL_CUM = {code: tuple(accumulate(w)) for code, w in CHANNEL_WEIGHTS.items()}
ITEM_KEYS = ("durl", "url", "sender", "tollfree", "mobile", "mail", "header", "bank", "ip", "btc",
             "sha", "last4", "contract", "ext")  # fmt: skip
OBSERVABLE_OF_KEY = {
    "durl": "url", "url": "url", "sender": "phone", "tollfree": "phone", "mobile": "phone",
    "mail": "email", "header": "ipv4", "bank": "bank_account", "ip": "ipv4", "btc": "btc",
    "sha": "sha256", "host": "domain",
}  # fmt: skip
# Items a report of this category usually carries even when the narrative does not mention them.
FORCED_ITEMS: dict[str, tuple[tuple[str, float], ...]] = {
    "phishing": (("durl", 0.7), ("sender", 0.3)),
    "online_banking": (("bank", 0.6),),
    "ransomware": (("ext", 0.5), ("sha", 0.3), ("btc", 0.3)),
    "unauthorized_access": (("ip", 0.4),),
    "spam_mail": (("mail", 0.5), ("header", 0.3)),
    "illegal_harmful_site": (("durl", 0.8),),
    "support_scam": (("tollfree", 0.6),),
    "auction": (("url", 0.5),),
    "defamation": (("url", 0.6),),
    "fraud": (("bank", 0.3), ("durl", 0.2)),
}

_FULLWIDTH_DIGITS = tuple(zip("0123456789", "０１２３４５６７８９", strict=True))


def _fullwidth_digits(text: str) -> str:
    # Ten str.replace calls are ~10x faster than str.translate on non-Latin-1 text.
    for ascii_digit, wide_digit in _FULLWIDTH_DIGITS:
        text = text.replace(ascii_digit, wide_digit)
    return text


_CATEGORY_CODES = tuple(CATEGORY_WEIGHTS)
_CATEGORY_CUM = tuple(accumulate(CATEGORY_WEIGHTS.values()))
_CATEGORY_DEFS = {c.code: c for c in SEED_CATEGORIES}
_SCENES_BY_GROUP: dict[tuple[str, str], tuple[str, ...]] = {
    (code, group): tuple(t for g, t in scenes if g in (group, "*"))
    for code, scenes in SCENES.items()
    for group in ("p", "o")
}


class _Slots(dict[str, str]):
    """Slot values made on first use, so a value repeats consistently within one report."""

    __slots__ = ("gen",)

    def __init__(self, gen: _Generator) -> None:
        super().__init__()
        self.gen = gen

    def __missing__(self, key: str) -> str:
        value = self.gen.makers[key]()
        self[key] = value
        return value


class _Generator:
    def __init__(self, seed: int, start: datetime) -> None:
        self.rng = random.Random(seed)
        rand = self.rand = self.rng.random

        def pick[T](seq: Sequence[T]) -> T:
            # random.choice costs twice as much (rejection sampling); a float index is enough here
            return seq[int(rand() * len(seq))]

        self.pick = pick
        self.start = start
        # Per-report state, reset by new_report.
        self.category = "other"
        self.victim_kind = "person"
        self.victim_name = ""
        self.damage: int | None = None
        self.local_time = start
        self.family = "山田"
        self.host = ""
        self.needs_cyber_cache: dict[tuple[str, frozenset[str], str, bool], bool] = {}
        r = self.rng
        self.makers: dict[str, Callable[[], str]] = {
            "when": self._when,
            "subj": self._subj,
            "vname": lambda: self.victim_name,
            "url": lambda: self._url(fanged=True),
            "durl": lambda: self._url(fanged=rand() < 0.15),
            "host": self._host,
            "mail": self._mail,
            "ip": lambda: pick(DOC_IPV4_PREFIXES) + str(self._num(1, 254)),
            "sha": lambda: f"{r.getrandbits(256):064x}",
            "btc": lambda: pick(BTC_TEST_ADDRESSES),
            "btcamount": lambda: pick(("0.5", "1", "2.5", "5", "10")),
            "amount": self._amount,
            "bank": self._bank,
            "mobile": lambda: self._phone(("090", "080", "070")),
            "sender": lambda: self._phone(("090", "080", "070")),
            "tollfree": lambda: self._phone(("0120", "0120", "050")),
            "header": lambda: (f"Received: from {self._host()} "
                               f"({pick(DOC_IPV4_PREFIXES)}{self._num(1, 254)})"),
            "last4": lambda: f"{self._num(0, 9999):04d}",
            "contract": lambda: f"KY-{self._num(0, 999999):06d}",
            "ext": lambda: pick(RANSOM_EXTS),
            "count": lambda: str(self._num(2, 15)),
            "item": lambda: pick(ITEMS),
            "brand": lambda: pick(BRANDS),
            "svc": lambda: pick(SERVICES),
            "sns": lambda: pick(SNSES),
            "app": lambda: pick(("マッチングアプリ", "SNS", "メッセージアプリ", "出会い系アプリ")),
            "dept": lambda: pick(DEPTS),
            "pc": lambda: pick(PCS),
            "child": lambda: pick(CHILDREN),
            "place": lambda: pick(("市役所", "駅", "小学校", "商業施設")),
            "subjectline": lambda: pick(SUBJECT_LINES),
            "partner": lambda: pick(PARTNERS),
        }  # fmt: skip

    # -- slot makers ---------------------------------------------------------------------------
    def _num(self, low: int, high: int) -> int:
        """Uniform integer in [low, high] (cheaper than random.randint)."""
        return low + int(self.rand() * (high - low + 1))

    def _when(self) -> str:
        t = self.local_time
        x = self.rand()
        if x < 0.3:
            return f"{t.month}月{t.day}日"
        if x < 0.55:
            ampm, hour = ("午前", t.hour) if t.hour < 12 else ("午後", t.hour - 12)
            return f"{t.month}月{t.day}日{ampm}{hour}時ごろ"
        if x < 0.7:
            return f"令和{t.year - 2018}年{t.month}月{t.day}日"
        if x < 0.85:
            return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}頃"
        return self.pick(("昨日", "先週", "数日前", "先月", "今朝", "本日"))

    def _subj(self) -> str:
        if self.victim_kind == "person":
            return self.pick(SUBJECTS_PERSON)
        if self.victim_kind == "company":
            return self.pick(SUBJECTS_COMPANY)
        return self.pick(SUBJECTS_ORG)

    def _host(self) -> str:
        if not self.host:
            pick = self.pick
            base = pick(BASE_DOMAINS)
            sub = pick(SUBDOMAINS_BY_CATEGORY.get(self.category, SUBDOMAINS))
            if base in ("example", "test"):
                self.host = f"{sub}-{self._num(1, 99)}.{base}"
            else:
                self.host = f"{sub}.{base}"
        return self.host

    def _url(self, *, fanged: bool) -> str:
        path = self.pick(URL_PATHS)
        url = "https://" + self._host() + path.format(self._num(10000, 99999))
        if fanged:
            return url
        return url.replace("https://", "hxxps://").replace(".", "[.]")

    def _mail(self) -> str:
        pick = self.pick
        local = pick(MAIL_LOCALS_BY_CATEGORY.get(self.category, MAIL_LOCALS))
        host = self._host() if self.rand() < 0.5 else "mail." + pick(BASE_DOMAINS)
        return f"{local}@{host}"

    def _phone(self, prefixes: tuple[str, ...]) -> str:
        prefix = self.pick(prefixes)
        if prefix == "0120":
            return f"0120-000-{self._num(0, 999):03d}"
        return f"{prefix}-0000-{self._num(0, 9999):04d}"

    def _amount(self) -> str:
        rand = self.rand
        if self.damage is None:
            low, high = DAMAGE_RANGES.get(self.category, (10_000, 500_000))
            # log-uniform, rounded to the thousand
            value = low * (high / low) ** rand()
            self.damage = max(1000, int(value) // 1000 * 1000)
        d = self.damage
        style = rand()
        if style < 0.35:
            return f"{d:,}円"
        if style < 0.55:
            return f"¥{d:,}"
        if style < 0.75 and d % 10_000 == 0:
            return f"{d // 10_000}万円"
        if style < 0.85:
            return f"約{max(1, round(d / 10_000))}万円"
        return f"{d}円"

    def _bank(self) -> str:
        pick = self.pick
        holder = FAMILY_KANA[pick(FAMILY_NAMES)] + " " + pick(("タロウ", "ハナコ", "ケンジ"))
        return (
            f"{pick(BANKS)} {pick(BRANCHES)} 普通 {self._num(1_000_000, 9_999_999)} 名義 {holder}"
        )

    # -- one report ----------------------------------------------------------------------------
    def report(self) -> ReportSample:
        pick, rand, num = self.pick, self.rand, self._num
        category = _CATEGORY_CODES[bisect_right(_CATEGORY_CUM, rand() * _CATEGORY_CUM[-1])]
        self.category = category
        self.damage = None
        self.host = ""
        occurred = self.start + timedelta(seconds=num(0, SPAN_SECONDS - 1))
        self.local_time = occurred + JST

        pw, cw, ow = VICTIM_WEIGHTS[category]
        v = rand() * (pw + cw + ow)
        victim_kind = "person" if v < pw else "company" if v < pw + cw else "organisation"
        self.victim_kind = victim_kind
        family, given = pick(FAMILY_NAMES), pick(GIVEN_NAMES)
        if victim_kind == "person":
            victim_name, size, industry = family + given, "", ""
        elif victim_kind == "company":
            victim_name = pick(("株式会社", "")) + pick(COMPANY_STEMS) + pick(COMPANY_KINDS)
            if not victim_name.startswith("株式会社"):
                victim_name += pick(("株式会社", "有限会社"))
            size = "large" if rand() < 0.3 else "sme"
            industry = pick(COMPANY_INDUSTRIES)
        else:
            victim_name, size, industry = pick(ORG_NAMES), "organisation", pick(ORG_INDUSTRIES)
        self.victim_name = victim_name

        cum = _CHANNEL_CUM.get(category, _CHANNEL_CUM_DEFAULT)
        channel = CHANNELS[bisect_right(cum, rand() * cum[-1])]
        if channel in ("ihc", "patrol", "partner"):
            kind = "information"
            reporter_name = pick(FAMILY_NAMES) + pick(GIVEN_NAMES)
        else:
            kind = "report" if rand() < 0.3 else "consultation"
            reporter_name = (
                family + given if rand() < 0.7 else pick(FAMILY_NAMES) + pick(GIVEN_NAMES)
            )
        if rand() < 0.6:
            reporter_contact = self._phone(("03", "06", "022", "090", "080"))
        else:
            romaji = ROMAJI.get(reporter_name[:2], "user")
            reporter_contact = f"{romaji}{num(1, 99)}@{pick(('example.jp', 'example.com'))}"

        slots = _Slots(self)
        parts: list[str] = []
        opener = pick(OPENERS[channel])
        if opener:
            parts.append(opener.format_map(slots))
        if rand() < 0.03:
            parts.append(pick(VAGUE).format_map(slots))
        else:
            group = "p" if victim_kind == "person" else "o"
            scenes = _SCENES_BY_GROUP[(category, group)] or _SCENES_BY_GROUP[(category, "p")]
            parts.append(pick(scenes).format_map(slots))
            details = DETAILS[category]
            n_details = (0, 1, 1, 2)[int(rand() * 4)]
            if n_details == 1:
                parts.append(pick(details).format_map(slots))
            elif n_details == 2:
                i, j = self.rng.sample(range(len(details)), 2)
                parts.append(details[i].format_map(slots))
                parts.append(details[j].format_map(slots))
            if rand() < 0.2:
                other = pick(CONFUSABLE[category])
                parts.append(pick(DETAILS[other]).format_map(slots))
        closer = pick(CLOSERS)
        if closer:
            parts.append(closer)
        narrative = "".join(parts)
        if rand() < 0.25:
            narrative = _fullwidth_digits(narrative)
        if rand() < 0.08 and len(narrative) > 10:
            i = num(0, len(narrative) - 2)
            # A typo in Japanese text only: a typo in a URL or address would make it a real one.
            op = rand() if not (narrative[i].isascii() or narrative[i + 1].isascii()) else 9.0
            if op < 0.4:
                narrative = narrative[:i] + narrative[i + 1 :]
            elif op < 0.7:
                narrative = narrative[:i] + narrative[i] + narrative[i:]
            elif op < 1.0:
                narrative = narrative[:i] + narrative[i + 1] + narrative[i] + narrative[i + 2 :]

        for key, probability in FORCED_ITEMS.get(category, ()):
            if key not in slots and rand() < probability:
                slots[key]  # force the slot so it becomes an item
        items = tuple(slots[k] for k in ITEM_KEYS if k in slots)
        observables = frozenset(OBSERVABLE_OF_KEY[k] for k in slots if k in OBSERVABLE_OF_KEY)
        if any(k in slots for k in ("url", "durl", "mail", "header")):
            observables |= {"domain"}
        damage = self.damage
        if damage is None and category in DAMAGE_RANGES and rand() < 0.3:
            slots["amount"]  # damage known from the form, not the narrative
            damage = self.damage
        high_damage = damage is not None and damage >= HIGH_DAMAGE_YEN
        cache_key = (category, observables, victim_kind, high_damage)
        needs_cyber = self.needs_cyber_cache.get(cache_key)
        if needs_cyber is None:
            # The triage policy applied to the true category; cached (few distinct keys).
            probe = TriageInput("", observables, HIGH_DAMAGE_YEN if high_damage else 0, victim_kind)
            reasons = needs_cyber_reasons(_CATEGORY_DEFS[category], {category: 1.0}, probe)
            needs_cyber = self.needs_cyber_cache[cache_key] = bool(reasons)
        return ReportSample(
            channel=channel,
            kind=kind,
            reporter_name=reporter_name,
            reporter_contact=reporter_contact,
            victim_kind=victim_kind,
            victim_name=victim_name,
            victim_org_size=size,
            victim_industry=industry,
            narrative=narrative,
            items=items,
            damage_amount=damage,
            occurred_at=occurred,
            category=category,
            needs_cyber=needs_cyber,
        )


def generate_reports(
    n: int, *, seed: int = 0, start: datetime | None = None
) -> Iterator[ReportSample]:
    """Yield ``n`` fictional reports, deterministic for ``seed``; occurrences fall within the
    365 days from ``start`` (default 2025-01-01 UTC; a naive ``start`` is taken as UTC)."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if start is None:
        start = DEFAULT_START
    elif start.tzinfo is None:
        start = start.replace(tzinfo=UTC)
    gen = _Generator(seed, start.astimezone(UTC))
    for _ in range(n):
        yield gen.report()
