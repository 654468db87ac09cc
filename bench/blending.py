"""The pasted-face JPEG-grid lead (signals/blending.py) on benign composites: how often it fires, and wrongly.

Sets, all generated from scikit-image's astronaut and Matplotlib's grace_hopper:
- pasted: the face region saved as a JPEG (quality 30-75), pasted into a generated scene saved as PNG — what
  the lead is for;
- untouched: the two portraits as PNG and as JPEG (quality 50-95), and scenes with a never-compressed face
  pasted in, saved as PNG or as JPEG (quality 60-95) — one grid or none: no lead is the right answer;
- beyond it: the same JPEG pastes rescaled (x0.8) before pasting, or the composite saved again as a JPEG
  (quality 90) — reported so the limits are measured, not claimed.

    .venv/bin/python bench/blending.py [--n 50] [--no-append]
"""

from __future__ import annotations

import argparse
import io
import time

import numpy as np
from record import Figure, append_section, machine, table

from reclaim.signals.provenance import provenance_leads
from reclaim.synthetic.faces import jpeg_paste
from reclaim.synthetic.scenes import composite, jpeg_bytes, sample_faces


def png(image) -> bytes:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    image.convert("RGB").save(out, "PNG")
    return out.getvalue()


def fires(data: bytes) -> bool:
    return any(lead.source == "jpeg-grid" for lead in provenance_leads(data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--no-append", action="store_true")
    args = parser.parse_args()
    portraits = sample_faces()
    names = list(portraits)
    rng = np.random.default_rng(5)
    sets: dict[str, list[bytes]] = {"pasted": [], "untouched": [], "rescaled paste": [], "paste saved as JPEG 90": []}
    for k in range(args.n):
        portrait = portraits[names[k % 2]]
        quality = int(rng.integers(30, 76))
        sets["pasted"].append(jpeg_paste(portrait, 1000 + k, face_quality=quality))
    for name in names:
        sets["untouched"].append(png(portraits[name]))
        sets["untouched"] += [jpeg_bytes(portraits[name].convert("RGB"), q) for q in (50, 60, 75, 85, 95)]
    while len(sets["untouched"]) < args.n:
        k = len(sets["untouched"])
        picture = composite(portraits[names[k % 2]], seed=2000 + k)
        sets["untouched"].append(png(picture) if k % 3 == 0 else jpeg_bytes(picture, int(rng.integers(60, 96))))
    for k in range(args.n // 2):
        portrait = portraits[names[k % 2]]
        sets["rescaled paste"].append(jpeg_paste(portrait, 3000 + k, face_quality=45, scale=0.8))
        sets["paste saved as JPEG 90"].append(jpeg_paste(portrait, 4000 + k, face_quality=45, final="90"))
    rows, figures, start = [], [], time.perf_counter()
    for label, items in sets.items():
        hit = sum(fires(data) for data in items)
        rows.append([label, str(len(items)), f"{hit}", f"{100 * hit / len(items):.0f} %"])
        figures.append(Figure(f"lead rate on '{label}'", f"{100 * hit / len(items):.0f} % ({hit}/{len(items)})",
                              "", None, f"--n {args.n}"))
    seconds = time.perf_counter() - start
    total = sum(len(v) for v in sets.values())
    body = (f"{total} generated pictures (640x480), lead = provenance_leads() source jpeg-grid, faces found with "
            f"dlib; {seconds / total * 1e3:.0f} ms per picture; {machine()}.\n\n"
            + table(["set", "pictures", "lead", "rate"], rows)
            + "\n\nWanted: a lead on `pasted`, none on `untouched`; the last two rows are outside what it claims.")
    print(body)
    if not args.no_append:
        append_section("Pasted-face JPEG grid lead (bench/blending.py)", body, figures)


if __name__ == "__main__":
    main()
