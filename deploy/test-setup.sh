#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python packages (idempotent; prints nothing when done).
#
# - Prometheus (Debian's `prometheus` package: `prometheus` and `promtool`) for the operations tests
#   (tests/ops): `promtool check config/rules` and a real Prometheus server scraping the stages.
#   Installed only when missing and only where apt-get can run as root; otherwise those tests skip.
# - Chromium and its WebDriver (Debian's `chromium` and `chromium-driver`) for the stance board's
#   browser tests (tests/board/test_browser.py, headless through selenium). Those tests fail when
#   CI is set and the browser is missing, and skip with the reason otherwise.
set -euo pipefail

updated=0
apt_install() {  # apt_install WHAT PACKAGE...: one `apt-get update` per run, no recommends
    local what=$1 log
    shift
    export DEBIAN_FRONTEND=noninteractive
    log=$(mktemp)
    echo "test-setup: installing Debian's $*"
    if ! { { [ "$updated" = 1 ] || apt-get update -qq; } && apt-get install -y -qq --no-install-recommends "$@"; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "test-setup: could not install $*; $what" >&2
        return 1
    fi
    updated=1
    rm -f "$log"
}

can_apt() {
    command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = "0" ]
}

have_prometheus() {
    command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1
}

if ! have_prometheus; then
    if can_apt; then
        # No recommends: the node exporter and friends are not needed to check configs and scrape.
        if apt_install "ops tests will skip" prometheus; then
            # The package's init script may have started a system Prometheus; the tests run their own.
            if command -v service >/dev/null 2>&1; then service prometheus stop >/dev/null 2>&1 || true; fi
        fi
    else
        echo "test-setup: prometheus/promtool missing and apt-get unavailable (not root?); ops tests will skip"
    fi
fi
if ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; }; then
    if can_apt; then
        apt_install "the board's browser tests will fail under CI, skip elsewhere" chromium chromium-driver || true
    else
        echo "test-setup: chromium/chromium-driver missing and apt-get unavailable (not root?); board browser tests will skip (fail under CI)"
    fi
fi
exit 0
