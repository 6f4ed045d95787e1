"""lib.memory: upload reports are counted until freed, and freeing one hands memory back."""

import gc
import sys

import pytest

from lib import memory


class Report:  # stands in for an IngestReport: any object that can be weakly referenced
    pass


def test_a_report_is_counted_until_it_is_freed_and_then_memory_is_trimmed(monkeypatch):
    trims = []
    monkeypatch.setattr(memory, "trim", lambda: trims.append(1) or True)
    monkeypatch.setattr(memory, "_start_reaper", lambda: None)  # no thread in a unit test
    gc.collect()  # reports earlier tests dropped go now, not during this test's collection
    report = Report()
    key = id(report)
    memory.track_report(report)
    assert key in memory._live and memory.live_reports() >= 1
    del report
    gc.collect()
    assert key not in memory._live
    assert trims  # freeing it handed memory back


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_trim_reaches_glibc_here():
    assert memory.trim() is True


def test_reaping_outside_a_streamlit_server_does_nothing():
    assert memory.reap_ended_sessions() is None


def test_the_reaper_stops_once_no_report_is_alive(monkeypatch):
    monkeypatch.setattr(memory, "REAP_SECONDS", 0.01)
    monkeypatch.setattr(memory, "live_reports", lambda: 0)
    reaped = []
    monkeypatch.setattr(memory, "reap_ended_sessions", lambda: reaped.append(1))
    memory._reap_forever()  # returns at its first tick: nothing to free
    assert reaped == []
