"""The leaf index answers exactly as a plain dict would, whatever part of it is frozen."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vc_core.ledger.leafindex import FrozenLeaves, LeafIndex

LEAF = st.binary(min_size=32, max_size=32).map(bytes.hex)
ROOT = st.sampled_from(["a" * 64, "b" * 64, "c" * 64])
ENTRIES = st.dictionaries(LEAF, st.tuples(ROOT, st.integers(0, 2**32 - 1)), max_size=60)


@given(first=ENTRIES, later=ENTRIES, probes=st.lists(LEAF, max_size=20))
def test_a_frozen_base_and_an_overlay_answer_like_a_dict(
    first: dict[str, tuple[str, int]], later: dict[str, tuple[str, int]], probes: list[str]
) -> None:
    later = {k: v for k, v in later.items() if k not in first}
    expected = {**first, **later}
    index = LeafIndex(LeafIndex().update(first).frozen()).update(later)
    assert len(index) == len(expected) and dict(index.items()) == expected
    for leaf in [*expected, *probes]:
        assert index.get(leaf) == expected.get(leaf)
        assert (leaf in index) == (leaf in expected)
    # Freezing again (base and overlay together) changes nothing.
    again = LeafIndex(index.frozen())
    assert again == index and len(again.overlay) == 0


@given(entries=ENTRIES)
def test_what_is_not_a_lower_case_hex_leaf_is_never_found(
    entries: dict[str, tuple[str, int]],
) -> None:
    index = LeafIndex(LeafIndex().update(entries).frozen())
    for leaf in entries:
        assert index.get(leaf.upper()) is None or leaf == leaf.upper()
        assert leaf[:-1] not in index and leaf + "0" not in index
    assert index.get("") is None and "zz" * 32 not in index


def test_records_must_be_whole() -> None:
    with pytest.raises(ValueError, match="whole"):
        FrozenLeaves(b"x" * 41, ())
