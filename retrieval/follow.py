"""Follow a growing corpus folder: refresh the index when files appear, change or go away.

File-system events (watchfiles, inotify on Linux) wake the follower within a second or two
of a change; a periodic rescan every `interval` seconds catches whatever events miss (network
file systems, a watch limit reached). Each pass runs the engine's incremental refresh in this
background thread; searches keep answering from the index as it was until the new one is
swapped in. Files still being written are left for the next pass, which comes soon.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path

from .index import RefreshReport

_FIGURES = re.compile(r"\d+")

log = logging.getLogger(__name__)

SETTLE_SECONDS = 2.0  # a file modified this recently may still be being written: wait for it
EVENT_DEBOUNCE_MS = 1500  # events closer than this are one change (a `git pull` writes many files)


class CorpusFollower:
    """A daemon thread that keeps an engine's index in step with its corpus folder."""

    def __init__(self, corpus_dir: Path, refresh: Callable[[float], RefreshReport], interval: float,
                 on_refresh: Callable[[RefreshReport], None] | None = None) -> None:  # fmt: skip
        """`refresh(settle_seconds)` brings the index up to date; `on_refresh` hears of each change."""
        self.corpus_dir = corpus_dir
        self.refresh = refresh
        self.interval = interval
        self.on_refresh = on_refresh
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._failure = ""  # the last failure's kind (its line, figures left out), until a pass succeeds
        self.passes = 0

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._run, name="newsqa-refresh", daemon=True)]
        self._threads.append(threading.Thread(target=self._watch, name="newsqa-watch", daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching; a refresh under way finishes (it commits what it wrote)."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)

    def _watch(self) -> None:
        try:
            from watchfiles import watch
        except ImportError:
            log.info("watchfiles is not installed: the corpus is rescanned every %.0f s", self.interval)
            return
        try:
            for _changes in watch(self.corpus_dir, stop_event=self._stop, debounce=EVENT_DEBOUNCE_MS,
                                  recursive=True, raise_interrupt=False):  # fmt: skip
                self._wake.set()
        except Exception as error:  # inotify limits, vanished folder: the periodic rescan goes on
            log.warning("not watching %s for changes (%s); rescanning every %.0f s", self.corpus_dir, error,
                        self.interval)  # fmt: skip

    def _run(self) -> None:
        retry_soon = False
        while not self._stop.is_set():
            self._wake.wait(SETTLE_SECONDS + 0.5 if retry_soon else self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            retry_soon = self._pass()

    def _pass(self) -> bool:
        """One refresh; True when some file was still being written and needs another look."""
        try:
            report = self.refresh(SETTLE_SECONDS)
        except Exception as error:  # a full disk, a vanished folder: log, keep serving, try again later
            line = f"refresh failed, still serving the previous index: {error}; trying again in {self.interval:.0f} s"
            # The same failure pass after pass is said once, though its figures move (the MB free).
            kind = _FIGURES.sub("#", line)
            if kind != self._failure:
                log.error("%s", line)
            self._failure = kind
            return False
        if self._failure:
            log.info("refresh works again")
            self._failure = ""
        self.passes += 1
        if report.changed:
            log.info("refresh: %s", report.summary())
            if self.on_refresh is not None:
                try:
                    self.on_refresh(report)
                except Exception:
                    log.exception("a refresh listener failed")
        return bool(report.deferred)
