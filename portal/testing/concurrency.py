"""Running calls at the same moment, for tests of row locks and conflicts on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from django.db import connections


def race(calls: Sequence[Callable], *, timeout: float = 60) -> list:
    """Run the callables in threads released together; each result is a value or the exception raised.

    Needs a transactional test: each thread has its own connection and sees only what is committed.
    """
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as exc:  # noqa: BLE001  the outcome is what the test inspects
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
