"""Fixtures of the CLI tests: one local Ray cluster for every Ray test of a test process."""

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """A local Ray cluster (2 CPUs) started once, by the ray engine itself given no address: each start costs 10-30 s
    of Ray's own processes and ~1 GB. This process is its first driver, so in-process CLI runs use it as is; child
    CLIs join it through RAY_ADDRESS (the yielded GCS address), and it outlives any of them that is killed.

    The start is the one check that ``--engine ray`` without an address starts a cluster of its own (and stops it
    when done), so it asserts that: no cluster before, one with the CPUs asked for during, none after.
    (``ray start`` would be no cheaper, and it records its cluster in /tmp/ray for any later address-less
    ``ray.init()`` to join, another test run's included.)"""
    ray = pytest.importorskip("ray", reason="needs reclaim[ray]")
    from reclaim.engines.ray_engine import RayEngine

    with pytest.MonkeyPatch.context() as env:
        env.delenv("RAY_ADDRESS", raising=False)
        assert not ray.is_initialized()
        engine = RayEngine(workers=2)  # what `reclaim scan --engine ray --workers 2` makes
    assert ray.cluster_resources()["CPU"] == engine.slots == 2
    yield ray.get_runtime_context().gcs_address
    engine.close()
    assert not ray.is_initialized()
