"""The value of a flag on a command line, in either spelling: ``--name=value`` or ``--name value``."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["flag_value"]


def flag_value(command_line: Sequence[str], flag: str) -> str | None:
    """The value of ``--<flag>`` on ``command_line`` (the first one given), or None when it is absent."""
    prefix = f"--{flag}"
    for index, word in enumerate(command_line):
        if word.startswith(f"{prefix}="):
            return word.split("=", 1)[1]
        if word == prefix and index + 1 < len(command_line):
            return command_line[index + 1]
    return None
