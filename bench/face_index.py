"""Face descriptor search beyond 100 k enrolled descriptors: HNSW (FAISS) against exact search, same run.

Descriptors are synthetic but shaped like dlib's: people as random centres, each with several photos
scattered ~0.3 around the centre (dlib's same-person distances are mostly 0.3-0.5, different people 0.7+).
Queries are new photos of enrolled people (each should find that person's photos within 0.6) plus
strangers. Recall = share of the exact search's in-range results that the approximate search also returns.
Target (issue 7): recall >= 0.99.

    .venv/bin/python bench/face_index.py [--people 40000] [--photos 5] [--queries 2000] [--no-append]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
from record import Figure, append_section, machine, table

from reclaim.index.face_vectors import HNSW_BUILD, HNSW_LINKS, HNSW_SEARCH, NEIGHBOURS, FaceVectorIndex

THRESHOLD = 0.6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=40_000)
    parser.add_argument("--photos", type=int, default=5)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    centres = rng.normal(0, 0.09, (args.people, 128)).astype(np.float32)
    spread = 0.3 / np.sqrt(128)
    vectors = (centres[:, None, :] + rng.normal(0, spread, (args.people, args.photos, 128))).reshape(-1, 128)
    vectors = vectors.astype(np.float32)
    refs = list(range(len(vectors)))
    cache = Path(tempfile.mkdtemp(prefix="face-graph-"))
    exact = FaceVectorIndex(approximate_from=len(vectors) + 1)
    graph = FaceVectorIndex(approximate_from=1, cache_dir=cache)
    exact.add_vectors(refs, vectors)
    graph.add_vectors(refs, vectors)
    assert graph.approximate and not exact.approximate
    start = time.perf_counter()
    graph.query_vector(vectors[0], THRESHOLD)  # builds the graph and saves it
    build = time.perf_counter() - start
    graph = FaceVectorIndex(approximate_from=1, cache_dir=cache)  # the next process: same enrolment
    graph.add_vectors(refs, vectors)
    start = time.perf_counter()
    graph.query_vector(vectors[0], THRESHOLD)  # reopens the saved graph
    reopen = time.perf_counter() - start
    shutil.rmtree(cache)

    known = rng.integers(0, args.people, args.queries // 2)
    queries = np.concatenate([centres[known] + rng.normal(0, spread, (len(known), 128)),
                              rng.normal(0, 0.09, (args.queries - len(known), 128))]).astype(np.float32)
    timings, results = {}, {}
    for name, index in (("exact", exact), ("hnsw", graph)):
        start = time.perf_counter()
        results[name] = [{m.ref for m in index.query_vector(q, THRESHOLD)} for q in queries]
        timings[name] = time.perf_counter() - start
    wanted = sum(len(w) for w in results["exact"])
    kept = sum(len(w & g) for w, g in zip(results["exact"], results["hnsw"], strict=True))
    extra = sum(len(g - w) for w, g in zip(results["exact"], results["hnsw"], strict=True))
    recall = kept / wanted if wanted else 1.0
    rows = [
        ["exact (numpy brute force)", f"{args.queries / timings['exact']:,.0f}", "1.000", "", "", ""],
        [f"HNSW (M {HNSW_LINKS}, efConstruction {HNSW_BUILD}, efSearch {HNSW_SEARCH}, {NEIGHBOURS} neighbours)",
         f"{args.queries / timings['hnsw']:,.0f}",
         f"{recall:.4f}", str(extra), f"{build:.1f}", f"{reopen:.2f}"],
    ]
    body = (f"{len(vectors):,} descriptors ({args.people:,} people x {args.photos} photos), {args.queries:,} "
            f"queries (half new photos of enrolled people, half strangers), threshold {THRESHOLD}; {wanted:,} "
            f"in-range results by exact search; {machine()}.\n\n"
            + table(["search", "queries/s (one at a time)", "recall vs exact", "results exact did not give",
                     "graph build (s)", "graph reopened from its file (s)"], rows)
            + "\n\nTarget: recall >= 0.99.")
    print(body)
    if not args.no_append:
        size = f"{len(vectors):,} descriptors, {args.queries:,} queries"
        figures = [Figure("HNSW recall vs exact search", f"{recall:.4f}", ">= 0.99", recall >= 0.99, size),
                   Figure("HNSW / exact queries/s", f"{timings['exact'] / timings['hnsw']:.1f}x", "", None, size)]
        append_section(f"Face descriptor search at {len(vectors):,} descriptors (bench/face_index.py)", body,
                       figures)


if __name__ == "__main__":
    main()
