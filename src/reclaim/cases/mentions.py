"""Messages that name a case's victim, or post someone's phone number, ID number or address next to media.

Abusers caption deepfakes with the victim's name, school and phone number, and dodge keyword filters by
spacing or dotting them out ("김.지.수", "k i m j i s o o", "010 1234 5678", full-width digits). Text and
terms are compared in one folded form: Unicode NFKC (full-width to ASCII, Hangul jamo composed), case
folded, and every character that is not a letter or digit removed. Phone numbers compare by their digits,
with Korea's +82 prefix read as the leading 0. Doxxing patterns are found in the raw text and reported by
kind only: the number itself stays in the evidence, not in listings.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

KINDS = ("name", "handle", "school", "phone")
_PHONE = re.compile(r"(?<!\d)(?:\+?82[\s.\-]*)?0?1[016789](?:[\s.\-·]*\d){7,8}(?!\d)")
_RRN = re.compile(r"\b\d{2}[01]\d[0-3]\d[\s\-]*[1-8]\d{6}\b")  # resident registration number: YYMMDD-GNNNNNN
_ADDRESS = re.compile(r"[가-힣]+(?:시|도)\s*[가-힣]+(?:구|군)\s*[가-힣0-9]+(?:동|로|길)(?:\s*\d+)?")
_ADDRESS_EN = re.compile(r"\b\d{1,5}\s+\w+(?:\s\w+)?\s(?:street|st|road|rd|avenue|ave)\b", re.IGNORECASE)
MIN_FOLDED = 2  # terms that fold to fewer characters would match almost anything


@dataclass(frozen=True)
class Term:
    kind: str  # one of KINDS
    value: str


@dataclass(frozen=True)
class Mention:
    kind: str
    term: str


def fold(text: str) -> str:
    """The form text and terms are compared in (see the module docstring)."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in normal if ch.isalnum())


def phone_digits(text: str) -> str:
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())
    return "0" + digits[2:] if digits.startswith("82") and len(digits) >= 11 else digits


def find_mentions(text: str, terms: Iterable[Term]) -> list[Mention]:
    """The terms that ``text`` contains, each once, in the order given."""
    folded, digits = fold(text), phone_digits(text)
    found = []
    for term in terms:
        if term.kind == "phone":
            wanted = phone_digits(term.value)
            hit = len(wanted) >= 9 and wanted in digits
        else:
            wanted = fold(term.value.lstrip("@") if term.kind == "handle" else term.value)
            hit = len(wanted) >= MIN_FOLDED and wanted in folded
        if hit and Mention(term.kind, term.value) not in found:
            found.append(Mention(term.kind, term.value))
    return found


def doxxing(text: str) -> list[str]:
    """Kinds of personal data the text posts: "phone", "id_number", "address"."""
    normal = unicodedata.normalize("NFKC", text)
    kinds = []
    if _PHONE.search(normal):
        kinds.append("phone")
    if _RRN.search(normal):
        kinds.append("id_number")
    if _ADDRESS.search(normal) or _ADDRESS_EN.search(normal):
        kinds.append("address")
    return kinds


def message_text(context: dict[str, Any]) -> str:
    """The words a source kept with an item: a message's caption, a page's text."""
    return " ".join(str(context.get(k) or "") for k in ("caption", "text", "message", "title"))
