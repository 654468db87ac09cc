"""The ``reclaim`` command line: a thin layer over the library."""
