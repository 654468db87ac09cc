"""A scan reads its source as a stream: items are stored batch by batch while the source is still being read,
so a huge export never sits in memory whole."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select

from reclaim.models import MediaItem, Skipped
from reclaim.scan.scanner import BATCH_ITEMS, scan_source
from reclaim.sources import Source
from reclaim.store import Store
from reclaim.store.models import Item
from reclaim.synthetic.scenes import jpeg_bytes, scene

N_ITEMS = 3 * BATCH_ITEMS + 17


class _Messages(Source):
    """Message after message: most with media the export left out, some photos, one bad path."""

    name = "test-stream"

    def __init__(self, target: str, store: Store, photos: list[Path]) -> None:
        super().__init__(target)
        self.store, self.photos, self.behind = store, photos, 0

    @classmethod
    def claims(cls, target: str) -> bool:
        return False

    def iter_items(self, resume_after: str | None = None) -> Iterator[MediaItem | Skipped]:
        for n in range(N_ITEMS):
            if n % BATCH_ITEMS == 0:  # how far behind the source is the store?
                with self.store.session() as session:
                    self.behind = max(self.behind, n - session.scalar(select(func.count(Item.id))))
            if n == 5:
                yield Skipped(f"m:{n}", f"m:{n}: media path leaves the export", "path_escapes_root")
            elif n % 100 == 1:
                yield MediaItem(f"m:{n}", self.photos[n % len(self.photos)], context={"n": n})
            else:
                yield MediaItem(f"m:{n}", context={"n": n, "missing_media": True})


def test_items_are_stored_while_the_source_is_read(store: Store, tmp_path: Path) -> None:
    photos = [tmp_path / f"p{i}.jpg" for i in range(3)]
    for i, path in enumerate(photos):
        path.write_bytes(jpeg_bytes(scene(seed=i), 85))
    source = _Messages("export", store, photos)
    report = scan_source(store, "c", source, workers=1)
    assert (report.items, report.hashed, report.missing_media) == (N_ITEMS, 8, N_ITEMS - 9)
    assert [s.code for s in report.failed] == ["path_escapes_root"]
    assert source.behind <= BATCH_ITEMS  # never more than a batch read ahead of what is stored
    again = scan_source(store, "c", _Messages("export", store, photos), workers=1)
    assert (again.hashed, again.reused, len(again.failed)) == (0, 8, 1)
    with store.session() as session:
        assert session.scalar(select(func.count(Item.id))) == N_ITEMS
