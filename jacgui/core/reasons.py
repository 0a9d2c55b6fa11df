"""The real cause of an exception, on one line: the one place that turns errors into text.

TensorFlow, Keras and AutoGraph wrap errors in layers of context: "in user code:" and the
user's frames, "Graph execution error:" and the node's frames, "Exception encountered when
calling LSTM.call()", terminal colour codes, and the layer's arguments. The cause sits several
lines down; this module digs it out, so that no message ends at "TypeError: in user code:".
"""

from __future__ import annotations

import re

from .errors import JacguiError

#: Longest reason kept: "the model failed while computing: <Type>: <reason>" stays near 250.
MAX_REASON = 190
#: Longest line shown to a user; the full text stays in the exception.
MAX_LINE = 300

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# TensorFlow prefixes graph errors with "{{function_node __inference_f_3933}}": noise to a user.
_FUNCTION_NODE = re.compile(r"\{\{function_node [^}]*\}\}\s*")
_ERROR_PREFIX = re.compile(r"^((?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception|Exit)):\s*(.*)$")
_NOISE = re.compile(
    r"^(in user code:|Graph execution error|Detected at node|Traceback|"
    r"Exception encountered when calling|\[\[|•|[\^~]+$)"
)
_END = re.compile(r"^(Arguments received by|Call arguments received by)")


def short_reason(error: BaseException) -> str:
    """``"<Type>: <first meaningful line>"`` of ``error``, at most about 200 characters.

    The type is the innermost error named in the text (AutoGraph re-raises a model's error
    under its own type); frames, source lines, colour codes and argument lists are skipped.
    """
    text = _ANSI.sub("", str(error))
    if isinstance(error, KeyError) and error.args:
        text = repr(error.args[0])
    name, reason = type(error).__name__, ""
    frame_indent = None
    for raw in text.splitlines():
        line = raw.strip()
        indent = len(raw) - len(raw.lstrip())
        if not line:
            frame_indent = None
            continue
        if line.startswith('File "'):
            frame_indent = indent  # the source lines below it are indented further
            continue
        if frame_indent is not None and indent > frame_indent:
            continue
        frame_indent = None
        if _END.match(line):
            break
        prefix = _ERROR_PREFIX.match(line)
        if prefix:
            name, line = prefix.group(1).rsplit(".", 1)[-1], prefix.group(2).strip()
        line = _FUNCTION_NODE.sub("", line).strip()
        if line and not _NOISE.match(line):
            reason = line
            break
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 3].rstrip() + "..."
    return f"{name}: {reason}" if reason else name


def one_line(error: BaseException | str, limit: int = MAX_LINE) -> str:
    """``error`` as one line for a person, at most ``limit`` characters.

    A :class:`~jacgui.core.errors.JacguiError` is already written for users: its first line is
    used as is. Any other exception is reduced to its real cause by :func:`short_reason`
    (type included: it is part of the cause). Text has its whitespace collapsed.
    """
    if isinstance(error, str):
        line = " ".join(error.split())
    elif isinstance(error, JacguiError):
        text = _ANSI.sub("", str(error)).strip()
        line = next((part.strip() for part in text.splitlines() if part.strip()),
                    type(error).__name__)
    else:
        line = short_reason(error)
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
