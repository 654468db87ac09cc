"""Messages that name a victim however it is spelt out, and messages that post personal data."""

from __future__ import annotations

import pytest

from reclaim.cases.mentions import Term, doxxing, find_mentions, fold

TERMS = [Term("name", "김지수"), Term("name", "Kim Jisoo"), Term("handle", "@jisoo_k"), Term("school", "한빛고등학교"),
         Term("phone", "010-1234-5678")]


@pytest.mark.parametrize(("text", "kinds"), [
    ("김지수 사진 더 있음", ["name"]),
    ("김.지.수 영상", ["name"]),
    ("김 지 수", ["name"]),
    ("ｋｉｍ　ｊｉｓｏｏ (full width)", ["name"]),
    ("K-I-M J.I.S.O.O lol", ["name"]),
    ("insta: jisoo_k", ["handle"]),
    ("한빛고 아니고 한빛 고등 학교 2학년", ["school"]),
    ("연락 +82 10 1234 5678", ["phone"]),
    ("010.1234.5678 로 연락", ["phone"]),
    ("no one here", []),
    ("김지훈 and Kim Jihoon", []),
])
def test_obfuscated_mentions_are_found(text: str, kinds: list[str]) -> None:
    assert [m.kind for m in find_mentions(text, TERMS)] == kinds


def test_each_term_is_reported_once_in_the_order_given() -> None:
    found = find_mentions("김지수 김지수 Kim Jisoo 01012345678", TERMS)
    assert [(m.kind, m.term) for m in found] == [("name", "김지수"), ("name", "Kim Jisoo"), ("phone", "010-1234-5678")]


def test_fold_composes_hangul_jamo_and_drops_separators() -> None:
    decomposed = "\u1100\u1175\u11b7 \u110c\u1175.\u1109\u116e"  # 김 지.수 written as conjoining jamo
    assert fold(decomposed) == "김지수"


@pytest.mark.parametrize(("text", "kinds"), [
    ("이 번호로 연락해 010-9876-5432", ["phone"]),
    ("주민번호 900101-2345678", ["id_number"]),
    ("서울시 강남구 테헤란로 123 살아요", ["address"]),
    ("lives at 221 Baker Street", ["address"]),
    ("+82 10 9876 5432 / 서울시 마포구 합정동", ["phone", "address"]),
    ("그냥 사진 2024년 3월", []),
])
def test_doxxing_kinds(text: str, kinds: list[str]) -> None:
    assert doxxing(text) == kinds
