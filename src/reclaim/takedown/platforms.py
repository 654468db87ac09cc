"""Where removal requests go: one entry per platform, with its channel, follow-up deadline and required fields.

A platform's ``fields`` are what its law or form asks every notice to carry; :func:`reclaim.takedown.notices.
check_notice` refuses a rendered notice that lacks any of them, so a template edit cannot silently drop one.

Deadlines are follow-up deadlines for tracking, changeable per request. Only the 48 hours of the US TAKE IT DOWN
Act (2025, section 3) are statutory; Korea's Telecommunications Business Act Art. 22-5 says "without delay".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from reclaim.errors import UserError

LANGS = ("ko", "en")

# What each field means; the check in notices.py knows how to find each one in a rendered notice.
FIELD_HELP = {
    "reference": "the case reference",
    "locations": "the exact location (URL or t.me link) of every item",
    "sha256": "every item's sha256",
    "found_at": "when each item was found (UTC)",
    "requester": "the requester's name and e-mail",
    "capacity": "whether the requester is the person depicted or acts on their behalf",
    "signature": "a physical or electronic signature with the date",
    "good_faith": "a good-faith statement that the depiction is not consensual (TAKE IT DOWN)",
    "accuracy": "a bona fide statement that the notice is accurate and complete (DSA Art. 16(2)(d))",
    "explanation": "why the content is illegal: the laws it breaks",
    "deadline": "the removal deadline asked for",
    "no_media": "a statement that no media is attached",
    "victim_consent": "the victim's consent to the referral",
    "prior_requests": "what has been asked of platforms so far",
}

_NOTICE = ("reference", "locations", "sha256", "found_at", "requester", "no_media", "explanation")
_TAKE_IT_DOWN = ("signature", "good_faith", "capacity", "deadline")
_DSA = ("accuracy",)
_LAWS_PLATFORM = ("take_it_down", "dsa", "kr_sexual_crimes", "kr_telecom")


class Scope(StrEnum):
    """Which item locations a platform can act on."""

    HOSTS = "hosts"  # URLs on its own hosts (and, for Telegram, telegram: locators)
    WEB = "web"  # any http(s) URL (a search engine delists any page)
    OTHER_WEB = "other_web"  # http(s) URLs not on a platform listed here (a web site's own host)
    WEB_AND_TELEGRAM = "web_and_telegram"  # a regulator: web pages and Telegram messages
    ANY = "any"  # a support centre takes everything, local copies included


class Channel(StrEnum):
    EMAIL = "email"  # drafted as .eml and sent by SMTP after sign-off
    FORM = "form"  # pasted into the platform's web form by the officer, then marked sent


@dataclass(frozen=True)
class Platform:
    name: str
    title: dict[str, str]  # by language
    channel: Channel
    address: str  # e-mail address or form URL; "" when the officer must give one
    scope: Scope
    deadline_hours: int
    laws: tuple[str, ...]  # keys of the law macros in templates/_common/<lang>.txt.j2
    fields: tuple[str, ...]
    hosts: tuple[str, ...] = ()  # for Scope.HOSTS: the URL hosts this platform serves

    def serves(self, location: str) -> bool:
        """Whether an item at ``location`` (a URL, ``telegram:<chat>/<message>`` or a path) is this platform's."""
        if self.scope is Scope.ANY:
            return True
        if location.startswith("telegram:"):
            return self.name == "telegram" or self.scope is Scope.WEB_AND_TELEGRAM
        host = _host(location)
        if not host:
            return False
        if self.scope is Scope.HOSTS:
            return _on(host, self.hosts)
        if self.scope is Scope.OTHER_WEB:
            return not any(_on(host, p.hosts) for p in PLATFORMS.values())
        return True


def _host(location: str) -> str:
    parts = urlsplit(location)
    return (parts.hostname or "").lower() if parts.scheme in ("http", "https") else ""


def _on(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("telegram", {"ko": "텔레그램", "en": "Telegram"}, Channel.EMAIL, "abuse@telegram.org",
                 Scope.HOSTS, 48, _LAWS_PLATFORM,
                 _NOTICE + _TAKE_IT_DOWN + _DSA, ("t.me", "telegram.me")),
        Platform("x", {"ko": "X(구 트위터)", "en": "X (Twitter)"}, Channel.FORM,
                 "https://help.x.com/en/rules-and-policies/intimate-media", Scope.HOSTS, 48,
                 _LAWS_PLATFORM, _NOTICE + _TAKE_IT_DOWN + _DSA,
                 ("x.com", "twitter.com", "twimg.com")),
        Platform("google", {"ko": "Google 검색", "en": "Google Search"}, Channel.FORM,
                 "https://support.google.com/websearch/answer/9116649", Scope.WEB, 72,
                 ("google_policy", "kr_sexual_crimes"), _NOTICE + ("signature", "good_faith", "capacity")),
        Platform("generic", {"ko": "호스팅 사업자", "en": "Hosting provider"}, Channel.EMAIL, "",
                 Scope.OTHER_WEB, 48, _LAWS_PLATFORM, _NOTICE + _TAKE_IT_DOWN + _DSA),
        Platform("kcsc", {"ko": "방송통신심의위원회", "en": "Korea Communications Standards Commission"},
                 Channel.FORM, "https://www.kocsc.or.kr", Scope.WEB_AND_TELEGRAM, 72,
                 ("kr_network_act", "kr_sexual_crimes"),
                 _NOTICE + ("signature", "capacity", "good_faith")),
        Platform("support_center", {"ko": "디지털성범죄피해자지원센터",
                                    "en": "Digital Sex Crime Victim Support Center"},
                 Channel.EMAIL, "", Scope.ANY, 72, ("kr_victim_support", "kr_sexual_crimes"),
                 _NOTICE + ("signature", "capacity", "victim_consent", "prior_requests")),
    )
}


def get_platform(name: str) -> Platform:
    try:
        return PLATFORMS[name]
    except KeyError:
        raise UserError(f"unknown platform {name!r} (known: {', '.join(PLATFORMS)})") from None


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise UserError(f"unknown notice language {lang!r} (known: {', '.join(LANGS)})")
    return lang
