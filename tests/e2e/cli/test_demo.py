"""``reclaim demo`` end to end: everything under --out, every re-upload found, no decoy flagged."""

import json
from pathlib import Path


def test_demo_runs_offline_finds_every_reupload_and_runs_again(cli, tmp_path: Path, reclaim_home: Path,
                                                              monkeypatch) -> None:
    out = tmp_path / "demo"
    result = cli("demo", "--out", out)
    assert result.code == 0, result.err
    report = json.loads((out / "report.json").read_text())
    found, total = map(int, report["reuploads_found"].split("/"))
    assert found == total >= 8
    assert report["decoys_flagged"].startswith("0/")
    assert report["crops_and_banners_found"] == "8/8"  # crops, banners, a screenshot, a collage: by keypoints
    assert {Path(f["path"]).name for f in report["not_read"]} == {"truncated.jpg", "notes.jpg"}
    assert all(Path(loc).is_relative_to(out.resolve()) for loc in report["matches"])
    assert not reclaim_home.exists()  # the demo writes only under --out
    assert f"re-uploads found:    {found}/{total}" in result.out
    assert report["takedown"]["state"] == "removed" and len(report["takedown"]["notices"]) == 2
    evidence = report["evidence"]
    assert evidence["verified"] and evidence["confirmed"] + evidence["second_look"] == len(report["matches"])
    assert Path(evidence["report_pdf"]).read_bytes().startswith(b"%PDF")
    assert cli("evidence", "verify", evidence["bundle"]).code == 0
    faces = report["faces"]  # victims enrolled with consent, found in the fakes, each fake attributed
    assert (faces["faces_found"], faces["attributed_to_true_source"], faces["decoys_flagged"]) == ("6/6", "6/6", 0)
    assert Path(faces["overlay"]).is_file() and Path(faces["overlay"]).is_relative_to(out.resolve())

    telegram = report["telegram"]  # a generated group export: re-posts, the victim named, her number posted
    chat = "telegram:4242"
    assert (telegram["messages"], telegram["matched"]) == (7, [f"{chat}/2", f"{chat}/3", f"{chat}/4"])
    assert telegram["naming_the_victim"] == [f"{chat}/2", f"{chat}/4"]  # by her name, spaced out; by her number
    assert telegram["doxxing"] == [f"{chat}/4"]
    assert [(p["poster"], p["items"]) for p in telegram["posters"]] == [("dark_uploader", 2), ("reposter", 1)]

    shown = cli("case", "show", "demo", "--json")  # same database, reached the documented way
    assert shown.code == 2  # the user's own database has no demo case ...
    monkeypatch.setenv("RECLAIM_DATABASE_URL", report["database"])
    items = cli("case", "show", "demo", "--json").json_lines()
    matched = {i["path"] for i in items if any(not m["suppressed"] for m in i["matches"])}
    assert matched == set(report["matches"]) | set(report["faces"]["attribution"])  # known images and faces

    monkeypatch.delenv("RECLAIM_DATABASE_URL")
    again = cli("demo", "--out", out)  # bank and case are rebuilt, not "already exists"
    assert again.code == 0, again.err
    assert json.loads((out / "report.json").read_text())["reuploads_found"] == report["reuploads_found"]
