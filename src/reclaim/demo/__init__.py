"""``reclaim demo``: a whole synthetic case end to end, from benign images only. Imported by the CLI alone."""
