"""The public surface is exactly __all__: sorted, complete, and every name importable."""

import reclaim


def test_all_is_sorted_and_unique() -> None:
    assert reclaim.__all__ == sorted(set(reclaim.__all__))


def test_every_exported_name_exists() -> None:
    missing = [name for name in reclaim.__all__ if not hasattr(reclaim, name)]
    assert missing == []


def test_no_public_name_is_left_out() -> None:
    public = {n for n in vars(reclaim) if not n.startswith("_")}
    modules = {n for n, v in vars(reclaim).items() if type(v).__name__ == "module"}
    assert public - modules - set(reclaim.__all__) == set()


def test_every_exported_name_has_one_home() -> None:
    """``import reclaim`` is lazy: each public name is looked up in the module ``_EXPORTS`` names for it."""
    assert sorted(reclaim._HOME) == reclaim.__all__
