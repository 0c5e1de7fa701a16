"""Views a user waits for come first: a background thread (dashboard.prime) runs a statement only while
no such view runs, and a view that starts interrupts the background statements running then, which run
again once no view runs. So background work never queues before a click on the machine's few cores.

A view call is waited on unless its thread said `set_background(True)`; `statement(cur, fetch)` is how
the query layer runs every statement (dashboard.queries.common._df and _rows)."""

from __future__ import annotations

import threading
import time
from typing import Callable, TypeVar

import duckdb

T = TypeVar("T")

_LOCK = threading.Lock()
_WAITED_ON = [0]          # view calls running that a user waits for
_RUNNING: set = set()     # cursors of background statements running now
_THREAD = threading.local()
_POLL_S = 0.01
_STOPPING = threading.Event()   # the process is exiting: background statements stop


class Stopped(Exception):
    """A background statement was not run, or was interrupted, because the process is exiting."""


def in_background() -> bool:
    return getattr(_THREAD, "background", False)


def set_background(on: bool) -> None:
    """Marks the calling thread's work as background (it gives way to views a user waits for)."""
    _THREAD.background = on


def waited_on() -> int:
    """How many view calls a user waits for are running."""
    return _WAITED_ON[0]


def enter() -> bool:
    """A view call starts; True when a user waits for it (then `leave()` must follow). Interrupts the
    background statements running now."""
    if in_background():
        return False
    with _LOCK:
        _WAITED_ON[0] += 1
        running = list(_RUNNING)
    _interrupt(running)
    return True


def leave() -> None:
    with _LOCK:
        _WAITED_ON[0] -= 1


def statement(cur, fetch: Callable[[], T]) -> T:
    """fetch() (which runs one statement on `cur`); in a background thread, once no view a user waits
    for is running, and again after a view interrupted it. Raises Stopped in a background thread once
    `stop_background()` was called."""
    if not in_background():
        return fetch()
    while True:
        while True:
            with _LOCK:
                if _STOPPING.is_set():
                    raise Stopped()
                if _WAITED_ON[0] == 0:
                    _RUNNING.add(cur)
                    break
            time.sleep(_POLL_S)
        try:
            return fetch()
        except duckdb.InterruptException:
            if _STOPPING.is_set():
                raise Stopped() from None
            continue
        finally:
            with _LOCK:
                _RUNNING.discard(cur)


def stop_background() -> None:
    """The process is exiting: interrupt the background statements running and run no more. (A DuckDB
    statement still running in a daemon thread when the interpreter finalises aborts the process.)"""
    with _LOCK:
        _STOPPING.set()
        running = list(_RUNNING)
    _interrupt(running)


def _interrupt(cursors: list) -> None:
    for cur in cursors:
        try:
            cur.interrupt()
        except Exception:   # a cursor closed meanwhile: nothing to interrupt
            pass
