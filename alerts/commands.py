"""Command-line entry points of the alerts stage (registered by stancewatch.cli).

``alert`` runs the stage; ``notify-test`` sends a sample alert through every configured channel.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from types import FrameType

import typer

from alerts import baseline as baseline_setup
from alerts import notifiers, route
from alerts.channels import Outcome, redact
from alerts.route import RouteError
from alerts.runtime import AlertRuntime, retry_policy
from alerts.sample import sample_alert
from core import metrics as core_metrics
from core.baseline import BaselineError
from core.connect import StartError, connect, serve_metrics, start_up
from core.kafka import PublishError, bootstrap_of
from core.outage import StopRequested, broker_watch
from core.settings import Settings, SettingsError, from_context
from core.vocabulary import VocabularyError, load_vocabulary


def alert_command(ctx: typer.Context) -> None:
    """Run the alert stage: consume stances, compare with the baseline, publish and deliver alerts."""
    settings = from_context(ctx)
    try:
        vocabulary = load_vocabulary(settings.countries_file, settings.topics_file)
        route.validate(settings.alert_routes, notifiers.CHANNELS, vocabulary)
        baseline = baseline_setup.ensure(
            settings.baseline_path, settings.baseline_article, vocabulary.country_codes
        )
        channels = notifiers.build(settings)
    except (BaselineError, SettingsError, RouteError, VocabularyError) as exc:
        print(f"stancewatch alert: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    registry = core_metrics.new_registry()
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with start_up("alert"):
        # Serve metrics first: while the broker is away, stancewatch_broker_up{stage="alerts"} shows it.
        serve_metrics(settings, registry)
        watch = broker_watch("alerts", bootstrap_of(settings), registry, settings)
        try:
            bootstrap = connect(settings, watch, stop)
            runtime = AlertRuntime(
                settings, baseline, bootstrap, registry, channels, stop_event=stop, watch=watch
            )
        except StopRequested:
            raise typer.Exit(0) from None
        except StartError as exc:
            raise StartError(redact(str(exc), notifiers.secrets_of(settings))) from None
    print(
        f"stancewatch alert: {len(baseline.positions)} baseline positions; channels: "
        f"{', '.join(channels) or 'none'}",
        file=sys.stderr,
    )
    try:
        runtime.run()
    except PublishError as exc:
        print(f"stancewatch alert: {redact(str(exc), notifiers.secrets_of(settings))}", file=sys.stderr)
        raise typer.Exit(1) from None
    finally:
        runtime.close()


def send_with_retries(notifier: notifiers.Notifier, settings: Settings, attempts: int = 3) -> Outcome:
    """Send the sample alert, retrying transient failures a few times within the policy's backoff."""
    policy = retry_policy(settings)
    alert = sample_alert()
    outcome = notifier.send(alert)
    tries = 1
    while not outcome.ok and outcome.transient and tries < min(attempts, policy.attempts):
        time.sleep(min(policy.delay(tries, outcome.retry_after), 5.0))
        outcome = notifier.send(alert)
        tries += 1
    return outcome


def notify_test_command(ctx: typer.Context) -> None:
    """Send a sample alert through every configured channel; exit 0 only if all delivered it."""
    settings = from_context(ctx)
    try:
        channels = notifiers.build(settings, console=settings.alerts_console)
    except SettingsError as exc:
        print(f"stancewatch notify-test: {exc}", file=sys.stderr)
        raise typer.Exit(2) from None
    if not channels:
        print(
            "stancewatch notify-test: no channel configured (set STANCEWATCH_SLACK_WEBHOOK_URL, "
            "STANCEWATCH_WEBHOOK_URL, STANCEWATCH_SMTP_HOST with STANCEWATCH_EMAIL_FROM/TO, "
            "STANCEWATCH_ALERTS_JSONL or STANCEWATCH_ALERTS_CONSOLE=true)",
            file=sys.stderr,
        )
        raise typer.Exit(2)
    secrets = notifiers.secrets_of(settings)
    failed = 0
    for name, notifier in channels.items():
        outcome = send_with_retries(notifier, settings)
        notifier.close()
        if outcome.ok:
            print(f"{name}: delivered", file=sys.stderr)
        else:
            failed += 1
            print(f"{name}: FAILED: {redact(outcome.error, secrets)}", file=sys.stderr)
    raise typer.Exit(1 if failed else 0)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the stancewatch CLI."""
    app.command("alert")(alert_command)
    app.command("notify-test")(notify_test_command)
