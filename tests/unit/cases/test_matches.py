"""The one match model over stored rows: known-image and face matches of an item in one list, best first; rows
stored before the score rename still read; a video face keeps its time and span; counts include faces."""

from __future__ import annotations

from reclaim.cases import case_items, create_case, list_cases
from reclaim.cases.matches import matches_by_item
from reclaim.cli.output import match_text
from reclaim.index.geometry import MIN_INLIERS
from reclaim.store import Store
from reclaim.store.models import FaceMatchRow, Item, MatchRow, Scan

OLD_KEYPOINTS = {"inliers": 40, "transform": {"scale": 0.5, "rotation": 0.0, "mirrored": False, "confidence": 0.99,
                                              "known_region": [0, 0, 1, 1], "query_region": [0, 0, 0.5, 0.5]}}


def _seed(store: Store) -> dict[str, int]:
    with store.session() as session:
        case = create_case(session, "m1")
        scan = Scan(case_id=case.id, target="seed")
        session.add(scan)
        session.flush()
        ids = {}
        for locator in ("both.jpg", "face-only.mp4", "suppressed.jpg", "nothing.jpg"):
            item = Item(case_id=case.id, scan_id=scan.id, locator=locator, status="hashed", sha256="ab" * 32)
            session.add(item)
            session.flush()
            ids[locator] = item.id
        session.add_all([
            FaceMatchRow(item_id=ids["both.jpg"], identity="student-a", signal_version="1", distance=0.41,
                         confidence=0.98, flagged=True, box=[1, 2, 30, 30]),
            MatchRow(item_id=ids["both.jpg"], bank="known", bank_kind="known", content_id="k1", signal="keypoints",
                     signal_version="1", distance=0.01, details=OLD_KEYPOINTS),
            FaceMatchRow(item_id=ids["face-only.mp4"], identity="student-a", signal_version="1", distance=0.55,
                         confidence=0.75, flagged=False, box=[5, 5, 40, 40], frame_time=4.0, span_start=3.0,
                         span_end=7.0),
            MatchRow(item_id=ids["suppressed.jpg"], bank="known", bank_kind="known", content_id="k2", signal="pdq",
                     signal_version="1", distance=4, suppressed=True),
        ])
    return ids


def test_known_images_and_faces_are_one_list_best_first(store: Store) -> None:
    ids = _seed(store)
    with store.session() as session:
        found = matches_by_item(session, Item.case_id.isnot(None))
        views = {v.locator: v for v in case_items(session, "m1")}
        (summary,) = list_cases(session)
    assert [m.signal_type for m in found[ids["both.jpg"]]] == ["keypoints", "face"]  # known images first
    assert ids["nothing.jpg"] not in found
    assert [v for v, view in views.items() if view.matched] == ["both.jpg", "face-only.mp4"]
    assert (summary.items, summary.matched) == (4, 2)  # the suppressed one is not matched; the face-only one is

    keypoints = views["both.jpg"].matches[0].as_json()
    assert keypoints["transform"]["score"] == 0.99 and "confidence" not in keypoints["transform"]  # an old row
    assert f"inliers (a match needs {MIN_INLIERS}; score 0.99)" in match_text(keypoints)

    video = views["face-only.mp4"].matches[0].as_json()
    assert video == {"signal_type": "face", "identity": "student-a", "distance": 0.55, "threshold": 0.6,
                     "flag_threshold": 0.5, "flagged": False, "score": video["score"], "box": [5, 5, 40, 40],
                     "frame_time": 4.0, "span": [3.0, 7.0], "signal_version": "1", "suppressed": False}
    assert 0 < video["score"] < 0.9
    assert match_text(video) == ("face distance 0.550 at 4 s, seen 3-7 s (same person at <= 0.6, "
                                 "auto-flag at <= 0.5: not flagged)")
