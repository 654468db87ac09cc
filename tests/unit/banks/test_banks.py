"""Banks in the store (SQLite and PostgreSQL): create, add, withdraw, list, HMA CSV round trip."""

from pathlib import Path

import pytest

from reclaim.banks import (
    add_content,
    create_bank,
    export_hma_csv,
    get_bank,
    import_hma_csv,
    list_banks,
    withdraw_content,
)
from reclaim.errors import AlreadyExists, InvalidHash, NotFound, UserError
from reclaim.matching.matcher import Matcher
from reclaim.models import BankKind, SignalValue
from reclaim.store import Store

PDQ_A = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
SHA = "b5b0799616df52d475a3968dc7e54f1d0724c912244ffa6175bc786375dd7298"


def pdq(value: str, quality: int = 100) -> SignalValue:
    return SignalValue("pdq", "1", value, quality)


def test_create_list_and_duplicate(store: Store) -> None:
    with store.session() as s:
        create_bank(s, "known", BankKind.KNOWN)
        create_bank(s, "mine", BankKind.REFERENCE, pdq_threshold=20)
    with store.session() as s, pytest.raises(AlreadyExists, match="bank known already exists"):
        create_bank(s, "known")
    with store.session() as s:
        summary = {b.name: b for b in list_banks(s)}
    assert summary["mine"].kind is BankKind.REFERENCE and summary["mine"].pdq_threshold == 20
    assert summary["known"].active == 0


@pytest.mark.parametrize("threshold", [-1, 129])
def test_threshold_out_of_range_is_refused(store: Store, threshold: int) -> None:
    with store.session() as s, pytest.raises(UserError, match="threshold"):
        create_bank(s, "b", pdq_threshold=threshold)


def test_unknown_bank_names_the_known_ones(store: Store) -> None:
    with store.session() as s:
        create_bank(s, "alpha")
    with store.session() as s, pytest.raises(NotFound, match="no bank named 'beta' \\(banks: alpha\\)"):
        get_bank(s, "beta")


def test_withdrawn_entries_never_match_and_stay_on_record(store: Store) -> None:
    with store.session() as s:
        bank = create_bank(s, "known")
        add_content(s, bank, "c1", [pdq(PDQ_A)])
    with store.session() as s:
        assert Matcher.from_store(s).match([pdq(PDQ_A)]).matches
        withdraw_content(s, "known", "c1")
    with store.session() as s:
        assert Matcher.from_store(s).match([pdq(PDQ_A)]).matches == []
        (summary,) = list_banks(s)
        assert (summary.active, summary.withdrawn) == (0, 1)
        with pytest.raises(AlreadyExists, match="withdrawn"):
            add_content(s, get_bank(s, "known"), "c1", [pdq(PDQ_A)])


def test_withdraw_unknown_content(store: Store) -> None:
    with store.session() as s:
        create_bank(s, "known")
    with store.session() as s, pytest.raises(NotFound, match="no content id 'nope'"):
        withdraw_content(s, "known", "nope")


def test_hma_csv_round_trip(store: Store, tmp_path: Path) -> None:
    with store.session() as s:
        bank = create_bank(s, "src")
        add_content(s, bank, "photo-1", [SignalValue("sha256", "1", SHA), pdq(PDQ_A, 87)], note="from victim")
        add_content(s, bank, "photo-2", [pdq("f" * 64)])
        withdraw_content(s, "src", "photo-2")
        csv_text = export_hma_csv(s, "src")
    assert csv_text.splitlines()[0].startswith("signal_type,signal_value,content_id")
    assert "ffffffff" not in csv_text  # withdrawn entries are not shared
    path = tmp_path / "bank.csv"
    path.write_text(csv_text)
    with store.session() as s:
        create_bank(s, "dst")
        assert import_hma_csv(s, "dst", path) == 1
        assert export_hma_csv(s, "dst").splitlines()[1:] != []
        dst_rows = {tuple(r.split(",")[:4]) for r in export_hma_csv(s, "dst").splitlines()[1:]}
    assert dst_rows == {("sha256", SHA, "photo-1", ""), ("pdq", PDQ_A, "photo-1", "87")}


def test_import_accepts_bare_rows_and_pytx_header(store: Store, tmp_path: Path) -> None:
    bare = tmp_path / "bare.csv"
    bare.write_text(f"pdq,{PDQ_A.upper()}\nmd5,d35c785545392755e7e4164457657269\n")
    pytx = tmp_path / "pytx.csv"
    pytx.write_text(f"signal_type,signal_str\npdq,{'0' * 64}\n")
    with store.session() as s:
        create_bank(s, "b")
        assert import_hma_csv(s, "b", bare) == 2
        assert import_hma_csv(s, "b", pytx) == 1
        assert Matcher.from_store(s).match([pdq(PDQ_A)]).matches[0].content_id == f"pdq:{PDQ_A}"


def test_bad_row_names_file_and_line_and_writes_nothing(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"signal_type,signal_value\npdq,{PDQ_A}\npdq,not-a-hash\n")
    with store.session() as s:
        create_bank(s, "b")
    with store.session() as s, pytest.raises(UserError, match=r"bad\.csv:3: not a pdq hash") as info:
        import_hma_csv(s, "b", path)
    assert isinstance(info.value.__cause__, InvalidHash)
    with store.session() as s:
        assert list_banks(s)[0].active == 0


def test_unknown_signal_type_in_csv(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "tmk.csv"
    path.write_text("signal_type,signal_value\ntmk,abc\n")
    with store.session() as s:
        create_bank(s, "b")
    with store.session() as s, pytest.raises(UserError, match=r"tmk\.csv:2: unknown signal type 'tmk'"):
        import_hma_csv(s, "b", path)
