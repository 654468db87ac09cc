"""The self-report library: numbers and PINs, all-or-nothing banking, PIN checks, withdrawal kept on record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reclaim.errors import InvalidHash, NotFound, UserError
from reclaim.matching.matcher import Matcher
from reclaim.models import BankKind, SignalValue
from reclaim.selfreports import (
    BANK_NAME,
    ReportedItem,
    attach_report,
    create_report,
    find_report,
    note_lookup_matches,
    report_status,
    withdraw_report,
)
from reclaim.selfreports.service import normalise_number
from reclaim.store import Store
from reclaim.store.models import Bank, BankContent, SelfReport

PDQ = "2d6b1af3a956c529e79ca3d2526fa834d4196c81cedd04de0a26b855fc99b724"
ITEM = ReportedItem(md5="d35c785545392755e7e4164457657269", sha256="ab" * 32, pdq=PDQ, pdq_quality=90)


def matches(store: Store) -> list[str]:
    with store.session() as session:
        found = Matcher.from_store(session).match([SignalValue("pdq", "1", PDQ, 100)]).matches
    return [m.content_id for m in found]


def test_create_banks_each_item_once_in_the_self_report_bank(store: Store) -> None:
    with store.session() as session:
        report, pin = create_report(session, [ITEM, ITEM, ReportedItem(md5="0" * 32)])
        number, prefix = report.number, report.content_prefix
        bank = session.scalar(select(Bank).where(Bank.name == BANK_NAME))
        assert bank is not None and bank.kind == BankKind.SELF_REPORT.value
        assert report_status(session, report).active == 2  # the repeated photo is banked once
    assert len(pin) == 8 and pin.isdigit()
    assert normalise_number(number.lower().replace("-", " ")) == number
    assert matches(store) == [f"{prefix}/1"] and number not in prefix


def test_pin_checks(store: Store) -> None:
    with store.session() as session:
        report, pin = create_report(session, [ITEM])
        number = report.number
    with store.session() as session:
        assert find_report(session, number, pin) is not None
        assert find_report(session, number.lower(), f" {pin[:4]}-{pin[4:]} ") is not None  # as people type it
        assert find_report(session, number, "0" + pin[1:] if pin[0] != "0" else "1" + pin[1:]) is None
        assert find_report(session, "SR-2222-2222", pin) is None


def test_withdrawal_is_kept_on_record_and_stops_matching(store: Store) -> None:
    with store.session() as session:
        report, _ = create_report(session, [ITEM])
        number, prefix = report.number, report.content_prefix
    with store.session() as session:
        report = session.scalar(select(SelfReport).where(SelfReport.number == number))
        assert report is not None and withdraw_report(session, report) == 1
        assert withdraw_report(session, report) == 0  # again: nothing left to withdraw
    assert matches(store) == []
    with store.session() as session:
        rows = session.scalars(select(BankContent)).all()
        assert [(r.content_id, r.withdrawn_at is not None) for r in rows] == [(f"{prefix}/1", True)]


@pytest.mark.parametrize(("item", "error"), [
    (ReportedItem(md5="xyz"), InvalidHash), (ReportedItem(md5="0" * 32, pdq=PDQ), UserError),
    (ReportedItem(md5="0" * 32, pdq="0" * 63, pdq_quality=90), InvalidHash),
])
def test_bad_items_bank_nothing(store: Store, item: ReportedItem, error: type[Exception]) -> None:
    with store.session() as session, pytest.raises(error):
        create_report(session, [ITEM, item])
    with store.session() as session:
        assert session.scalars(select(SelfReport)).all() == []
    with store.session() as session, pytest.raises(UserError):
        create_report(session, [])


def test_lookup_matches_are_counted_per_report_and_reports_attach_to_cases(store: Store, cli, known_jpeg) -> None:  # noqa: ANN001
    with store.session() as session:
        first, _ = create_report(session, [ITEM])
        second, _ = create_report(session, [ReportedItem(md5="1" * 32)])
        numbers, prefix = (first.number, second.number), first.content_prefix
    with store.session() as session:
        note_lookup_matches(session, [f"{prefix}/1", f"{prefix}/1", "IMG_1.jpg", "x/1", f"{numbers[1]}/1"])
    assert cli("scan", known_jpeg.parent, "--case", "school-7").code in (0, 1)
    with store.session() as session:
        counts = dict(session.execute(select(SelfReport.number, SelfReport.lookup_matches)).all())
        assert counts == {numbers[0]: 1, numbers[1]: 0}
        attached = attach_report(session, numbers[1], "school-7", "user:kim")
        assert attached.case_id is not None and attached.attached_by == "user:kim"
        with pytest.raises(NotFound):
            attach_report(session, numbers[1], "no-such-case", "user:kim")
        with pytest.raises(NotFound):
            attach_report(session, "SR-2222-2222", "school-7", "user:kim")
