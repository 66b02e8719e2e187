#!/usr/bin/env bash
# Issue 5's scan figures: verdict delay after the last byte (streamed scan vs scan after upload)
# for a file uploaded slower than the scanner, and small-file uploads per second.
#
#   bench/scan_latency.sh [SIZE_MIB] [PACE_MB_PER_S]     defaults 200 and 25
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MIB=${1:-200}
PACE=${2:-25}
bench_start $((SIZE_MIB + 64))
python3 "$ROOT/bench/scan_latency.py" "$PORT" "$TOKEN" "$(new_link)" "$CLAMD_PORT" "$SIZE_MIB" "$PACE"
