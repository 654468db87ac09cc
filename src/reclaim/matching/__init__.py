"""Matching: computed signals against the banks.

``matcher`` applies thresholds, quality floors and negative banks; ``keypoints`` and ``video`` are its crop and
video stages; ``pdq_cache`` keeps the PDQ index of every bank on disk, in step with the database.
"""
