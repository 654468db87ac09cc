"""The custody log: every kind of tampering is caught by verify_log with a message naming where."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reclaim.errors import AlreadyExists, IntegrityError, NotFound, UserError
from reclaim.evidence import CustodyLog, Entry, SignedHead, SigningKey, read_entries, verify_log
from reclaim.evidence.chain import GENESIS_HASH, sig_path


def lines(log: CustodyLog) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def write(log: CustodyLog, new: list[bytes]) -> None:
    log.path.write_bytes(b"".join(new))


def rechain(entries: list[Entry]) -> list[bytes]:
    """What a forger without the key can do: renumber and recompute every hash after an edit."""
    out, prev = [], GENESIS_HASH
    for seq, e in enumerate(entries, 1):
        entry = Entry.make(seq, e.time, e.actor, e.action, e.object_sha256, e.details, prev)
        out.append(entry.line())
        prev = entry.entry_hash
    return out


def resign(log: CustodyLog, key: SigningKey, *, claimed: str | None = None) -> None:
    """Replace custody.sig with a valid signature of the same head by ``key``."""
    head = SignedHead.read(sig_path(log.path))
    public = claimed or key.public_key.hex
    unsigned = SignedHead(head.seq, head.head_hash, head.signed_at, public, "")
    signed = SignedHead(head.seq, head.head_hash, head.signed_at, public, key.sign(unsigned.message()).hex())
    sig_path(log.path).write_bytes(signed.to_json())


def test_intact_log_verifies_and_reads_back(log: CustodyLog, key: SigningKey) -> None:
    verify_log(log.path, key.public_key)
    entries = read_entries(log.path)
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5, 6]
    assert entries[0].action == "custody.created"
    assert entries[0].details["key_fingerprint"] == key.public_key.fingerprint
    assert entries[0].prev_hash == GENESIS_HASH
    assert all(b.prev_hash == a.entry_hash for a, b in zip(entries, entries[1:], strict=False))
    assert entries[-1].actor == "검토자 이" and entries[-1].details == {"note": "같은 사진"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", entries[-1].time)
    assert "같은 사진" in log.path.read_text(encoding="utf-8")  # readable UTF-8, not \u escapes
    head = SignedHead.read(sig_path(log.path))
    assert (head.seq, head.head_hash, head.public_key) == (6, entries[-1].entry_hash, key.public_key.hex)


def test_changed_byte_in_an_entry(log: CustodyLog, key: SigningKey) -> None:
    content = lines(log)
    content[2] = content[2].replace(b"telegram:-100123/1", b"telegram:-100123/7")
    write(log, content)
    with pytest.raises(IntegrityError, match=r"custody.jsonl line 3: entry seq 3 was changed \(hash mismatch\)"):
        verify_log(log.path, key.public_key)


def test_changed_byte_that_breaks_json(log: CustodyLog, key: SigningKey) -> None:
    data = bytearray(log.path.read_bytes())
    data[data.index(b'"seq":4') - 1] = ord("#")
    log.path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match="line 4: not a valid JSON entry"):
        verify_log(log.path, key.public_key)


def test_entry_removed(log: CustodyLog, key: SigningKey) -> None:
    content = lines(log)
    del content[2]
    write(log, content)
    with pytest.raises(IntegrityError, match="line 3: expected seq 3, found seq 4 .*removed, inserted or reordered"):
        verify_log(log.path, key.public_key)


def test_entry_removed_and_seqs_renumbered(log: CustodyLog, key: SigningKey) -> None:
    entries = read_entries(log.path)
    del entries[2]
    forged = [e.line() for e in entries[:2]]
    for e in entries[2:]:  # renumbered with correct self-hashes, but the old prev_hash kept
        forged.append(Entry.make(e.seq - 1, e.time, e.actor, e.action, e.object_sha256, e.details, e.prev_hash).line())
    write(log, forged)
    with pytest.raises(IntegrityError, match="seq 3: prev_hash does not match the hash of seq 2"):
        verify_log(log.path, key.public_key)


def test_entry_inserted(log: CustodyLog, key: SigningKey) -> None:
    entries = read_entries(log.path)
    fake = Entry.make(3, entries[2].time, "intruder", "item.acquired", None, {}, entries[1].entry_hash)
    content = lines(log)
    content.insert(2, fake.line())
    write(log, content)
    with pytest.raises(IntegrityError, match="line 4: expected seq 4, found seq 3"):
        verify_log(log.path, key.public_key)


def test_entries_reordered(log: CustodyLog, key: SigningKey) -> None:
    content = lines(log)
    content[2], content[3] = content[3], content[2]
    write(log, content)
    with pytest.raises(IntegrityError, match="line 3: expected seq 3, found seq 4"):
        verify_log(log.path, key.public_key)


def test_whole_chain_rewritten_after_an_edit(log: CustodyLog, key: SigningKey) -> None:
    entries = read_entries(log.path)
    entries[2] = Entry.make(3, entries[2].time, "someone else", entries[2].action, None, {}, "")
    write(log, rechain(entries))
    with pytest.raises(IntegrityError, match="seq 6: entry hash differs from the signed head hash"):
        verify_log(log.path, key.public_key)


def test_truncated_log(log: CustodyLog, key: SigningKey) -> None:
    write(log, lines(log)[:4])
    with pytest.raises(IntegrityError, match="truncated: the head signature covers seq 6 but the log ends at seq 4"):
        verify_log(log.path, key.public_key)


def test_entries_appended_without_the_key(log: CustodyLog, key: SigningKey) -> None:
    last = read_entries(log.path)[-1]
    extra = Entry.make(7, last.time, "intruder", "item.deleted", None, {}, last.entry_hash)
    log.path.write_bytes(log.path.read_bytes() + extra.line())
    with pytest.raises(IntegrityError, match=r"entries seq 7..7 are not covered by the head signature"):
        verify_log(log.path, key.public_key)


def test_signature_replaced_by_another_keys(log: CustodyLog, key: SigningKey) -> None:
    other = SigningKey.generate()
    resign(log, other)
    expected = f"custody.sig: signed by key {other.public_key.hex[:16]}.*not the case key"
    with pytest.raises(IntegrityError, match=expected):
        verify_log(log.path, key.public_key)
    resign(log, other, claimed=key.public_key.hex)  # another key's signature under the case key's name
    with pytest.raises(IntegrityError, match="custody.sig: signature invalid"):
        verify_log(log.path, key.public_key)
    resign(log, other)
    verify_log(log.path, other.public_key)  # self-consistent, so only the expected key catches it


def test_signature_byte_flipped_or_missing(log: CustodyLog, key: SigningKey) -> None:
    doc = json.loads(sig_path(log.path).read_text())
    doc["signature"] = ("1" if doc["signature"][0] == "0" else "0") + doc["signature"][1:]
    sig_path(log.path).write_text(json.dumps(doc))
    with pytest.raises(IntegrityError, match="signature invalid"):
        verify_log(log.path, key.public_key)
    sig_path(log.path).unlink()
    with pytest.raises(IntegrityError, match="custody.sig: missing"):
        verify_log(log.path, key.public_key)


def test_open_refuses_to_sign_over_tampering(log: CustodyLog, key: SigningKey) -> None:
    write(log, lines(log)[:4])
    before = (log.path.read_bytes(), sig_path(log.path).read_bytes())
    with pytest.raises(IntegrityError, match="truncated"):
        CustodyLog.open(log.path, key)
    with pytest.raises(IntegrityError, match="truncated"):
        log.append("officer kim", "item.acquired")
    assert (log.path.read_bytes(), sig_path(log.path).read_bytes()) == before
    with pytest.raises(IntegrityError, match="signed by key"):
        CustodyLog.open(log.path, SigningKey.generate())


def test_bad_entries_are_refused_and_nothing_is_written(log: CustodyLog) -> None:
    before = log.path.read_bytes()
    with pytest.raises(UserError, match="object_sha256 must be 64 lowercase hex"):
        log.append("officer kim", "item.acquired", "ABC")
    with pytest.raises(UserError, match="non-empty actor and action"):
        log.append(" ", "item.acquired")
    with pytest.raises(UserError, match="not plain JSON"):
        log.append("officer kim", "item.acquired", None, {"bad": {1, 2}})
    with pytest.raises(UserError, match="not plain JSON"):
        log.append("officer kim", "item.acquired", None, {"x": float("nan")})
    assert log.path.read_bytes() == before


def test_batch_appends_under_one_signature(log: CustodyLog, key: SigningKey) -> None:
    with log.batch() as add:
        added = [add("scanner", "item.acquired", f"{n:064x}", {"n": n}) for n in range(100)]
    assert [e.seq for e in added] == list(range(7, 107))
    verify_log(log.path, key.public_key)
    with pytest.raises(RuntimeError), log.batch() as add:
        add("scanner", "item.acquired")
        raise RuntimeError("scan crashed")
    verify_log(log.path, key.public_key)  # the entry added before the crash is committed and signed
    assert read_entries(log.path)[-1].seq == 107


def test_two_writers_on_one_log_keep_the_chain(log: CustodyLog, key: SigningKey) -> None:
    other = CustodyLog.open(log.path, key)
    for n in range(5):
        log.append("a", "x", None, {"n": n})
        other.append("b", "y", None, {"n": n})
    verify_log(log.path, key.public_key)
    assert [e.actor for e in read_entries(log.path)[-4:]] == ["a", "b", "a", "b"]


def test_create_and_open_errors(log: CustodyLog, key: SigningKey, tmp_path: Path) -> None:
    with pytest.raises(AlreadyExists, match="already there"):
        CustodyLog.create(log.path, key, actor="x")
    with pytest.raises(NotFound, match="no custody log"):
        CustodyLog.open(tmp_path / "nowhere" / "custody.jsonl", key)
    with pytest.raises(IntegrityError, match="custody log missing"):
        verify_log(tmp_path / "nowhere" / "custody.jsonl", key.public_key)


def test_torn_last_line_is_cut_kept_and_logged(log: CustodyLog, key: SigningKey) -> None:
    intact = log.path.read_bytes()
    torn = b'{"action":"item.acquired","actor":"officer kim","det'
    log.path.write_bytes(intact + torn)
    with pytest.raises(IntegrityError, match="line 7: incomplete last line"):
        verify_log(log.path, key.public_key)
    reopened = CustodyLog.open(log.path, key)
    assert reopened.recovered["torn_tail"]["length"] == len(torn)
    assert reopened.recovered["torn_tail"]["offset"] == len(intact)
    verify_log(log.path, key.public_key)
    assert log.path.read_bytes().startswith(intact)  # nothing before the torn line was lost
    last = read_entries(log.path)[-1]
    assert (last.seq, last.actor, last.action) == (7, "reclaim", "custody.recovered")
    kept = json.loads(log.path.with_suffix(".torn").read_text())
    assert bytes.fromhex(kept["bytes_hex"]) == torn


def test_entries_after_the_signed_head_are_kept_and_signed(log: CustodyLog, key: SigningKey) -> None:
    old_sig = sig_path(log.path).read_bytes()
    log.append("officer kim", "export.created")  # then pretend the signature rename never happened
    sig_path(log.path).write_bytes(old_sig)
    with pytest.raises(IntegrityError, match="entries seq 7..7 are not covered"):
        verify_log(log.path, key.public_key)
    reopened = CustodyLog.open(log.path, key)
    assert reopened.recovered == {"unsigned_entries": [7, 7]}
    verify_log(log.path, key.public_key)
    assert [e.action for e in read_entries(log.path)[-2:]] == ["export.created", "custody.recovered"]
