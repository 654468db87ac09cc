"""Fixtures of the CLI tests: one local Ray cluster for every Ray test of a test process."""

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[str]:
    """A local Ray cluster (2 CPUs), started once: each start costs 10-30 s of Ray's own processes and ~1 GB.
    This process is its first driver, so in-process CLI runs use it as is; child CLIs join it with RAY_ADDRESS
    (the yielded GCS address). Started by ``ray.init``, not ``ray start``: ``ray start`` records its cluster in
    /tmp/ray for any later ``ray.init()`` without an address to join, which would hide whether the engine starts
    a cluster of its own, and could join another test run's."""
    ray = pytest.importorskip("ray", reason="needs reclaim[ray]")
    context = ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    yield context.address_info["gcs_address"]
    ray.shutdown()
