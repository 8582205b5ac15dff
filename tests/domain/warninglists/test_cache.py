"""The packaged index kept as a pickle in the data directory: loaded instead of rebuilt, keyed
so an upgrade rebuilds it, and a damaged file is rebuilt rather than trusted."""

from pathlib import Path

import pytest

from hakusan.domain.warninglists import index as index_module
from hakusan.domain.warninglists.index import WarninglistIndex


@pytest.fixture
def fresh_process(monkeypatch):
    """As if in a new process: no index built yet (the real one is restored afterwards)."""
    monkeypatch.setattr(index_module, "_PACKAGED", {})


def test_the_built_index_is_cached_and_reloaded(fresh_process, tmp_path: Path, monkeypatch):
    built = WarninglistIndex.packaged(cache_dir=tmp_path)
    files = list(tmp_path.glob("warninglists-*.pickle"))
    assert len(files) == 1

    monkeypatch.setattr(index_module, "_PACKAGED", {})
    monkeypatch.setattr(
        WarninglistIndex, "build", classmethod(lambda cls, lists: pytest.fail("rebuilt"))
    )
    loaded = WarninglistIndex.packaged(cache_dir=tmp_path)
    assert loaded is not built and loaded.version == built.version
    for kind, value in [("ipv4", "8.8.8.8"), ("domain", "google.com"), ("ipv4", "192.168.0.1")]:
        assert [h.slug for h in loaded.match(kind, value)] == [
            h.slug for h in built.match(kind, value)
        ]
        assert loaded.match(kind, value)


def test_a_damaged_cache_is_rebuilt_and_replaced(fresh_process, tmp_path: Path):
    path = index_module._cache_file(tmp_path)
    path.write_bytes(b"not a pickle")
    index = WarninglistIndex.packaged(cache_dir=tmp_path)
    assert index.match("ipv4", "8.8.8.8")
    assert path.read_bytes() != b"not a pickle"


def test_caches_of_other_versions_are_removed(fresh_process, tmp_path: Path):
    stale = tmp_path / "warninglists-0000000000000000.pickle"
    stale.write_bytes(b"old")
    WarninglistIndex.packaged(cache_dir=tmp_path)
    assert not stale.exists()
    assert index_module._cache_file(tmp_path).exists()
