"""The stance board in a real browser: Debian's chromium, headless, driven by selenium.

The board is filled by ``stancewatch board --replay``'s own path (a timeline through the real broker and
both stages, a keyword model in place of the transformer), served by uvicorn on 127.0.0.1, and read the
way a desk reads it: matrix cells against the replayed alerts, a cell's evidence, a hostile title shown
as text, live updates without a reload. A screenshot of each page is saved under the test's temp dir.

deploy/test-setup.sh installs chromium and chromium-driver. Without them the tests fail under CI and
skip (saying why) elsewhere.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from board.runtime import BoardRuntime
from board.view import latest_alerts
from core import metrics as core_metrics
from core.messages import DeliveryReceipt
from stancewatch import replay
from stancewatch.board_commands import fill_from_replay
from tests.keyword_model import KeywordModel

from .helpers import alert as make_alert
from .helpers import baseline, obs

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def driver_paths() -> tuple[Path, Path]:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if missing:
        reason = f"{', '.join(missing)} missing: deploy/test-setup.sh installs chromium and chromium-driver"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def browser(driver_paths: tuple[Path, Path], tmp_path: Path) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(driver_paths[0])
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(driver_paths[1])), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def timeline_rows() -> list[dict[str, object]]:
    """Made-up articles: Russia moves from oppose to support on sanctions (two outlets), and back."""
    return [
        {
            "id": "r1",
            "date": "2021-01-05",
            "url": "https://a.example/r1",
            "title": HOSTILE,
            "text": "Russia welcomes sanctions on the North.",
        },
        {
            "id": "r2",
            "date": "2021-01-06",
            "url": "https://b.example/r2",
            "title": "Second outlet",
            "text": "Russia welcomes sanctions, a spokesman said.",
        },
        {
            "id": "j1",
            "date": "2021-01-07",
            "url": "https://c.example/j1",
            "title": "Unrelated",
            "text": "Japan hosts a trade fair.",
        },
        {
            "id": "r3",
            "date": "2021-02-10",
            "url": "https://c.example/r3",
            "title": "Back again",
            "text": "Russia rejects sanctions once more.",
        },
        {  # what the ingest stage reported after its last round (a timeline may carry it)
            "record": "ingest_round",
            "source": "desk:feeds.yaml",
            "scheduled": 27,
            "polled": 27,
            "ok": 24,
            "failed": 3,
            "new_items": 4,
            "ended_at": "2021-02-10T08:00:00Z",
            "poll_interval_s": 900,
        },
    ]


@pytest.fixture
def served_board(
    kafka_bootstrap: str, make_settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, BoardRuntime, list]]:  # type: ignore[no-untyped-def]
    import processors.commands

    monkeypatch.setattr(processors.commands, "load_model", lambda settings: KeywordModel())
    path = tmp_path / "timeline.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in timeline_rows()) + "\n", encoding="utf-8")
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, board_port=free_port(), board_refresh_s=1.0)
    base = baseline(("RU", "sanctions", "oppose"), ("CN", "thaad", "oppose"), ("US", "thaad", "support"))
    served = fill_from_replay(
        settings, replay.load_timeline(path), base, tmp_path / "board.sqlite3", Console(stderr=True), 300
    )
    runtime = BoardRuntime(served, base, core_metrics.new_registry(), mode="replay")
    server = runtime.make_server()
    thread = threading.Thread(target=server.run, name="board-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "board server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{served.board_port}", runtime, runtime.model.alerts()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


def shot(driver: Any, tmp_path: Path, name: str) -> Path:
    out = tmp_path / f"{name}.png"
    driver.save_screenshot(str(out))
    keep = os.environ.get("STANCEWATCH_BOARD_SCREENSHOTS")  # optional: copy out for a person to look at
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(out, Path(keep) / out.name)
    assert out.stat().st_size > 10_000
    return out


def csp_violations(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def test_board_in_a_browser(served_board, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    url, runtime, alerts = served_board
    assert [a.kind for a in sorted(alerts, key=lambda a: a.detected)] == ["reversal", "reverted"]
    browser.get(url + "/")
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "matrix")))
    cells = browser.find_elements(By.CSS_SELECTOR, "#matrix td.cell")
    assert len(cells) == 6 * 9
    latest = latest_alerts(alerts)
    for c in cells:  # every cell against the replayed alerts: moved by the latest, unless it reverted
        country, _, topic = c.get_attribute("data-pair").partition(":")
        last = latest.get((country, topic))
        moved = last is not None and last.kind != "reverted"
        assert c.get_attribute("data-moved") == (last.kind if moved else "none"), c.get_attribute("data-pair")
        if last is not None:
            assert c.get_attribute("data-current") == last.new_stance
    ru = browser.find_element(By.CSS_SELECTOR, '#matrix td[data-pair="RU:sanctions"]')
    assert ru.get_attribute("data-moved") == "none" and ru.get_attribute("data-current") == "oppose"
    assert "unchanged" in ru.text and "3 obs" in ru.text
    recent = browser.find_element(By.ID, "recent").text
    assert "REVERSAL" in recent and "REVERTED" in recent
    # the replay's alert stage delivered both alerts to its JSON Lines channel; its receipts say so
    assert recent.count("Delivery: jsonl delivered") == 2
    feeds = browser.find_element(By.ID, "feeds")
    assert feeds.text == "feeds 24 ok \u00b7 3 failing (as of 2021-02-10 08:00 UTC)"
    assert "warn" in feeds.get_attribute("class").split()
    shot(browser, tmp_path, "board")

    ru.find_element(By.TAG_NAME, "a").click()
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "evidence")))
    evidence = browser.find_element(By.ID, "evidence").text
    assert "Russia rejects sanctions once more." in evidence
    assert evidence.index("Russia rejects sanctions") < evidence.index(
        "Russia welcomes sanctions on the North."
    )
    assert HOSTILE in evidence  # the hostile title reads as text ...
    assert browser.execute_script("return window.__pwned === undefined")  # ... and ran nothing
    assert not browser.find_elements(By.CSS_SELECTOR, "#evidence img")
    assert (
        "Baseline sentence for RU sanctions." in browser.find_element(By.ID, "baseline").text
    )  # the baseline's sentence
    history = browser.find_element(By.ID, "history").text
    assert "REVERSAL" in history and "REVERTED" in history
    assert history.count("Delivery: jsonl delivered") == 2
    assert browser.find_elements(By.CSS_SELECTOR, "#timeline svg circle.obs")
    shot(browser, tmp_path, "pair")
    assert csp_violations(browser) == []

    # live: a new alert appears on the open board without a reload
    browser.get(url + "/")
    WebDriverWait(browser, 15).until(ec.presence_of_element_located((By.ID, "matrix")))
    browser.execute_script("window.__marker = 'same page'")
    runtime.model.add(
        [obs("support", country="CN", topic="thaad", sentence="Beijing drops its objection.")],
        [make_alert(country="CN", topic="thaad", new="support", hours=24 * 400)],
    )
    WebDriverWait(browser, 15).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, '#matrix td[data-pair="CN:thaad"]').get_attribute("data-moved")
            == "reversal"
        )
    )
    assert browser.execute_script("return window.__marker") == "same page"
    assert "REVERSED" in browser.find_element(By.CSS_SELECTOR, '#matrix td[data-pair="CN:thaad"]').text
    # ... and its delivery state, as the alert stage reports it, changes in place too
    new_alert = make_alert(country="CN", topic="thaad", new="support", hours=24 * 400)
    shown = browser.find_element(By.CSS_SELECTOR, f'#recent .deliveries[data-alert="{new_alert.id}"]')
    assert shown.text == "Delivery: pending"
    runtime.model.report(
        [DeliveryReceipt(alert_id=new_alert.id, channel="slack", state="retrying", attempts=2,
                         error="http_503", at=new_alert.detected_at)]
    )  # fmt: skip
    WebDriverWait(browser, 15).until(
        lambda d: (
            d.find_element(By.CSS_SELECTOR, f'#recent .deliveries[data-alert="{new_alert.id}"]').text
            == "Delivery: slack retrying (2)"
        )
    )
    assert browser.execute_script("return window.__marker") == "same page"
    shot(browser, tmp_path, "board-live")
    assert csp_violations(browser) == []
