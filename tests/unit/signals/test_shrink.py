"""signals.shrink: the exact size asked for, and pixels close to OpenCV's INTER_AREA at a fraction of its cost."""

from __future__ import annotations

import numpy as np
import pytest

from reclaim.synthetic.scenes import scene

cv2 = pytest.importorskip("cv2")
from reclaim.signals.shrink import shrink  # noqa: E402  (needs cv2)


@pytest.mark.parametrize(("source", "size"), [((1280, 960), (1024, 768)), ((1280, 960), (274, 206)),
                                              ((4032, 3024), (1024, 768)), ((641, 479), (320, 239)),
                                              ((700, 500), (700, 500))])
@pytest.mark.parametrize("grey", [True, False])
def test_shrunk_pixels_are_the_size_asked_and_close_to_inter_area(source: tuple, size: tuple, grey: bool) -> None:
    rgb = np.asarray(scene(7, source))
    pixels = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) if grey else rgb
    ours = shrink(pixels, size)
    exact = cv2.resize(pixels, size, interpolation=cv2.INTER_AREA)
    assert ours.shape == exact.shape and ours.dtype == np.uint8
    assert np.abs(ours.astype(np.int16) - exact).mean() < 1.0  # grey levels
