"""The engine in its own process: models are loaded and run only in a child engine process.

- :mod:`.wire`: frames of a JSON header plus raw array bytes (no pickle, ever);
- :mod:`.codec`: results and arguments to and from JSON + arrays, for an allow-list of types;
- :mod:`.protocol`: the messages, each validated against its schema;
- :mod:`.operations`: what the engine can be asked to do, and the type of each answer;
- :mod:`.server`: the engine process (``python -m jacgui.core.process.server``);
- :mod:`.sandbox`: Landlock, a socket filter and a memory ceiling for untrusted models;
- :mod:`.child`: one engine process seen from the parent (spawn, channel, stderr, exit);
- :mod:`.jobs`: :class:`~.jobs.EngineJob`, one request as the caller sees it;
- :mod:`.failures`: the one-line messages and exceptions of crashes, kills and time limits;
- :mod:`.client`: :class:`~.client.EngineClient`, the parent's API (jobs, cancel, restarts);
- :mod:`.remote`: :class:`~.remote.RemoteModel`, what ``load_model(path, isolated=True)`` returns;
- :mod:`.dispatch`: the decorator that sends public API calls on a RemoteModel to its engine.

This package imports nothing on purpose: the core's modules import :mod:`.dispatch` from it.
Only the engine process imports TensorFlow.
"""
