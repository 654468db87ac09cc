"""TextColumn: strings in two arrays, as the PDQ cache file stores content ids."""

from __future__ import annotations

import numpy as np
import pytest

from reclaim.matching.text_column import TextColumn

TEXTS = ["c0", "", "피해자-사진-1", "a" * 300, "x"]


def test_strings_come_back_as_given() -> None:
    column = TextColumn.of(TEXTS)
    assert len(column) == 5 and [column[i] for i in range(5)] == TEXTS


def test_take_selects_and_reorders_and_plus_appends() -> None:
    column = TextColumn.of(TEXTS)
    taken = column.take(np.array([4, 2, 2, 0]))
    assert [taken[i] for i in range(4)] == ["x", "피해자-사진-1", "피해자-사진-1", "c0"]
    assert len(column.take(np.array([], np.int64))) == 0
    joined = TextColumn.of([]).plus(column).plus(TextColumn.of(["end"]))
    assert [joined[i] for i in range(6)] == [*TEXTS, "end"]


def test_restore_checks_the_arrays() -> None:
    column = TextColumn.of(TEXTS)
    again = TextColumn.restore(column.data, column.ends)
    assert [again[i] for i in range(5)] == TEXTS
    with pytest.raises(ValueError, match="not ascending"):
        TextColumn.restore(column.data, column.ends[::-1].copy())
    with pytest.raises(ValueError, match="not ascending"):
        TextColumn.restore(column.data[:-1], column.ends)
    with pytest.raises(ValueError, match="wrong types"):
        TextColumn.restore(column.data, column.ends.astype(np.int32))
