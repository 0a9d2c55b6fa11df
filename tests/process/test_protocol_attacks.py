"""A model that writes into the engine's answer channel: the parent refuses and stops the engine.

A model runs inside the engine, so it can find the channel and forge frames. Whatever it
writes — garbage, a type that may not cross, an error class that is not a user error, a frame
announcing a huge header — must end that engine with one line, never reach the caller as a
value, and never crash or hang the parent.
"""

from __future__ import annotations

import pytest

from jacgui.core.errors import EngineCrashedError
from jacgui.core.process.client import EngineClient
from tests.process import models as pm
from tests.process.conftest import WAIT_S

FORGERIES = {
    "garbage": ('b"GARBAGE!" * 8', "bad frame magic"),
    "unknown class": (
        'b"".join(bytes(p) for p in encode_frame({"type": "result", "id": 1, "finished": 0.0, '
        '"value": {"$c": "Popen", "$f": {"args": "sh"}}}, []))', "'Popen' may not cross"),
    "not a user error": (
        'b"".join(bytes(p) for p in encode_frame({"type": "error", "id": 1, "kind": "user", '
        '"error_class": "SystemExit", "message": "bye", "traceback": ""}, []))',
        "not a user error"),
    "huge header": ('b"JGW1" + (2**31).to_bytes(4, "little") + bytes(8)', "over the limit"),
}


@pytest.mark.parametrize("name", FORGERIES)
def test_forged_answers_stop_the_engine_with_one_line(tmp_path, name):
    payload, reason = FORGERIES[name]
    model = pm.forging_model(tmp_path, payload)
    with EngineClient() as client:
        with pytest.raises(EngineCrashedError) as caught:
            client.open_model(model, timeout=WAIT_S)
        message = str(caught.value)
        assert message.startswith("the engine sent a malformed message while loading "
                                  "forger.py (") and reason in message, message
        assert "\n" not in message and caught.value.cause == "protocol error"
        assert client.model is None
