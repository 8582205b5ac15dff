"""Foreign JSON within limits: each hostile form the hardening probe found is one clear error."""

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hakusan.domain.safejson import JSONInputError, loads


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 100_000, "nested deeper"),
        ('{"a": ' * 70 + "1" + "}" * 70, "nested deeper"),
        ('"\\ud800"', "lone surrogate"),
        ('{"\\udc00": 1}', "lone surrogate"),
        ('{"confidence": Infinity}', "Infinity is not a JSON number"),
        ("[NaN]", "NaN is not a JSON number"),
        ("[-Infinity]", "-Infinity is not a JSON number"),
        ("1" * 5000, "5000 digits is too long"),
        ("[1e999]", "out of range"),
        ('{"a": 1', "Expecting"),
    ],
)
def test_hostile_json_is_one_clear_error(text: str, reason: str) -> None:
    with pytest.raises(JSONInputError, match=reason):
        loads(text)


def test_error_names_where() -> None:
    with pytest.raises(JSONInputError) as info:
        loads('{"objects": [{"name": "\\ud800"}]}')
    assert info.value.path == "$.objects[0].name"
    with pytest.raises(JSONInputError) as info:
        loads(b'{"a": 1,, }')
    assert info.value.offset == 8
    with pytest.raises(JSONInputError) as info:
        loads(b'["ok", "\xff"]')
    assert info.value.offset == 8


def test_size_limit_and_bom() -> None:
    with pytest.raises(JSONInputError, match="more than the limit"):
        loads(b"[" + b"1," * 100 + b"1]", max_bytes=50)
    assert loads('\ufeff{"a": 1}'.encode()) == {"a": 1}


def test_depth_at_the_limit_is_accepted() -> None:
    doc = "[" * 64 + "]" * 64
    assert loads(doc) is not None
    with pytest.raises(JSONInputError):
        loads("[" + doc + "]")


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=30,
)


@given(json_values)
def test_ordinary_json_round_trips(value) -> None:
    assert loads(json.dumps(value, ensure_ascii=False)) == value


@pytest.mark.parametrize(
    ("text", "code", "params", "path"),
    [
        ('{"a": [1, {"b": NaN}], "c": Infinity}', "constant", {"name": "NaN"}, "$.a[1].b"),
        ('{"damage": ' + "9" * 500 + "}", "number_too_long", {"length": 500}, "$.damage"),
        ('[{"x": 1e999}]', "number_out_of_range", {"text": "1e999"}, "$[0].x"),
        ('{"k": ["\\ud800"]}', "lone_surrogate", {}, "$.k[0]"),
        ("[" * 70 + "]" * 70, "too_deep", {"limit": 64}, "$" + "[0]" * 64),
    ],
)
def test_refused_numbers_and_strings_name_their_path(
    text: str, code: str, params: dict, path: str
) -> None:
    with pytest.raises(JSONInputError) as info:
        loads(text)
    assert (info.value.code, info.value.params, info.value.path) == (code, params, path)


def test_offsets_of_bytes_input_count_bytes() -> None:
    with pytest.raises(JSONInputError) as info:
        loads('{"é": 1,, }'.encode())
    assert info.value.offset == 9 and info.value.code == "syntax"
    with pytest.raises(JSONInputError) as info:
        loads(b'\xef\xbb\xbf["\xff"]')
    assert info.value.offset == 5 and info.value.code == "not_utf8"
