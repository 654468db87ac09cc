"""The human report in HTML and PDF, Korean and English side by side, opening with a one-minute summary.

HTML is rendered with Jinja2 (autoescaped: captions and names come from untrusted sources). The PDF is laid
out with ReportLab in NanumGothic (SIL OFL), found in the ``koreanize-matplotlib`` wheel or Debian's
``fonts-nanum``; nothing is downloaded. Thumbnails are the bundle's blurred previews, never the media.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader

from reclaim.errors import UserError
from reclaim.evidence.manifest import is_flagged
from reclaim.index.geometry import MIN_INLIERS
from reclaim.signals.face import AUTO_FLAG, SAME_PERSON
from reclaim.signals.pdq import PDQSignal

SAFE_LINK_SCHEMES = ("http", "https", "tg")


def safe_link(url: object) -> str:
    """A link from the source, only if it is http(s) or tg:; else "" (no ``javascript:`` in a signed report)."""
    text = str(url or "").strip()
    return text if urlsplit(text).scheme.lower() in SAFE_LINK_SCHEMES and not any(c < " " for c in text) else ""


# Autoescape for every template whatever its name: chat names, posters, captions, file names, case and bank
# names and content ids are all untrusted.
ENV = Environment(loader=PackageLoader("reclaim.evidence", "templates"), autoescape=True)
ENV.filters["safe_link"] = safe_link
# The thresholds the report's "distances and scores" note explains.
THRESHOLDS = {"pdq": PDQSignal.default_threshold, "same_person": SAME_PERSON, "auto_flag": AUTO_FLAG,
              "keypoint_inliers": MIN_INLIERS}
FONT_NAME = "NanumGothic"
_FONT_CANDIDATES = ("/usr/share/fonts/truetype/nanum/NanumGothic.ttf",)


def split_items(manifest: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(flagged items, unreadable items) in the order the report lists them."""
    flagged = [r for r in manifest["items"] if is_flagged(r)]
    unreadable = [r for r in manifest["items"] if r["error"]]
    return flagged, unreadable


def match_lines(record: dict[str, Any]) -> list[str]:
    """One line per active match of a manifest item (known image or enrolled face, each with the distance and
    the threshold it met), then the attribution, if any: the report's "Match" column in HTML and PDF alike."""
    lines = []
    for m in record["matches"]:
        if m["suppressed"]:
            continue
        at = f" at {m['frame_time']:g} s" if m.get("frame_time") is not None else ""
        if m["signal_type"] == "face":
            flag = f"; flagged <= {m['flag_threshold']:g}" if m["flagged"] else ""
            box = ", ".join(str(v) for v in m["box"])
            lines.append(f"얼굴 / Face: {m['identity']} — distance {m['distance']:.3f}{at} "
                         f"(same person <= {m['threshold']:g}{flag}; box {box})")
        elif "inliers" in m:
            lines.append(f"{m['bank']} / {m['content_id']} (keypoints: {m['inliers']} inliers, "
                         f">= {MIN_INLIERS} needed{at})")
        elif m["signal_type"] in ("sha256", "md5"):
            lines.append(f"{m['bank']} / {m['content_id']} (exact copy, {m['signal_type']})")
        else:
            lines.append(f"{m['bank']} / {m['content_id']} ({m['signal_type']} distance {m['distance']:g}{at})")
    a = record.get("attribution")
    if a:
        lines.append(f"출처 / Source: {a['identity']} — {a['source']} ({a['inliers']} inliers, >= {a['min_inliers']} "
                     f"needed; score {a['attribution_score']:.2f})")
    return lines



def score_notes() -> list[str]:
    """What each distance and score in the report means and the threshold it is held to. None of them is a
    calibrated probability, and the report says so rather than calling any of them a confidence."""
    t = THRESHOLDS
    return [
        f"PDQ: 두 256비트 지각 해시의 해밍 거리(0 = 동일), {t['pdq']:g} 이하이면 일치. / The Hamming distance "
        f"between two 256-bit perceptual hashes (0 = identical); a match needs <= {t['pdq']:g} (Meta's default; a "
        "bank may set a stricter limit). Exact copies (SHA-256, MD5) are identical files.",
        f"키포인트 / Keypoints: 하나의 기하 변환으로 일치하는 점의 수, {t['keypoint_inliers']} 이상이면 일치. / The "
        f"image points that agree under one geometric transform (inliers); a match needs at least "
        f"{t['keypoint_inliers']}, unrelated images reach about 6. The score beside them (0-1) is a hand-set "
        "function of the inliers, not a probability.",
        f"얼굴 / Faces: 128차원 얼굴 기술자 사이의 유클리드 거리, {t['same_person']:g} 이하면 동일인으로 간주, "
        f"{t['auto_flag']:g} 이하면 자동 표시. / The Euclidean distance between two 128-number face descriptors "
        f"(dlib ResNet); the same person at <= {t['same_person']:g}, flagged without a reviewer at "
        f"<= {t['auto_flag']:g}. A face match says the face looks like the enrolled person, not who made or posted "
        f"the image. The face score in manifest.json (0.5 at {t['same_person']:g}) is a logistic whose width was "
        "chosen on Reclaim's own synthetic composites, the kind of image it is applied to, and was never checked "
        "on held-out data: it orders matches and is not a probability.",
        "출처 / Source: 얼굴 부분의 키포인트가 본인 사진의 같은 위치에 놓이는 수. / Keypoints of the face region that "
        "land on the same places of one of the person's own photos (inliers; the floor is printed with each, "
        "chance gives about 6), and the distance of the aligned face crops. Its score (0-1) combines them with "
        "hand-set constants: it orders the photos and is not a probability.",
        "이 보고서의 어떤 수치도 보정된 확률이 아닙니다. 판단은 검토자의 몫입니다. / No number in this report is a "
        "calibrated confidence: each match is a lead for a reviewer, whose decision is in the Review column.",
    ]


