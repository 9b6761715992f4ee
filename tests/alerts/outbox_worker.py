"""Subprocess for the kill test: optionally enqueue one alert, then dispatch until the outbox is empty.

Usage: python -m tests.alerts.outbox_worker DB URL [--enqueue]
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from alerts.channels.webhook import WebhookNotifier
from alerts.dispatch import Dispatcher
from alerts.metrics import AlertMetrics
from alerts.outbox import Outbox
from alerts.state import Store, connect
from core.metrics import new_registry
from core.retry import RetryPolicy
from tests.alerts.helpers import alert


def main() -> None:
    db, url = Path(sys.argv[1]), sys.argv[2]
    store = Store(db)
    if "--enqueue" in sys.argv:
        store.commit_batch({}, [], [(alert(alert_id="kill-test"), ["webhook"])])
    outbox = Outbox(connect(db))
    disp = Dispatcher(
        outbox,
        {"webhook": WebhookNotifier(url, 60.0)},
        RetryPolicy(attempts=5, base=0.1),
        AlertMetrics.build(new_registry()),
    )
    print("dispatching", flush=True)
    stop = threading.Event()
    while outbox.counts().get(("webhook", "pending"), 0):
        disp.run_once()
        stop.wait(0.05)
    print("done", flush=True)


if __name__ == "__main__":
    main()
