"""Hash lists: hashes only; python-threatexchange reads them unchanged; export → import → withdraw round trip."""

from __future__ import annotations

import csv
import enum
import io
import json
from pathlib import Path

import dacite
import pytest
from takedown_seed import CASE, Seeded
from threatexchange.exchanges.clients.stopncii import api as stopncii
from threatexchange.exchanges.impl.stop_ncii_api import _get_delta_mapping
from threatexchange.signal_type.pdq.pdq_index import PDQIndex
from threatexchange.signal_type.pdq.signal import PdqSignal

from reclaim.cases import Decision, review_item
from reclaim.errors import UserError
from reclaim.matching.matcher import Matcher
from reclaim.signals import get_signal
from reclaim.store import Store
from reclaim.takedown.exchange import Format, export_case, import_hashes

PYTX = dacite.Config(cast=[enum.Enum, set])  # the config pytx's StopNCII client parses records with


def _export(store: Store, fmt: Format, **options: object) -> str:
    with store.session() as session:
        return export_case(session, CASE, fmt, **options)  # type: ignore[arg-type]


def test_exports_carry_hashes_only(store: Store, seeded: list[Seeded]) -> None:
    for fmt in Format:
        text = _export(store, fmt)
        for private in (CASE, "room-a", "uploader1", "telegram:", "https://", "example", "confirmed in case"):
            assert private not in text, (fmt, private)
        assert all(s.pdq in text for s in seeded)
    assert '"RC-000001"' in _export(store, Format.STOPNCII_JSON)
    assert '"centre-7"' in _export(store, Format.STOPNCII_JSON, case_number="centre-7")


def test_hma_csv_loads_into_pytx_pdq_unchanged(store: Store, seeded: list[Seeded]) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(store, Format.HMA_CSV))))
    pdq_rows = [r for r in rows if r["signal_type"] == PdqSignal.get_name()]
    assert {r["signal_value"] for r in pdq_rows} == {s.pdq for s in seeded}
    assert all(PdqSignal.validate_signal_str(r["signal_value"]) == r["signal_value"] for r in pdq_rows)
    index = PDQIndex.build([(r["signal_value"], r["content_id"]) for r in pdq_rows])
    hits = index.query(seeded[2].pdq)
    assert [h.metadata for h in hits] == [seeded[2].sha256]  # content ids are the items' sha256


def test_stopncii_json_parses_with_pytx(store: Store, seeded: list[Seeded]) -> None:
    doc = json.loads(_export(store, Format.STOPNCII_JSON))
    response = dacite.from_dict(stopncii.FetchHashesResponse, {**doc, "hashRecords": []}, config=PYTX)
    records = [dacite.from_dict(stopncii.StopNCIIHashRecord, r, config=PYTX) for r in doc["hashRecords"]]
    assert response.count == len(records) == len(seeded) and not response.hasMoreRecords
    assert {r.signalType for r in records} == {stopncii.StopNCIISignalType.ImagePDQ}
    assert all(r.hashStatus is stopncii.StopNCIICaseStatus.Active for r in records)
    assert {_get_delta_mapping(r)[0] for r in records} == {(PdqSignal.get_name(), s.pdq) for s in seeded}


def test_export_import_withdraw_round_trip_without_restart(store: Store, seeded: list[Seeded],
                                                           tmp_path: Path) -> None:
    pdq = get_signal("pdq")
    shared = tmp_path / "case-hashes.json"
    shared.write_text(_export(store, Format.STOPNCII_JSON))

    def matches(value: str) -> list[str]:
        with store.session() as session:
            return [m.bank for m in Matcher.from_store(session, ["partner"]).match([pdq.value(value)]).matches]

    with store.session() as session:
        report = import_hashes(session, shared, "partner")
    assert (report.added, report.present, report.withdrawn) == (len(seeded), 0, 0)
    assert matches(seeded[0].pdq) == ["partner"] and matches(seeded[1].pdq) == ["partner"]
    with store.session() as session:
        assert import_hashes(session, shared, "partner").present == len(seeded)  # importing again is harmless

    with store.session() as session:  # the owner takes item 0 back; its withdrawal list goes out
        review_item(session, CASE, seeded[0].locator, Decision.NOT_A_MATCH, "reviewer")
    for fmt, name in ((Format.HMA_CSV, "withdrawn.csv"), (Format.STOPNCII_JSON, "withdrawn.json")):
        (tmp_path / name).write_text(_export(store, fmt, withdrawals=True))
    with store.session() as session:
        report = import_hashes(session, tmp_path / "withdrawn.csv", "partner")
        assert report.withdrawn == 1 and report.added == 0
        assert import_hashes(session, tmp_path / "withdrawn.json", "partner").withdrawn == 0  # already gone
    assert matches(seeded[0].pdq) == []
    assert matches(seeded[1].pdq) == ["partner"]


def test_bad_lists_change_nothing(store: Store, seeded: list[Seeded], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(f"signal_type,signal_value\npdq,{seeded[0].pdq}\npdq,nothex\n")
    with store.session() as session, pytest.raises(UserError, match="bad.csv:3: not a pdq hash"):
        import_hashes(session, bad, "partner")
    other = tmp_path / "other.csv"
    other.write_text("a,b\n1,2\n")
    with store.session() as session, pytest.raises(UserError, match="not an HMA CSV"):
        import_hashes(session, other, "partner")
    tmx = tmp_path / "tmk.json"
    tmx.write_text(json.dumps({"hashRecords": [{"signalType": "VideoTMK", "hashValue": "x", "hashStatus": "Active"}]}))
    with store.session() as session:
        assert import_hashes(session, tmx, "partner").ignored == 1
