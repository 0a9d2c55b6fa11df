"""One-line messages for users: the single place that turns an exception into a line of text."""

from __future__ import annotations

__all__ = ["MAX_LINE", "one_line"]

#: Longest message shown to a user; the full text stays in the exception.
MAX_LINE = 300


def one_line(error: BaseException | str, limit: int = MAX_LINE) -> str:
    """The first non-empty line of ``error`` (its type name when it has no text), shortened.

    A :class:`~jacgui.core.errors.JacguiError` is already written for users, so its message is
    used as is; any other exception is prefixed with its type name, which is part of the cause.
    """
    from .errors import JacguiError

    if isinstance(error, str):
        text = error.strip()
    else:
        text = str(error).strip()
        if not isinstance(error, JacguiError):
            text = f"{type(error).__name__}: {text}" if text else type(error).__name__
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
