"""Attribution: which of the victim's own photos a fake's face was cut from, with a picture that shows it."""

from reclaim.attribution.features import PhotoFeatures, photo_features
from reclaim.attribution.overlay import draw_overlay
from reclaim.attribution.rank import MIN_INLIERS, Candidate, Transform, rank_sources
from reclaim.attribution.service import Attribution, attribute, folder_features, suspect_features

__all__ = [
    "MIN_INLIERS",
    "Attribution",
    "Candidate",
    "PhotoFeatures",
    "Transform",
    "attribute",
    "draw_overlay",
    "folder_features",
    "photo_features",
    "rank_sources",
    "suspect_features",
]
