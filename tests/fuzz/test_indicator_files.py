"""Fuzz: indicator files in each format (plain, CSV, JSON Lines, MISP CSV): a whole-file
refusal before any row, or rows and per-row rejects; never an exception while reading rows
(a 5,000-digit confidence is one rejected row, not an aborted import)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .registry import all_targets, check
from .strategies import SHORT_RUN, hostile_json
from .targets_imports import INDICATOR_SEEDS

# Cells that broke a row parser once: huge numbers, non-finite ones, NUL, lone surrogates.
CELLS = ["9" * 5000, "1e999", "NaN", "-1", "\x00", "\ud800", "tlp:purple", '"', "x" * 3000]


def _csv_line(cells: list[str]) -> bytes:
    quoted = ('"' + c.replace('"', '""') + '"' for c in cells)
    return (",".join(quoted) + "\n").encode("utf-8", "surrogatepass")


@pytest.mark.parametrize("fmt", sorted(INDICATOR_SEEDS))
@SHORT_RUN
@given(
    data=st.one_of(
        hostile_json(keys=["value", "confidence", "tags", "first_seen", "tlp"]),
        st.builds(
            lambda cells: _csv_line(cells),
            st.lists(st.one_of(st.sampled_from(CELLS), st.text(max_size=8)), max_size=12),
        ),
    ),
    seed=st.integers(0, 10),
)
def test_indicator_files_answer_hostile_input_with_rows_or_a_refusal(
    fmt: str, data: bytes, seed: int
) -> None:
    target = all_targets()[f"indicators_{fmt}"]
    # Half the time behind a valid file, so the header is read and the row parsers run.
    check(target, target.seeds[0] + data if seed % 2 else data)
