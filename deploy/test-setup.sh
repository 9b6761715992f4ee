#!/usr/bin/env bash
# Installs what the test suite needs beyond the Python packages (idempotent; prints nothing when done).
set -euo pipefail
# Later steps (Prometheus for the operations tests) are added here.
exit 0
