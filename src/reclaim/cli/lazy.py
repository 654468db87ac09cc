"""Commands whose modules are imported only when they run.

Every command module pulls in what its command needs (SQLAlchemy, numba, OpenCV, Argon2...), which together
take a second or more to import. The root group therefore lists each command by name and one-line help (what
``reclaim --help`` shows) and imports its module only when the command is invoked or its own help is asked
for; ``tests/e2e/cli/test_startup.py`` keeps the one-line help equal to the command's own.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Command, Context  # typer's own click, as its signatures use


@dataclass(frozen=True)
class Lazy:
    """A command (a function) or a command group (a ``typer.Typer``) at ``module:attr``, with its short help."""

    target: str
    help: str

    def load(self, name: str) -> Command:
        module, attr = self.target.split(":")
        found: Any = getattr(importlib.import_module(module), attr)
        command: Command
        if isinstance(found, typer.Typer):
            command = typer.main.get_group(found)  # as add_typer would: without completion options
        else:
            single = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
            single.command(name)(found)
            command = typer.main.get_command(single)
        command.name = name
        return command


def lazy_root(commands: dict[str, Lazy]) -> type[TyperGroup]:
    """A root group class (for ``typer.Typer(cls=...)``) that stands in a light placeholder for each of
    ``commands`` and swaps in the real command when it is resolved."""

    class LazyRoot(TyperGroup):
        def __init__(self, **attrs: Any) -> None:
            super().__init__(**attrs)
            # short_help: the whole line, wrapped, not click's 45-character cut
            self.waiting = {name: TyperCommand(name, help=lazy.help, short_help=lazy.help)
                            for name, lazy in commands.items()}
            self.commands.update(self.waiting)

        def resolve_command(self, ctx: Context, args: list[str]) -> tuple[str | None, Command | None, list[str]]:
            name = args[0] if args else None
            if name in self.waiting:
                del self.waiting[name]
                self.commands[name] = commands[name].load(name)
            return super().resolve_command(ctx, args)

    return LazyRoot