def render_html(manifest: dict[str, Any], thumbnails: dict[str, str]) -> str:
    """``thumbnails`` maps an item's sha256 to the relative path of its blurred preview."""
    flagged, unreadable = split_items(manifest)
    return ENV.get_template("report.html.j2").render(
        m=manifest, s=manifest["summary"], flagged=flagged, unreadable=unreadable, thumbs=thumbnails,
        lines=[match_lines(r) for r in flagged], notes=score_notes())


def find_korean_font() -> Path:
    spec = importlib.util.find_spec("koreanize_matplotlib")
    wheel_dirs = (spec.submodule_search_locations or []) if spec else []
    candidates = [Path(p) / "fonts" / "NanumGothic.ttf" for p in wheel_dirs]
    candidates += [Path(p) for p in _FONT_CANDIDATES]
    for path in candidates:
        if path.is_file():
            return path
    raise UserError(
        "the PDF report needs a Korean font: pip install 'reclaim[report]' (or apt-get install fonts-nanum)"
    )


def render_pdf(manifest: dict[str, Any], thumbnails: dict[str, bytes]) -> bytes:
    """``thumbnails`` maps an item's sha256 to its blurred JPEG preview."""
    try:
        from reportlab.lib import colors
        from reportlab.lib.pagesizes import A4
        from reportlab.lib.styles import ParagraphStyle
        from reportlab.lib.units import mm
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
    except ImportError as exc:
        raise UserError("the PDF report needs ReportLab: pip install 'reclaim[report]'") from exc
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(find_korean_font())))
    body = ParagraphStyle("body", fontName=FONT_NAME, fontSize=8.5, leading=11, wordWrap="CJK")
    title = ParagraphStyle("title", parent=body, fontSize=15, leading=20, spaceAfter=6)
    heading = ParagraphStyle("heading", parent=body, fontSize=11.5, leading=15, spaceBefore=10, spaceAfter=4)
    small = ParagraphStyle("small", parent=body, fontSize=7, leading=9)

    def p(text: object, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(_escape(str(text)), style)

    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)])
    s, case = manifest["summary"], manifest["case"]
    story: list[Any] = [
        p("디지털 성범죄 증거 보고서 / Digital sexual-abuse evidence report", title),
        p(f"사건 / Case: {case['name']}" + (f" — {case['note']}" if case["note"] else "")),
        p(f"작성 / Generated: {manifest['generated_at']} (UTC) · {manifest['generated_by']} · "
          f"{manifest['tool']['name']} {manifest['tool']['version']}"),
        p("요약 / Summary", heading),
    ]
    when = f"{s['first_posted']} — {s['last_posted']}" if s["first_posted"] else "정보 없음 / no posting times"
    victims = "; ".join(f"{v['name']} (consent recorded by {v['consent_recorded_by']})"
                        for v in case.get("victims", [])) or "—"
    rows = [
        ("피해자 / Victims", victims),
        ("확인된 게시물 / Items flagged", f"{s['flagged']} / {s['items']} (검토 확인 / confirmed: {s['confirmed']})"),
        ("게시 장소 / Where", "; ".join(f"{x['place']} ({x['items']})" for x in s["places"]) or "—"),
        ("게시 기간 / When (UTC)", when),
        ("게시자 / Posted by", "; ".join(f"{x['poster']} ({x['items']})" for x in s["posters"]) or "—"),
        ("읽을 수 없는 파일 / Not readable", str(s["not_readable"])),
    ]
    story.append(Table([[p(k), p(v)] for k, v in rows], colWidths=[55 * mm, 120 * mm], style=grid))
    story += [Spacer(1, 4), p("미리보기는 흐리게 처리됨 / Previews are blurred. 검증 / Verify: reclaim evidence verify",
                              small), p("항목 / Items", heading)]
    flagged, unreadable = split_items(manifest)
    table: list[list[Flowable]] = [[p(h, small) for h in ("#", "미리보기 / Preview", "위치 / Location", "게시 / Posted",
                                   "일치 / Match", "검토 / Review")]]
    for n, r in enumerate(flagged, 1):
        thumb = thumbnails.get(r["sha256"] or "")
        ctx = r["context"]
        table.append([
            p(n, small),
            Image(io.BytesIO(thumb), width=22 * mm, height=22 * mm, kind="proportional") if thumb else p("—", small),
            p(f"{r['locator']}\nSHA-256 {r['sha256'] or '—'}", small),
            p(f"{ctx.get('posted_at') or '—'}\n{ctx.get('poster') or ''}", small),
            p("\n".join(match_lines(r)) or "—", small),
            p(f"{r['review']['decision']} · {r['review']['reviewer']}" if r["review"] else "미검토 / not reviewed",
              small),
        ])
    story.append(Table(table, colWidths=[9 * mm, 25 * mm, 57 * mm, 30 * mm, 36 * mm, 23 * mm], style=grid,
                       repeatRows=1))
    story += [p("거리와 점수 / Distances and scores", heading), *(p(note, small) for note in score_notes())]
    if unreadable:
        story += [p("읽을 수 없는 파일 / Files that could not be read", heading),
                  Table([[p(r["locator"], small), p(r["error"], small)] for r in unreadable],
                        colWidths=[70 * mm, 110 * mm], style=grid)]
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"Evidence report {case['name']}", author="reclaim")
    doc.build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    """ReportLab paragraphs are mini-XML: escape markup, keep line breaks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br/>")
