"""Benign synthetic media (generated scenes, package portraits pasted onto them, repost edits, clips) for the
demo, tests and benchmarks; never explicit content. Imported by the demo, tests and benches alone."""
