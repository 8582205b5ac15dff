"""The UI is Japanese first: every message has a Japanese translation and the catalogue
compiles, so no English leaks into a station officer's screen."""

import re
import subprocess
from pathlib import Path

import pytest

PO = Path(__file__).resolve().parents[2] / "src/hakusan/locale/ja/LC_MESSAGES/django.po"


def _entries(text: str) -> list[tuple[str, str, str]]:
    """(flags, msgid, msgstr) of each entry; multi-line strings joined."""
    entries = []
    for block in text.split("\n\n"):
        lines = block.strip().splitlines()
        flags = " ".join(line for line in lines if line.startswith("#,"))
        fields: dict[str, str] = {}
        current = None
        for line in lines:
            m = re.match(r'^(msgid|msgstr(?:\[0\])?|msgid_plural|msgctxt) "(.*)"$', line)
            if m:
                current = m.group(1).replace("[0]", "")
                fields[current] = m.group(2)
            elif line.startswith('"') and current:
                fields[current] += line[1:-1]
        if fields.get("msgid"):
            entries.append((flags, fields["msgid"], fields.get("msgstr", "")))
    return entries


def test_every_message_is_translated_to_japanese():
    entries = _entries(PO.read_text(encoding="utf-8"))
    assert len(entries) > 100
    missing = [msgid for _, msgid, msgstr in entries if not msgstr]
    fuzzy = [msgid for flags, msgid, _ in entries if "fuzzy" in flags]
    assert missing == [], f"untranslated: {missing[:10]}"
    assert fuzzy == [], f"fuzzy: {fuzzy[:10]}"


def test_placeholders_survive_translation():
    for _, msgid, msgstr in _entries(PO.read_text(encoding="utf-8")):
        assert sorted(re.findall(r"%\(\w+\)[sd]", msgid)) == sorted(
            re.findall(r"%\(\w+\)[sd]", msgstr)
        ), msgid


def test_catalogue_compiles():
    msgfmt = subprocess.run(
        ["msgfmt", "--check", "-o", "/dev/null", str(PO)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert msgfmt.returncode == 0, msgfmt.stderr


@pytest.mark.django_db
def test_pages_speak_japanese_by_default(client):
    page = client.get("/accounts/login/")
    assert "ログイン" in page.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Log in" in client.get("/accounts/login/").content.decode()
