import csv
import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from hakusan.blocklists import services
from hakusan.core import jobs
from hakusan.core.models import AuditEntry
from hakusan.indicators.models import IndicatorSource, Observable, Sighting

from .conftest import body, token_header

SHARED = Path(__file__).resolve().parents[5] / "shared" / "data" / "jpcert-phishurl"

MONTH = (
    "date,URL,description\n"
    "2024/11/05 09:15:00,https://login.bank-example.jp/signin,Example銀行\n"
    "2024/11/05 09:20:00,https://pay.example.jp/card?id=1,Example Card\n"
    "bad date,https://x.example.jp/,X\n"
)
LATER = (
    "date,URL,description\n"
    "2024/12/01 08:00:00,https://login.bank-example.jp/signin,Example銀行\n"
    "2024/12/01 08:00:00,https:///nohost,X\n"
)


@pytest.fixture
def jpcert_dir(tmp_path):
    (tmp_path / "202411.csv").write_text(MONTH, encoding="utf-8")
    (tmp_path / "202412.csv").write_text(LATER, encoding="utf-8")
    (tmp_path / "README.md").write_text("not a csv", encoding="utf-8")
    return tmp_path


def test_import_directory(db, jpcert_dir):
    rejects = io.StringIO()
    result = services.import_jpcert(
        None, services.jpcert_files(jpcert_dir), tlp="clear", rejects=rejects
    )
    assert (result.files, result.rows, result.rejected) == (2, 3, 2)
    assert result.observables == 2 and result.warninglisted == 0
    assert [(e["file"], e["line"]) for e in result.errors] == [("202411.csv", 4), ("202412.csv", 3)]
    lines = list(csv.reader(io.StringIO(rejects.getvalue())))
    assert lines[0][:3] == ["file", "line", "byte_offset"] and len(lines) == 3
    source = IndicatorSource.objects.get(name=services.JPCERT_SOURCE)
    assert "Attribution: JPCERT/CC phishurl-list" in source.description
    sighting = Sighting.objects.get(
        observable__value="https://login.bank-example.jp/signin", source_id=source.pk
    )
    assert sighting.source_kind == "feed" and sighting.tlp == "clear"
    assert sighting.confidence == services.JPCERT_CONFIDENCE
    assert sighting.tags == ["phishing", "brand:Example銀行"]
    assert sighting.count == 2  # seen in both months: one sighting
    assert sighting.seen_at.isoformat() == "2024-11-05T00:15:00+00:00"  # JST 09:15
    assert sighting.last_seen.isoformat() == "2024-11-30T23:00:00+00:00"
    entry = AuditEntry.objects.filter(action="blocklists.import_jpcert").get()
    assert entry.detail["imported"] == 3 and entry.detail["rejected"] == 2
    # imported again: the same sightings, counted again
    services.import_jpcert(None, services.jpcert_files(jpcert_dir), tlp="clear")
    assert Sighting.objects.filter(source_kind="feed", source_id=source.pk).count() == 2


def test_import_rejects_bad_arguments(db, jpcert_dir, tmp_path):
    with pytest.raises(ValidationError, match="no such file"):
        services.jpcert_files(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValidationError, match=r"no \.csv files"):
        services.jpcert_files(empty)
    with pytest.raises(ValidationError, match="unknown TLP"):
        services.import_jpcert(None, [jpcert_dir / "202411.csv"], tlp="purple")


