import pytest

from hakusan.domain.registry import DuplicateRegistration, Registry, UnknownPlugin


def test_register_by_name_and_by_attribute():
    reg: Registry[object] = Registry("parser")

    @reg.register("csv")
    def parse_csv() -> None: ...

    @reg.register()
    class JsonParser:
        NAME = "json"

    assert list(reg) == ["csv", "json"]
    assert reg.get("json") is JsonParser
    assert "csv" in reg


def test_duplicates_and_unknown_names_are_errors():
    reg: Registry[int] = Registry("detector")
    reg.add("scan", 1)
    with pytest.raises(DuplicateRegistration, match="already registered"):
        reg.add("scan", 2)
    with pytest.raises(UnknownPlugin, match="known: scan"):
        reg.get("mirai")


def test_nameless_plugin_is_refused():
    reg: Registry[object] = Registry("exporter")
    with pytest.raises(ValueError, match="no name"):
        reg.register()(object())
