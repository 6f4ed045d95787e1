"""Hand the memory of ended sessions and finished upload checks back to the operating system.

An upload check builds and drops a few hundred MB of short-lived Python strings and Arrow
buffers, and its report (the valid rows) stays in the browser session's state. Two things kept
that memory in the server for as long as it ran (`bench/upload_memory.py` measures it):

- Streamlit keeps a closed tab's session for `server.disconnectedSessionTTL` seconds (120 by
  default), but its session storage drops an expired session only on its next write or length
  query, and the dropped session sits in reference cycles that only a full collection frees
  (the app turns off Streamlit's collection after every run: .streamlit/config.toml).
- CPython and glibc keep freed memory for reuse; glibc's `malloc_trim(0)` returns free pages.

So while any upload report is alive, a reaper thread asks the session storage how many sessions
it holds (on Streamlit's event loop, where the storage lives; a length query is what drops the
expired ones) every REAP_SECONDS, then collects cycles and trims. It uses Streamlit internals
(`Runtime._session_mgr._session_storage._cache`, `_get_async_objs`); when they change, the
reaper logs once and stops, and the app works as before. Streamlit's own loop keeps a reference
to the last session it served until it serves another, so on an idle server one ended session
stays until the next visitor.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import os
import threading
import weakref

LOG = logging.getLogger("pistas")
REAP_SECONDS = float(os.environ.get("PISTAS_REAP_SECONDS", "30"))
_lock = threading.Lock()
_live: set[int] = set()  # ids of upload reports not yet freed
_reaper: threading.Thread | None = None


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return getattr(libc, "malloc_trim", None)


def trim() -> bool:
    """Return free heap pages to the OS; whether this C library can (glibc can, musl cannot)."""
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True


def live_reports() -> int:
    with _lock:
        return len(_live)


def track_report(report: object) -> None:
    """Count `report` until it is freed (then trim), and make sure the reaper runs meanwhile."""
    key = id(report)
    with _lock:
        _live.add(key)
    weakref.finalize(report, _report_freed, key).atexit = False  # nothing to hand back at exit
    _start_reaper()


def _report_freed(key: int) -> None:
    with _lock:
        _live.discard(key)
        left = len(_live)
    trim()
    try:
        from streamlit.logger import get_logger  # Streamlit's handler: the server's own log
    except ImportError:
        return
    get_logger("pistas.memory").info("upload report freed; %d still held", left)


def _start_reaper() -> None:
    global _reaper
    with _lock:
        if _reaper is not None and _reaper.is_alive():
            return
        _reaper = threading.Thread(target=_reap_forever, name="pistas-reaper", daemon=True)
        _reaper.start()


def _reap_forever() -> None:
    stop = threading.Event()
    while not stop.wait(REAP_SECONDS):
        if not live_reports():
            return  # nothing to free; the next upload starts it again
        try:
            reap_ended_sessions()
        except Exception as exc:  # a Streamlit internal moved: the app works, memory stays
            LOG.warning("session reaper stopped: %s", exc)
            return


def reap_ended_sessions(timeout: float = 5.0) -> None:
    """Drop sessions past Streamlit's TTL, free their state (and uploaded files), trim."""
    from streamlit import runtime

    if not runtime.exists():
        return
    rt = runtime.get_instance()
    cache = rt._session_mgr._session_storage._cache  # MemorySessionStorage's TTLCache
    failed: list[BaseException] = []
    done = threading.Event()

    def on_loop() -> None:
        try:
            len(cache)  # a length query drops expired sessions (reads only hide them)
        except BaseException as exc:
            failed.append(exc)
        finally:
            done.set()

    rt._get_async_objs().eventloop.call_soon_threadsafe(on_loop)
    done.wait(timeout)
    if failed:
        raise failed[0]
    gc.collect()  # an ended AppSession is in cycles; collecting it runs its shutdown()
    trim()
