r"""Names from model files made safe to show on a terminal or in a window.

Input, output, layer and element names come from files that strangers write. A name holding an
escape sequence (``"\x1b[2J"``), a carriage return or a right-to-left override would rewrite
the user's terminal or disguise the text around it when printed raw. :func:`printable` is the
one place that turns such a name into text that shows every character as it is.

The raw names are kept for lookups: ``--input NAME`` and ``model.input(name)`` accept the raw
name and the escaped form shown by ``jacgui info``.
"""

from __future__ import annotations

_SPACE = " "


def printable(text: str) -> str:
    r"""``text`` with every character that is not printable replaced by its escape.

    Escaped: C0 and C1 controls (ESC, CR, LF, TAB, DEL, ...), format characters (bidi
    overrides and isolates, zero-width joiners, the byte-order mark), line and paragraph
    separators, surrogates, private-use and unassigned code points: whatever
    :meth:`str.isprintable` rejects except the plain space. Escapes look like Python's:
    ``\t``, ``\n``, ``\r``, ``\xNN``, ``\uNNNN`` or ``\UNNNNNNNN``.

    Parameters
    ----------
    text : str
        Any string, e.g. a layer name read from a model file.

    Returns
    -------
    str
        The same string when it is already printable; otherwise its escaped form.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == _SPACE else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    # repr() escapes exactly the characters str.isprintable() rejects; drop its quotes.
    escaped = repr(ch)[1:-1]
    return escaped if escaped != ch else f"\\u{ord(ch):04x}"
