"""The in-process ticker runs jobs now and on interval, survives a failing tick, and stops."""

from __future__ import annotations

import threading

from clipper.scheduler import run_ticks


def test_ticks_run_immediately_survive_errors_and_stop() -> None:
    stop = threading.Event()
    calls: list[str] = []

    def good() -> None:
        calls.append("good")
        if calls.count("good") >= 2:
            stop.set()

    def bad() -> None:
        calls.append("bad")
        raise RuntimeError("a failing tick is logged, not fatal")

    timer = threading.Timer(20, stop.set)  # a guard: the test never hangs
    timer.start()
    run_ticks({"good": (0.2, good), "bad": (0.2, bad)}, stop=stop, handle_signals=False)
    timer.cancel()
    assert calls.count("good") >= 2 and "bad" in calls
