"""File names are printed as they are: Rich markup in a name (``[red]``, ``[/]``, ``[link=…]``) is shown, not
rendered, so the CLI never prints a wrong path (a hostile export can name its files anything)."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

NAMES = ["[bold]evil[/bold].png", "a[/]b.png", "[link=https://evil.example]x[/link].png", r"c\[red].png"]


def test_hash_prints_names_with_markup_verbatim(cli, tmp_path: Path) -> None:
    for name in NAMES:  # a "/" in a tag makes a folder: the markup spans the path, as a hostile export's can
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (40, 30), (len(name) * 9 % 255, 40, 90)).save(tmp_path / name, "PNG")
    result = cli("hash", *(tmp_path / n for n in NAMES))
    assert result.code == 0, result.err
    for name in NAMES:
        assert str(tmp_path / name) in result.out.splitlines()


def test_bank_add_errors_print_names_with_markup_verbatim(cli, tmp_path: Path) -> None:
    broken = tmp_path / "[red]broken[/red].png"
    broken.parent.mkdir()
    broken.write_bytes(b"not an image at all")
    assert cli("bank", "create", "known").code == 0
    result = cli("bank", "add", "known", broken)
    assert str(broken) in result.err
