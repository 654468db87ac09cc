"""Scan: a source into a case — hash every item on an engine, match, store a batch at a time, resume.

``scanner`` runs it, ``rows`` writes the batches, ``finish`` records custody entries and re-upload follow-ups.
"""
