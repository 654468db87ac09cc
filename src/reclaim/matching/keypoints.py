"""The keypoint stage of matching: finds known images inside crops, banners, screenshots, collages and mirrors.

Order (issue 5): PDQ and the exact digests first, because they are cheap and exchangeable with HMA; then the
keypoint stage, per bank by its policy: ``always`` (default for ``reference`` banks, a victim's own photos,
to find composites built from them), ``unmatched`` (default for other banks: only items no hash matched),
or ``never``. Keypoints are an opt-in signal: ``--mode thorough`` computes them for every item; ``fast``
only when some bank wants them ``always``; ``reclaim match``'s default ``auto`` is thorough where that costs
little (``auto_mode``). A bank entry or item without a keypoint set is simply not
compared; a query without features (a flat image) is reported as such, not as an error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from reclaim.errors import UserError
from reclaim.index.geometry import MIN_INLIERS, Transform, Verification
from reclaim.index.keypoint_set import KeypointSet
from reclaim.index.keypoints import KeypointIndex
from reclaim.models import BankEntry, BankKind, Match, SignalValue
from reclaim.signals.keypoints import KeypointsSignal
from reclaim.store.models import Bank, BankContent, ContentSignal, Item, ItemSignal

KEYPOINTS = KeypointsSignal.name
# ``--mode auto`` finds crops where that adds seconds, not minutes (bench/keypoints.py at 1,000 bank images: the
# index builds in ~4 s after a bank changes, then ~44 searches/s, plus ~22 ms a file for its features; at
# 10,000 the build alone takes a minute)
AUTO_FILES = 64
AUTO_KNOWN = 1_000


class Mode(StrEnum):
    FAST = "fast"  # hashes only, plus keypoints for banks that want them always
    THOROUGH = "thorough"  # keypoints for every item


class Policy(StrEnum):
    ALWAYS = "always"
    UNMATCHED = "unmatched"
    NEVER = "never"


def bank_policy(kind: BankKind, configured: str | None) -> Policy:
    """A bank's own setting, else by kind: a victim's reference photos are always searched."""
    if configured:
        try:
            return Policy(configured)
        except ValueError:
            raise UserError(f"keypoint policy must be one of {', '.join(Policy)}, got {configured!r}") from None
    return Policy.ALWAYS if kind is BankKind.REFERENCE else Policy.UNMATCHED




@dataclass(frozen=True)
class KeypointMatch(Match):
    """A known image found by local features; ``distance`` is 1 - its inlier score."""

    verification: Verification | None = field(default=None, compare=False, repr=False)

    @property
    def inliers(self) -> int:
        return self.verification.inliers if self.verification else 0

    @property
    def transform(self) -> Transform | None:
        return self.verification.transform if self.verification else None

    def details(self) -> dict[str, Any] | None:
        """What a person needs to judge the match, as stored with it and printed: inliers and the transform
        (scale, rotation, mirrored, where in the known image and in the query), with the inlier score."""
        v = self.verification
        return None if v is None else {"inliers": v.inliers,
                                       "transform": {**v.transform.as_json(), "score": round(v.score, 3)}}


def describe_keypoints(details: Mapping[str, Any]) -> str:
    """One line for a keypoint match's ``details``: how many points agree, and how the known image was
    scaled, turned and placed in the query (its distance, 1 - the inlier score, says little to a reader)."""
    t = details["transform"]
    x0, y0, x1, y1 = (round(100 * v) for v in t["query_region"])
    return (f"keypoints: {details['inliers']} inliers (a match needs {MIN_INLIERS}; score {t['score']:.2f}), "
            f"scale {t['scale']:g}, "
            f"rotation {t['rotation']:g} deg{', mirrored' if t['mirrored'] else ''}, "
            f"seen at {x0}-{x1} % across and {y0}-{y1} % down the query")


@dataclass(frozen=True)
class KeypointOutcome:
    matches: list[KeypointMatch]
    features: int | None  # keypoints in the query; None when the stage did not run for it


def auto_mode(session: Session, files: int) -> tuple[Mode, str | None]:
    """``thorough`` where finding crops costs little: at most ``AUTO_FILES`` files asked and at most
    ``AUTO_KNOWN`` bank images with keypoints to search; else ``fast``, with why when keypoints could have
    found something (None when no bank image has keypoints: thorough would find nothing more)."""
    known = session.scalar(select(func.count()).select_from(ContentSignal).join(BankContent)
                           .where(ContentSignal.signal == KEYPOINTS, BankContent.withdrawn_at.is_(None))) or 0
    if not known:
        return Mode.FAST, None
    if files > AUTO_FILES:
        return Mode.FAST, f"more than {AUTO_FILES} files"
    if known > AUTO_KNOWN:
        return Mode.FAST, f"{known:,} bank images with keypoints, over {AUTO_KNOWN:,}"
    return Mode.THOROUGH, None


def keypoint_opt_in(session: Session, mode: Mode) -> frozenset[str]:
    """``{"keypoints"}`` when items must carry keypoint sets: thorough mode, or a bank that wants them always."""
    if mode is Mode.THOROUGH:
        return frozenset({KEYPOINTS})
    wanted = (select(Bank.kind, Bank.keypoints).join(BankContent).join(ContentSignal)
              .where(ContentSignal.signal == KEYPOINTS, BankContent.withdrawn_at.is_(None)).distinct())
    always = any(bank_policy(BankKind(kind), policy) is Policy.ALWAYS for kind, policy in session.execute(wanted))
    return frozenset({KEYPOINTS}) if always else frozenset()


def items_missing_keypoints(session: Session, case_id: int, opt_in: frozenset[str]) -> set[str]:
    """Locators of the case's hashed photos (those with a PDQ hash) without a current keypoint set, when this
    scan wants keypoints: scanned in fast mode or by an older version, a scan hashes them again rather than
    reusing them unseen by the keypoint stage."""
    if KEYPOINTS not in opt_in:
        return set()
    has = exists().where(ItemSignal.item_id == Item.id, ItemSignal.signal == KEYPOINTS,
                         ItemSignal.version == KeypointsSignal.version)
    photo = exists().where(ItemSignal.item_id == Item.id, ItemSignal.signal == "pdq")
    return set(session.scalars(select(Item.locator).where(
        Item.case_id == case_id, Item.status == "hashed", photo, ~has)))


class KeypointStage:
    """Known images' keypoint sets in one index, with each bank's policy; the built index is kept in
    ``cache`` (when given) for the next command over the same bank images."""

    def __init__(self, entries: Mapping[int, BankEntry], blobs: Mapping[int, bytes],
                 policies: Mapping[str, Policy], cache: Path | None = None) -> None:
        self._entries = {ref: e for ref, e in entries.items() if e.version in KeypointsSignal.compatible}
        self._policies = policies
        self._index = KeypointIndex(cache=cache)
        refs = [ref for ref in self._entries if blobs.get(ref)]
        self._index.add(refs, [KeypointSet.from_blob(blobs[ref]) for ref in refs])

    def __len__(self) -> int:
        return len(self._index)

    def match(self, values: Sequence[SignalValue], *, hash_matched: bool,
              already: Iterable[tuple[str, str]] = ()) -> KeypointOutcome:
        """Search the banks whose policy applies; ``already`` (bank, content id) pairs are not reported twice."""
        query = next((v for v in values if v.signal == KEYPOINTS and v.version in KeypointsSignal.compatible
                      and v.blob is not None), None)
        wanted = {Policy.ALWAYS} if hash_matched else {Policy.ALWAYS, Policy.UNMATCHED}
        if query is None or not len(self) or not wanted & set(self._policies.values()):
            return KeypointOutcome([], None)
        kset = KeypointSet.from_blob(query.blob or b"")
        skip = set(already)
        allowed = {ref for ref, e in self._entries.items()
                   if self._policies.get(e.bank) in wanted and (e.bank, e.content_id) not in skip}
        matches = []
        for hit in self._index.query(kset, allowed=allowed):
            entry = self._entries[hit.ref]
            v = hit.verification
            matches.append(KeypointMatch(entry.bank, entry.bank_kind, entry.content_id, KEYPOINTS,
                                         round(1 - v.score, 4), hit.ref, entry.value, verification=v))
        return KeypointOutcome(matches, len(kset.plain))
