"""Which known images does a query contain? Descriptor votes over every bank image, then verification.

Every known image's descriptors go into one FAISS binary index (exact ``IndexBinaryFlat`` while small, an
inverted-file ``IndexBinaryIVF`` beyond ``FLAT_LIMIT`` descriptors, whose lists are found by an HNSW graph
over the list centres once there are more than ``FLAT_LISTS`` lists; bench/keypoints.py measures it against
brute force). A query searches with its own descriptors and its mirror image's strongest; each query
descriptor votes once for every known image among its ``K`` nearest within ``MAX_HAMMING`` bits. The
best-voted images, each as itself or mirrored, are then re-matched descriptor to descriptor (the query rows
that voted for the image against all its features, Lowe's ratio test) and geometrically verified
(``geometry.verify``), so a collage yields one match per known image it contains.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from reclaim.index import keypoint_cache
from reclaim.index.geometry import MIN_INLIERS, Verification, verify
from reclaim.index.keypoint_set import Features, KeypointSet, opencv

if TYPE_CHECKING:
    import faiss

K = 4
MAX_HAMMING = 40  # of 256 bits; matching ORB descriptors are mostly within 40, random pairs near 128
BANK_FEATURES = 500  # the strongest of a known image's features (sets are stored strongest first)
MIRROR_VOTERS = 200  # of the query's mirror set: a mirrored re-post is mostly whole, its strongest suffice
MIN_VOTES = 8
MAX_CANDIDATES = 24  # a collage's cells can rank below chance look-alikes
RATIO = 0.8
# Descriptors (8 images) up to which the search is exact. A flat search costs ~4 ns per pair of query and known
# descriptors: a photo's ~1,200 against 40,000 known ones (80 images) took 0.21 s of CPU, and a scan's driver runs
# one per photo (bench/case.py's 10,000-item room spent most of its scan there); the inverted file took 10 ms for
# the same query, searched as deeply as a big bank's (PROBED_POINTS), whose recall bench/keypoints.py measures.
FLAT_LIMIT = 4_000
NPROBE = 6  # at least; probing more found no more matches in bench/keypoints.py, it only cost query time
PROBED_POINTS = 450  # ... and as many lists as hold about this many descriptors, so the short lists of a
# small bank (1 k images: 40 a list, 11 lists) are searched as deeply as a big one's (10 k: 76 a list, 6 lists)
EF_SEARCH = 16  # of the HNSW graph over list centres: small, as this search is most of a query's time
FLAT_LISTS = 4096  # up to here a query descriptor is compared with every list centre
MAX_LISTS = 65_536  # at most; past FLAT_LISTS an HNSW graph finds a descriptor's nearest centres (fewer compared)
POINTS_PER_LIST = 40
# Lists of a small bank (flat quantizer) per square root of its descriptors. A query descriptor is compared with
# every centre (nlist) and with the ~PROBED_POINTS descriptors of the lists it probes (at least NPROBE lists of
# N / nlist each), which is least near sqrt(NPROBE * N) = 2.45 sqrt(N) lists. bench/case.py's 80-image bank
# (40,000 descriptors): 500 lists searched a room photo in 4.3 ms, 800 (4 sqrt(N), before) in 5.5 ms.
LISTS_PER_ROOT = 2.5


def probes(lists: int, descriptors: int, minimum: int = NPROBE) -> int:
    """Inverted lists to search per query descriptor: about ``PROBED_POINTS`` descriptors' worth, so a bank
    whose lists are short (fewer images) is searched as deeply as a big one."""
    return min(lists, max(minimum, round(PROBED_POINTS * lists / max(1, descriptors))))


@dataclass(frozen=True, eq=False)
class Candidate:
    ref: int
    mirrored: bool
    votes: int
    rows: np.ndarray  # the query rows (of the plain or mirror set) that voted for it


@dataclass(frozen=True)
class KeypointHit:
    ref: int
    verification: Verification


@dataclass(frozen=True, eq=False)
class _Known:
    features: Features
    size: tuple[int, int]


class KeypointIndex:
    """Known images' features by ref; built lazily on the first query after a change, or read from ``cache``
    (see ``keypoint_cache``) when that file was built from the same refs."""

    def __init__(self, *, flat_limit: int = FLAT_LIMIT, nprobe: int = NPROBE, cache: Path | None = None) -> None:
        self._known: dict[int, _Known] = {}
        self._flat_limit, self._nprobe, self._cache = flat_limit, nprobe, cache
        self.loaded_from_cache = False
        self._faiss: faiss.IndexBinary | None = None
        self._owners = np.zeros(0, np.int64)  # faiss row -> ref

    def add(self, refs: Sequence[int], sets: Sequence[KeypointSet]) -> None:
        for ref, kset in zip(refs, sets, strict=True):
            plain = Features(kset.plain.xy[:BANK_FEATURES], kset.plain.descriptors[:BANK_FEATURES])
            self._known[ref] = _Known(plain, (kset.width, kset.height))
        self._faiss = None

    def remove(self, refs: Sequence[int]) -> None:
        """Takes effect at once: removed refs stop receiving votes before any rebuild."""
        for ref in refs:
            self._known.pop(ref, None)

    def __len__(self) -> int:
        return len(self._known)

    def descriptor_count(self) -> int:
        return sum(len(k.features) for k in self._known.values())

    def build(self) -> None:
        import faiss

        faiss.omp_set_num_threads(1)  # one query at a time per process; threads only contend on 2 cores
        refs = [r for r, k in self._known.items() if len(k.features)]
        key = keypoint_cache.stamp(refs, BANK_FEATURES, self._flat_limit, MAX_LISTS, LISTS_PER_ROOT)
        cached = keypoint_cache.load(self._cache, key) if self._cache else None
        self.loaded_from_cache = cached is not None
        if cached is not None:
            self._faiss, self._owners = cached
            self._tune()
            return
        self._build(refs)
        if self._cache and self._faiss is not None:
            keypoint_cache.save(self._cache, key, self._faiss, self._owners)

    def _build(self, refs: list[int]) -> None:
        import faiss

        codes = np.concatenate([self._known[r].features.descriptors for r in refs] or [np.zeros((0, 32), np.uint8)])
        self._owners = np.repeat(np.array(refs, np.int64), [len(self._known[r].features) for r in refs])
        rng = np.random.default_rng(0)
        if len(codes) <= self._flat_limit:
            index: faiss.IndexBinary = faiss.IndexBinaryFlat(256)
        elif (nlist := min(len(codes) // POINTS_PER_LIST, MAX_LISTS)) > FLAT_LISTS:
            # Many lists: centres are a random sample of the descriptors (k-means on 10^4 centres would take
            # minutes) and an HNSW graph over them assigns each descriptor and query to its nearest lists.
            quantizer = faiss.IndexBinaryHNSW(256, 16)
            quantizer.hnsw.efConstruction = 40
            quantizer.add(codes[rng.choice(len(codes), nlist, replace=False)])
            ivf = faiss.IndexBinaryIVF(quantizer, 256, nlist)
            ivf.own_fields = True
            quantizer.this.disown()  # type: ignore[attr-defined]  # SWIG's ownership handle, not in faiss's stubs
            index = ivf
        else:
            # Coarse clusters from a sample: >= 40 points a centroid, few k-means rounds (build time counts too).
            nlist = max(1, min(int(LISTS_PER_ROOT * math.sqrt(len(codes))), nlist))
            index = ivf = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(256), 256, nlist)
            ivf.cp.niter = 8
            ivf.train(codes[rng.choice(len(codes), min(len(codes), nlist * POINTS_PER_LIST), replace=False)])
        index.add(codes)
        self._faiss = index
        self._tune()

    def _tune(self) -> None:
        """Search-time settings, also for an index read from the cache (they are not part of its stamp)."""
        import faiss

        if isinstance(self._faiss, faiss.IndexBinaryIVF):
            self._faiss.nprobe = probes(self._faiss.nlist, self._faiss.ntotal, self._nprobe)
            quantizer = faiss.downcast_IndexBinary(self._faiss.quantizer)
            if isinstance(quantizer, faiss.IndexBinaryHNSW):
                quantizer.hnsw.efSearch = EF_SEARCH

    def search(self, descriptors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(distances, refs) of the ``K`` nearest known descriptors per row; ref -1 where none."""
        if self._faiss is None:
            self.build()
        assert self._faiss is not None  # build() made it
        distances, rows = self._faiss.search(np.ascontiguousarray(descriptors, np.uint8), K)
        refs = np.where(rows >= 0, self._owners[np.clip(rows, 0, None)] if len(self._owners) else -1, -1)
        return distances, refs

    def candidates(self, query: KeypointSet, *, limit: int = MAX_CANDIDATES,
                   allowed: Collection[int] | None = None) -> list[Candidate]:
        """Known images (plain or mirrored) ranked by how many query descriptors vote for them, each with
        the query rows (of its plain or mirror set) that voted."""
        n = len(query.plain)
        descriptors = np.concatenate([query.plain.descriptors, query.mirror.descriptors[:MIRROR_VOTERS]])
        if not len(descriptors) or not self._known:
            return []
        distances, refs = self.search(descriptors)
        ok = (distances <= MAX_HAMMING) & (refs >= 0)
        row = np.repeat(np.arange(len(descriptors)), K).reshape(-1, K)[ok]
        # one vote per row and image: (image key, row) pairs made unique as one int64 each, in the same order
        # (np.unique over the rows of a 2-column array sorts opaque records: 1.0 ms a room photo, now 0.3-0.45)
        span = len(descriptors)
        voted = np.unique((refs[ok].astype(np.int64) * 2 + (row >= n)) * span + row)
        pairs = np.stack([voted // span, voted % span], axis=1)
        keys, starts, votes = np.unique(pairs[:, 0], return_index=True, return_counts=True)
        ranked: list[Candidate] = []
        for i in np.argsort(-votes, kind="stable"):
            ref, mirrored = int(keys[i] // 2), bool(keys[i] % 2)
            if votes[i] < MIN_VOTES or len(ranked) == limit:
                break
            if ref in self._known and (allowed is None or ref in allowed):
                rows = pairs[starts[i]:starts[i] + votes[i], 1] - (n if mirrored else 0)
                ranked.append(Candidate(ref, mirrored, int(votes[i]), rows))
        return ranked

    def verify(self, query: KeypointSet, candidate: Candidate, *,
               min_inliers: int = MIN_INLIERS) -> Verification | None:
        """Ratio-test matches of the candidate's voting query rows against all its features, then the warp.
        Only voters are matched: a row none of whose nearest known descriptors is in this image rarely
        passes the ratio test, and matching 50-300 voters instead of every query row is most of the speed."""
        known = self._known.get(candidate.ref)
        feats = query.mirror if candidate.mirrored else query.plain
        if known is None or len(candidate.rows) < 2 or len(known.features) < 2:
            return None
        voters = feats.descriptors[candidate.rows]
        pairs = opencv().BFMatcher(opencv().NORM_HAMMING).knnMatch(voters, known.features.descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
        if len(good) < min_inliers:
            return None
        known_xy = known.features.xy[[m.trainIdx for m in good]]
        query_xy = feats.xy[candidate.rows[[m.queryIdx for m in good]]]
        return verify(known_xy, query_xy, known.size, (query.width, query.height), mirrored=candidate.mirrored,
                      min_inliers=min_inliers)

    def query(self, query: KeypointSet, *, min_inliers: int = MIN_INLIERS,
              allowed: Collection[int] | None = None) -> list[KeypointHit]:
        """Verified known images in the query (only ``allowed`` refs, when given), most inliers first; one hit
        per ref (plain or mirrored)."""
        best: dict[int, Verification] = {}
        for candidate in self.candidates(query, allowed=allowed):
            found = self.verify(query, candidate, min_inliers=min_inliers)
            if found and (candidate.ref not in best or found.inliers > best[candidate.ref].inliers):
                best[candidate.ref] = found
        return sorted((KeypointHit(r, v) for r, v in best.items()), key=lambda h: (-h.verification.inliers, h.ref))