def test_not_a_jpcert_file_is_one_reject(db, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text("type,value\nurl,https://a.example.jp/\n", encoding="utf-8")
    result = services.import_jpcert(None, [other])
    assert result.rows == 0 and result.rejected == 1
    assert "expected the header" in result.errors[0]["message"]


def test_command(db, jpcert_dir, tmp_path, monkeypatch, capsys):
    submit = jobs.submit
    monkeypatch.setattr(jobs, "submit", lambda *a, **kw: submit(*a, **kw, inline=True))
    rejects = tmp_path / "rejects.csv"
    call_command(
        "blocklists", "import-jpcert", str(jpcert_dir), "--tlp", "green", "--rejects", str(rejects)
    )
    out = capsys.readouterr().out
    assert "imported 3 row(s) from 2 file(s)" in out
    assert "on a warninglist (left out of every feed): 0" in out
    assert "202411.csv:4:" in out and "202412.csv:3:" in out
    assert rejects.read_text(encoding="utf-8-sig").count("\n") == 3
    assert Sighting.objects.filter(tlp="green", tags__icontains='"phishing"').count() == 2


def test_imported_rows_reach_the_feed(client, db, jpcert_dir, make_partner):
    services.import_jpcert(None, services.jpcert_files(jpcert_dir), tlp="clear")
    _partner, key = make_partner("Vendor", max_tlp="clear", receives=["phishing"])
    rows = list(
        csv.DictReader(io.StringIO(body(client.get("/feeds/phishing.csv", **token_header(key)))))
    )
    assert {(r["value"], r["brand"]) for r in rows} == {
        ("https://login.bank-example.jp/signin", "Example銀行"),
        ("https://pay.example.jp/card?id=1", "Example Card"),
    }
    text = body(client.get("/feeds/phishing.txt", **token_header(key)))
    assert "# source: JPCERT/CC phishurl-list" in text


def test_indicators_import_with_tags_reaches_the_feed(client, db, tmp_path, make_partner):
    """``hakusan indicators import --tag phishing`` and a tags column give the convention."""
    from hakusan.domain.indicators import parse_indicators
    from hakusan.indicators.services import create_source, import_indicators

    path = tmp_path / "vendor.csv"
    path.write_text(
        "type,value,confidence,tags\n"
        'url,https://fake-shop.example.jp/,70,"brand:Example Shop"\n'
        "domain,c2-panel.example.jp,90,c2\n",
        encoding="utf-8",
    )
    source = create_source(None, "Vendor list", default_tlp="green")
    with path.open("rb") as stream:
        rows = [r for _l, r in parse_indicators(stream, "csv", filename=path.name)]
    import_indicators(None, source, rows, tags=["phishing"])
    _partner, key = make_partner("Vendor")
    phishing = list(
        csv.DictReader(io.StringIO(body(client.get("/feeds/phishing.csv", **token_header(key)))))
    )
    assert {(r["value"], r["brand"]) for r in phishing} == {
        ("https://fake-shop.example.jp/", "Example Shop"),
        ("c2-panel.example.jp", ""),
    }
    c2 = body(client.get("/feeds/c2.txt", **token_header(key)))
    assert "c2-panel.example.jp" in c2.splitlines()


@pytest.mark.shared
def test_real_jpcert_months_served_as_csv(client, db, make_partner):
    files = [SHARED / "201901.csv", SHARED / "202412.csv"]
    result = services.import_jpcert(None, files)
    assert result.files == 2 and result.rows > 2900
    _partner, key = make_partner("AV vendor", max_tlp="clear", receives=["phishing"], kind="vendor")
    response = client.get("/feeds/phishing.csv", **token_header(key))
    assert response.status_code == 200
    rows = {r["value"]: r for r in csv.DictReader(io.StringIO(body(response)))}
    # 202412.csv: "2024/12/02 10:36:00,https://181.214.58.104,じぶん銀行" (no path: canonical "/")
    known = rows["https://181.214.58.104/"]
    assert known["brand"] == "じぶん銀行"
    assert known["first_seen"] == "2024-12-02T01:36:00Z"
    assert known["tlp"] == "clear"
    assert (
        rows["http://tookout00tove.xyz/TNC/tnc/newtncupdating/TNC_webmail.html"]["brand"]
        == "TOKAIネットワーククラブ"
    )
    # on a hosting provider's domain in the Tranco top sites: flagged, imported, not served
    flagged = Observable.objects.get(type="url", value="http://service-client-netflix.mixh.jp/")
    assert flagged.warninglist_hits
    assert flagged.value not in rows
    assert len(rows) == result.observables - result.warninglisted
