"""Make pyqtgraph's SVG exporter cope with closed paths (pyqtgraph#3495).

Qt >= 6.11 ends closed subpaths with ``Z`` in SVG path data.  pyqtgraph 0.14.0's
``correctCoordinates`` splits every path token as an ``x,y`` pair, so it fails on *every* scene
with ``ValueError: not enough values to unpack (expected 2, got 1)``.  Upstream fixed it on master
(commit 1b84c2b2) but no release carries the fix yet.

Rather than copying pyqtgraph's function, :func:`ensure_svg_export_works` wraps it: the close
commands are taken out of each path before pyqtgraph rewrites the coordinates and put back at
the same token positions afterwards (the rewrite maps each ``x,y`` token to exactly one token).
The wrapper is installed only when a probe shows the installed pyqtgraph needs it.
"""

from __future__ import annotations

import importlib
import re
import xml.dom.minidom
from collections.abc import Callable

# ``pyqtgraph.exporters.SVGExporter`` as an attribute is the class; the module holds the function.
_svg_module = importlib.import_module("pyqtgraph.exporters.SVGExporter")

__all__ = ["ensure_svg_export_works", "svg_export_needs_fix"]

_CLOSE = re.compile(r"^(.*?)([Zz])$")
_PROBE = (
    '<g><g transform="matrix(1,0,0,1,0,0)">'
    '<path d="M0,0 L1,0 L1,1 Z"/></g></g>'
)
_installed = False


def svg_export_needs_fix(correct: Callable[..., None] | None = None) -> bool:
    """Whether pyqtgraph's ``correctCoordinates`` fails on a closed path.

    Parameters
    ----------
    correct : callable, optional
        The function to probe; pyqtgraph's current one by default.

    Returns
    -------
    bool
    """
    correct = correct or _svg_module.correctCoordinates
    node = xml.dom.minidom.parseString(_PROBE).documentElement
    try:
        correct(node, [], None, {})
    except ValueError:
        return True
    return False


def ensure_svg_export_works() -> bool:
    """Install the closed-path wrapper into pyqtgraph's SVG exporter if it is needed.

    Idempotent and cheap after the first call.

    Returns
    -------
    bool
        Whether the wrapper is installed (now or earlier).
    """
    global _installed
    if _installed:
        return True
    original = _svg_module.correctCoordinates
    if not svg_export_needs_fix(original):
        return False

    def correct_coordinates(node, defs, item, options):  # type: ignore[no-untyped-def]
        closes = [(path, _strip_closes(path)) for path in node.getElementsByTagName("path")]
        original(node, defs, item, options)
        for path, positions in closes:
            if positions:
                path.setAttribute("d", _restore_closes(path.getAttribute("d"), positions))

    correct_coordinates.__wrapped__ = original  # type: ignore[attr-defined]
    _svg_module.correctCoordinates = correct_coordinates
    _installed = True
    return True


def _strip_closes(path: xml.dom.minidom.Element) -> list[int]:
    """Remove close commands from ``path``'s data; return where they were among the tokens."""
    positions: list[int] = []
    kept: list[str] = []
    for token in path.getAttribute("d").split():
        match = _CLOSE.match(token)
        if match is None:
            kept.append(token)
            continue
        if match.group(1):  # "x,yZ": the pair stays, the close follows it
            kept.append(match.group(1))
        positions.append(len(kept))
    if positions:
        path.setAttribute("d", " ".join(kept))
    return positions


def _restore_closes(data: str, positions: list[int]) -> str:
    tokens = data.split()
    for offset, position in enumerate(positions):
        tokens.insert(position + offset, "Z")
    return " ".join(tokens)
