"""The bot's background embedding: a low-priority child process that fills the vector store.

The child (`python -m retrieval.embedder INDEX_DIR --nice 10`) embeds every passage that has no
vector yet, newest articles first, storing batch by batch; the serving process picks the new
vectors up as they land (retrieval.semantic reloads the store every few seconds). Running it in
its own process at a lower CPU priority means a question never waits behind it: the kernel gives
the bot's threads the cores first, and the two never share a lock. After a refresh that changed
the corpus, `wake()` starts another run for the new passages.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

NICE = 10
POLL_SECONDS = 5.0  # how often the serving process looks for vectors while a run goes on


class BackgroundEmbedder:
    """Runs the embedder child whenever woken, one run at a time, until stopped."""

    def __init__(self, index_dir: Path, on_progress: Callable[[], None]) -> None:
        self.index_dir = index_dir
        self.on_progress = on_progress  # called while a run goes on and when it ends
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._child: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._loop, name="newsqa-embed", daemon=True)
        self.runs = 0

    def start(self) -> None:
        self._wake.set()
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the child (it loses at most the batch it was computing) and the thread."""
        self._stop.set()
        self._wake.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            self._run_once()

    def _run_once(self) -> None:
        command = [sys.executable, "-m", "retrieval.embedder", str(self.index_dir), "--nice", str(NICE)]
        try:
            self._child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        except OSError as error:
            log.warning("cannot start the background embedder: %s", error)
            return
        while self._child.poll() is None:
            try:
                self._child.wait(POLL_SECONDS)
            except subprocess.TimeoutExpired:
                self.on_progress()
        self.runs += 1
        if self._child.returncode not in (0, -15):
            log.warning("the background embedder stopped with exit code %s", self._child.returncode)
        self.on_progress()
