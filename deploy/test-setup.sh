#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python packages (idempotent; prints nothing when done).
#
# - Prometheus (Debian's `prometheus` package: `prometheus` and `promtool`) for the operations tests
#   (tests/ops): `promtool check config/rules` and a real Prometheus server scraping the stages.
#   Installed only when missing and only where apt-get can run as root; otherwise those tests skip.
set -euo pipefail

have_prometheus() {
    command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1
}

if ! have_prometheus; then
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]; then
        echo "test-setup: installing Debian's prometheus package (promtool, prometheus)"
        export DEBIAN_FRONTEND=noninteractive
        log=$(mktemp)
        # No recommends: the node exporter and friends are not needed to check configs and scrape.
        if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus; } >"$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            echo "test-setup: could not install prometheus; ops tests will skip" >&2
            exit 0
        fi
        rm -f "$log"
        # The package's init script may have started a system Prometheus; the tests run their own.
        if command -v service >/dev/null 2>&1; then service prometheus stop >/dev/null 2>&1 || true; fi
    else
        echo "test-setup: prometheus/promtool missing and apt-get unavailable (not root?); ops tests will skip"
    fi
fi
exit 0
