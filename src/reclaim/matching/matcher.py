"""Match computed hashes against banks, applying each bank's threshold, quality floor and kind.

One index per signal holds every active (not withdrawn) bank hash; a query asks it for the widest
threshold in use and then keeps, per bank, only what is within that bank's own threshold. PDQ hashes, the
ones banks hold by the million, live in an index cached on disk (``banks.pdq_cache``) that all banks share.

The negative-bank rule (README "Negative banks" says the same): a match in a ``negative`` bank (a known false
positive) suppresses only the item's matches *of the same signal type* (a PDQ negative silences PDQ matches,
a sha256 negative sha256 matches), so an exact digest found in a known bank is never silenced by a perceptual
negative match; and a negative bank matches only within its signal's default threshold (``BankKind.threshold``),
whatever threshold it was given. Suppressed matches are kept (``MatchResult.suppressed``), never dropped. Videos
follow their own rules (``matching_video``): frame sets against banked videos, frames against banked photos.
Keypoint sets go to their own stage (``matching_keypoints``), after the hashes; its matches come last.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from reclaim.banks.service import get_bank
from reclaim.index.base import Index
from reclaim.matching.keypoints import KEYPOINTS, KeypointStage, Policy, bank_policy
from reclaim.matching.pdq_cache import PdqBanks, cache_path
from reclaim.matching.video import FRAME_TIME, VIDEO, VideoMatcher, frames_as_photos
from reclaim.models import BankEntry, BankKind, Match, SignalValue
from reclaim.signals import get_signal
from reclaim.signals.registry import signal_names
from reclaim.store.caches import cache_file
from reclaim.store.models import Bank, BankContent, ContentSignal

PDQ = "pdq"
_OTHER_SIGNALS = [name for name in signal_names() if name != PDQ]


@dataclass(frozen=True)
class MatchResult:
    matches: list[Match]  # best first; suppressed ones excluded
    suppressed: list[Match]  # matches cancelled by a negative bank
    keypoint_features: int | None = None  # the query's keypoints when the keypoint stage ran (0: none found)


class Matcher:
    """An in-memory view of the banks, built once per command and queried per item."""

    def __init__(self, entries: dict[int, BankEntry], blobs: dict[int, bytes] | None = None,
                 policies: dict[str, Policy] | None = None, pdq: PdqBanks | None = None,
                 keypoint_cache: Path | None = None, content_pks: dict[int, int] | None = None) -> None:
        self._entries = entries
        self._content_pks = content_pks or {}
        self._pdq = pdq
        self._keypoints = KeypointStage({r: e for r, e in entries.items() if e.signal == KEYPOINTS}, blobs or {},
                                        policies or {}, keypoint_cache)
        self._indexes: dict[str, Index] = {}
        self._max_threshold: dict[str, float] = {}
        self._videos = VideoMatcher({ref: e for ref, e in entries.items() if e.signal == VIDEO})
        by_signal: dict[str, list[int]] = {}
        for ref, entry in entries.items():
            if entry.signal not in (VIDEO, KEYPOINTS):
                by_signal.setdefault(entry.signal, []).append(ref)
        for signal_name, refs in by_signal.items():
            index = get_signal(signal_name).index_cls()
            index.add(refs, [entries[r].value for r in refs])
            self._indexes[signal_name] = index
            self._max_threshold[signal_name] = max(entries[r].threshold for r in refs)

    @classmethod
    def from_store(cls, session: Session, bank_names: Sequence[str] = (), *, verify: bool = True) -> Matcher:
        """Load active hashes of the named banks (all banks when none are named). Without ``verify`` the PDQ
        index gets only the quick diff: the caller must then check ``in_step`` (see ``PdqBanks.open``)."""
        banks = [get_bank(session, name) for name in bank_names] or list(session.scalars(select(Bank)))
        query = (
            select(ContentSignal, BankContent.content_id, BankContent.withdrawn_at, Bank)
            .join(BankContent, ContentSignal.content_pk == BankContent.id)
            .join(Bank, BankContent.bank_id == Bank.id)
            # by name, not "!= pdq": the (signal, value) index then skips the millions of PDQ rows. Withdrawals
            # are skipped below, not here, and banks only when some were named: either condition makes SQLite
            # start from the millions of contents instead (0.4 s at 1 M PDQ hashes, on every refresh of a
            # server's matcher, which wants every bank)
            .where(ContentSignal.signal.in_(_OTHER_SIGNALS))
        )
        if bank_names:
            query = query.where(Bank.id.in_([b.id for b in banks]))
        entries, blobs, content_pks = {}, {}, {}
        policies = {bank.name: bank_policy(BankKind(bank.kind), bank.keypoints) for bank in banks}
        for sig, content_id, withdrawn_at, bank in session.execute(query):
            if withdrawn_at is not None:
                continue
            if sig.blob is not None:
                blobs[sig.id] = sig.blob
            signal = get_signal(sig.signal)
            configured = bank.pdq_threshold if signal.name == "pdq" else signal.default_threshold
            threshold = BankKind(bank.kind).threshold(configured, signal.default_threshold)
            entry = BankEntry(
                bank.name, BankKind(bank.kind), content_id, sig.signal, sig.version, sig.value,
                float(threshold), bank.pdq_min_quality,
            )
            if _quality_ok(sig.quality, entry):
                entries[sig.id] = entry
                content_pks[sig.id] = sig.content_pk
        keypoint_file = cache_file(session, "keypoints", ".npz")
        pdq = PdqBanks.open(session, banks, cache_path(session), verify=verify)
        return cls(entries, blobs, policies, pdq, keypoint_file, content_pks)

    def in_step(self, session: Session) -> bool:
        """Whether the PDQ hashes held are exactly the database's active ones."""
        return self._pdq is None or self._pdq.in_step(session)

    def content_pk(self, ref: int) -> int | None:
        """The bank_content row id (HMA's integer content id) of a match's ``entry_id``, from memory; None when
        this matcher does not hold it (withdrawn since, or from a matcher built without the store)."""
        found = self._content_pks.get(ref)
        if found is None and self._pdq is not None:
            return self._pdq.content_pk(ref)
        return found

    def sizes(self) -> dict[str, int]:
        """Contents held per signal (a video's frames count once, as HMA's one vpdq signal), for HMA's index
        status."""
        counts = Counter(signal for signal, _, _ in {(e.signal, e.bank, e.content_id) for e in self._entries.values()})
        if self._pdq is not None:
            counts[PDQ] = len(self._pdq)
        return dict(counts)

    def __len__(self) -> int:
        return len(self._entries) + (len(self._pdq) if self._pdq else 0)

    def match(self, values: Iterable[SignalValue]) -> MatchResult:
        values = list(values)
        found: dict[tuple[str, str], Match] = {}
        for value in values + frames_as_photos(values):  # a video's frames also look for banked photos
            for ref, distance, entry in self._hits(value):
                if distance > entry.threshold or entry.version != value.version:
                    continue
                if not _quality_ok(value.quality, entry):
                    continue
                match = Match(
                    entry.bank, entry.bank_kind, entry.content_id, entry.signal, distance, ref,
                    entry.value, value.extras.get(FRAME_TIME),
                )
                _keep_best(found, match)
        for match in self._videos.match(values):
            _keep_best(found, match)
        if not found and not len(self._keypoints):  # most lookups: nothing near, and no keypoint stage to run
            return MatchResult([], [])
        ordered = sorted(found.values(), key=_rank)
        hash_matched = any(m.bank_kind is not BankKind.NEGATIVE for m in ordered)
        stage = self._keypoints.match(values, hash_matched=hash_matched, already=found)
        ordered += stage.matches
        silenced = {m.signal for m in ordered if m.bank_kind is BankKind.NEGATIVE}
        suppressed = [m for m in ordered if m.bank_kind is not BankKind.NEGATIVE and m.signal in silenced]
        kept = [m for m in ordered if m.bank_kind is BankKind.NEGATIVE or m.signal not in silenced]
        return MatchResult(kept, suppressed, stage.features)


    def _hits(self, value: SignalValue) -> list[tuple[int, float, BankEntry]]:
        """(ref, distance, entry) of the banked hashes within the widest threshold of ``value``'s signal."""
        if value.signal == PDQ and self._pdq is not None:
            return list(self._pdq.search(value.value))
        index = self._indexes.get(value.signal)
        if index is None:
            return []
        hits = index.query(value.value, self._max_threshold[value.signal])
        return [(hit.ref, hit.distance, self._entries[hit.ref]) for hit in hits]


def _keep_best(found: dict[tuple[str, str], Match], match: Match) -> None:
    key = (match.bank, match.content_id)
    if key not in found or _rank(match) < _rank(found[key]):
        found[key] = match


def _quality_ok(quality: int | None, entry: BankEntry) -> bool:
    return entry.signal != "pdq" or quality is None or quality >= entry.min_quality


def _rank(match: Match) -> tuple[float, int, str, str]:
    """Exact digests before perceptual, then nearest first; ties broken by name for a stable order."""
    exact = 0 if match.signal in ("sha256", "md5") else 1
    return (match.distance, exact, match.bank, match.content_id)

