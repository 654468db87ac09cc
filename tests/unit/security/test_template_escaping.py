"""Every HTML template the project ships, rendered with hostile values in every field, prints none of them raw.

Each template is rendered with no context and a permissive ``Undefined`` that stands for any value (a string
of markup and script, a list of such, a number): every ``{{ field }}`` in the template becomes the payload.
The report is also rendered from a real manifest whose every string is hostile.
"""

from typing import Any

import pytest
from jinja2 import ChainableUndefined, Environment
from markupsafe import escape

from reclaim.evidence.report import ENV as REPORT_ENV
from reclaim.evidence.report import render_html
from reclaim.server.templating import templates as SERVER
from reclaim.takedown.notices import ENV as NOTICE_ENV

PAYLOAD = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"
RAW = ("<script>alert", "<img src=x onerror")


class Hostile(ChainableUndefined):
    """Any value a template asks for: prints as the payload, iterates as two more, compares and counts."""

    __slots__ = ()

    def __str__(self) -> str:
        return PAYLOAD

    def __html__(self) -> str:  # what autoescape calls: the escaped payload (autoescape off prints __str__)
        return str(escape(PAYLOAD))

    def __iter__(self):  # type: ignore[override]
        yield Hostile()
        yield Hostile()

    def __len__(self) -> int:
        return 2

    def __bool__(self) -> bool:
        return True

    def __call__(self, *args: Any, **kwargs: Any) -> "Hostile":  # type: ignore[override]
        return Hostile()

    def __float__(self) -> float:
        return 0.5

    def __int__(self) -> int:
        return 1

    def __lt__(self, other: object) -> bool:
        return False

    __gt__ = __le__ = __ge__ = __lt__

    def __sub__(self, other: object) -> "Hostile":
        return Hostile()

    __add__ = __radd__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __mod__ = __sub__  # type: ignore[assignment]


def html_templates() -> list[tuple[str, Environment, str]]:
    found = [("report", REPORT_ENV, name) for name in REPORT_ENV.list_templates()]
    found += [("server", SERVER.env, name) for name in SERVER.env.list_templates()]
    return found


def test_every_html_environment_escapes_every_name() -> None:
    for env in (REPORT_ENV, SERVER.env):
        assert env.autoescape is True, env  # not select_autoescape(): a template's name must not matter
    assert len(html_templates()) >= 15


# Fields whose shape a Hostile cannot take: rows unpacked into three names, data serialised to JSON.
SHAPED = {
    "cases.html": lambda: {"self_reports": [(Hostile(), Hostile(), Hostile())]},
    "self_report.html": lambda: {"script_text": {"intro": PAYLOAD, "done": PAYLOAD}},
}


@pytest.mark.parametrize(("where", "env", "name"), html_templates(), ids=lambda v: v if isinstance(v, str) else "")
def test_template_prints_no_hostile_value_raw(where: str, env: Environment, name: str) -> None:
    shaped = SHAPED.get(name, dict)() if where == "server" else {}
    out = env.overlay(undefined=Hostile).get_template(name).render(**shaped)
    assert escape(PAYLOAD) in out, f"{where}/{name} printed no field at all"
    for raw in RAW:
        assert raw not in out, f"{where}/{name} printed a hostile value unescaped"


def test_notice_templates_are_text_only() -> None:
    """Notices are plain text (their control characters are handled in notices.py): no HTML template there."""
    assert all(name.endswith(".txt.j2") for name in NOTICE_ENV.list_templates())


def hostile_strings(value: Any) -> Any:
    if isinstance(value, str):
        return PAYLOAD
    if isinstance(value, dict):
        return {k: hostile_strings(v) for k, v in value.items()}
    if isinstance(value, list):
        return [hostile_strings(v) for v in value]
    return value


def test_report_from_a_manifest_with_every_string_hostile() -> None:
    record = {"locator": "x", "status": "hashed", "error": "bad", "sha256": "ab" * 32, "matches": [
        {"bank": "b", "bank_kind": "known", "content_id": "c", "signal_type": "pdq", "distance": 3.0,
         "suppressed": False}], "review": {"decision": "confirmed", "reviewer": "r", "decided_at": "t", "note": "n"},
        "context": {"link": "l", "chat_name": "c", "poster": "p", "poster_id": "i", "posted_at": "t",
                    "forwarded_from": "f", "caption": "c"},
        "attribution": {"identity": "v", "source": "s", "inliers": 9, "min_inliers": 15, "attribution_score": 0.9,
                        "figure": "f"}}
    manifest = hostile_strings({
        "case": {"name": "n", "note": "n", "victims": [{"name": "v", "consent_recorded_by": "c", "on_behalf_of": "o"}]},
        "generated_at": "t", "generated_by": "g", "tool": {"name": "reclaim", "version": "1"},
        "summary": {"flagged": 1, "items": 1, "confirmed": 1, "places": [{"place": "p", "items": 1}],
                    "first_posted": "t", "last_posted": "t", "posters": [{"poster": "p", "items": 1}],
                    "not_readable": 1},
        "items": [record]})
    manifest["items"][0]["review"]["decision"] = "confirmed"
    manifest["items"][0]["sha256"] = "ab" * 32
    manifest["items"][0]["context"]["link"] = "javascript:alert(4)"
    out = render_html(manifest, {"ab" * 32: "thumbnails/x.jpg"})
    for raw in RAW:
        assert raw not in out
    assert 'href="javascript:' not in out.replace(" ", "")
    assert out.count(str(escape(PAYLOAD))) >= 15


def test_report_keeps_real_links() -> None:
    from reclaim.evidence.report import safe_link

    assert safe_link("https://t.me/c/1/2") == "https://t.me/c/1/2"
    assert safe_link(" JavaScript:alert(1)") == "" and safe_link("data:text/html,x") == ""
