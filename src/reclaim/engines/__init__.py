"""Where per-item work runs: in this process, on a pool of local processes, or on a Ray cluster.

The work itself (``hashing._hash_chunk``) is the same on every engine; an engine only decides where a chunk
runs and reports a chunk whose worker died, so the caller can retry its items one by one.
"""

from reclaim.engines.base import Engine, Outcome
from reclaim.engines.local import LocalEngine
from reclaim.engines.process import ProcessEngine
from reclaim.engines.registry import ENGINE_NAMES, engine_for

__all__ = ["ENGINE_NAMES", "Engine", "LocalEngine", "Outcome", "ProcessEngine", "engine_for"]
