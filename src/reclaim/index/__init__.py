"""Indexes that answer "which stored values are within distance d of this one?"."""
