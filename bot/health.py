"""The heartbeat file that the container health check (`newsqa health`) reads.

The running bot touches the file every 20 s (bot.app). Before that, while the index is opened
(on a first start, built: minutes for a large archive), `StartingHeartbeat` keeps the file
fresh with the word "starting" in it, so a long first build is "starting", not "unhealthy".
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from pathlib import Path
from types import TracebackType

STARTING = "starting"
RUNNING = "running"
BEAT_EVERY = 20.0  # seconds, as the bot's own heartbeat


def write_state(path: Path, state: str) -> None:
    """Replace the heartbeat file's contents (atomically: a reader never sees half a word)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(state + "\n", encoding="utf-8")
    os.replace(partial, path)


class StartingHeartbeat:
    """A context manager: "starting" in the heartbeat file, refreshed while the block runs.

    On success the file says "running" (the bot's heartbeat keeps it fresh from then on);
    on failure it is removed, so the health check fails at once. No-op without a path.
    """

    def __init__(self, path: Path | None, every: float = BEAT_EVERY) -> None:
        self.path = path
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> StartingHeartbeat:
        if self.path is not None:
            write_state(self.path, STARTING)
            self._thread = threading.Thread(target=self._beat, name="newsqa-starting", daemon=True)
            self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.every):
            with contextlib.suppress(OSError):  # the health check reports a stale heartbeat
                self.path.touch()  # type: ignore[union-attr]

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:  # fmt: skip
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.path is None:
            return
        with contextlib.suppress(OSError):
            if kind is None:
                write_state(self.path, RUNNING)
            else:
                self.path.unlink(missing_ok=True)


def check(path: Path | None, max_age: float, now: float | None = None) -> tuple[bool, str]:
    """(healthy?, one line saying why): the heartbeat is fresh, whether running or starting."""
    if path is None:
        return False, "unhealthy: NEWSQA_HEARTBEAT_FILE is not set"
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
        state = path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return False, f"unhealthy: no heartbeat at {path} (is the bot running?)"
    if age > max_age:
        return False, f"unhealthy: last heartbeat {age:.0f}s ago"
    if state == STARTING:
        return True, f"healthy: starting (opening or building the index), last heartbeat {age:.0f}s ago"
    return True, f"healthy: last heartbeat {age:.0f}s ago"
