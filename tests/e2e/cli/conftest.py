"""Fixtures of the CLI tests: one local Ray cluster shared by the Ray tests that a test process runs in a row."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from reclaim.engines.ray_engine import RayEngine

MARK = "ray_cluster"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{MARK}: a module whose tests may use the ray_cluster fixture; the cluster "
                                       "stops after the last test of a run of such modules")


class _Cluster:
    """The local cluster, started on first use and stopped when the next test is in a module not marked
    ``ray_cluster``: each start costs 10-30 s of Ray's own processes, and an idle cluster still takes ~8 % of a core
    and ~1 GB, which a session-long one would hold through the rest of the suite.

    It is started by the ray engine itself given no address, the one check that ``--engine ray`` without an
    address starts a cluster of its own and stops it when done; so it asserts that: no cluster before, one with
    the CPUs asked for during, none after. (``ray start`` would be no cheaper, and it records its cluster in
    /tmp/ray for any later address-less ``ray.init()`` to join, another test run's included.)"""

    engine: RayEngine[Any, Any] | None = None
    address = ""

    @classmethod
    def start(cls) -> str:
        if cls.engine is None:
            ray = pytest.importorskip("ray", reason="needs reclaim[ray]")
            from reclaim.engines.ray_engine import RayEngine

            with pytest.MonkeyPatch.context() as env:
                env.delenv("RAY_ADDRESS", raising=False)
                assert not ray.is_initialized()
                cls.engine = RayEngine(workers=2)  # what `reclaim scan --engine ray --workers 2` makes
            assert ray.cluster_resources()["CPU"] == cls.engine.slots == 2
            cls.address = ray.get_runtime_context().gcs_address
        return cls.address

    @classmethod
    def stop(cls) -> None:
        if cls.engine is not None:
            import ray

            cls.engine.close()
            cls.engine = None
            assert not ray.is_initialized()


@pytest.fixture
def ray_cluster(request: pytest.FixtureRequest) -> str:
    """The GCS address of the shared cluster. This process is its first driver, so in-process CLI runs use it as
    is; child CLIs join it through RAY_ADDRESS, and it outlives any of them that is killed."""
    assert request.node.get_closest_marker(MARK), f"mark the module pytestmark = pytest.mark.{MARK}"
    return _Cluster.start()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None or nextitem.get_closest_marker(MARK) is None:
        _Cluster.stop()
