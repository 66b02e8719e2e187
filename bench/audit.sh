#!/usr/bin/env bash
# Audit benchmark: TOTAL records (default 5 million) across 100 tenants, one of them (t000) with
# 1 million, correctly chained. Reports the time of filtered search pages (API, the same query
# as the auditor page), of exporting t000's 1 million records as CSV and JSON Lines, and of
# `bote audit verify` over everything.
#
#   bench/audit.sh [sqlite|postgres] [TOTAL]
#
# PostgreSQL: a server on 127.0.0.1:5432 with trust auth for postgres (as .ci/run sets up), or
# BOTE_BENCH_POSTGRES_URL. A fresh database is created and dropped.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BACKEND=${1:-sqlite}
TOTAL=${2:-5000000}
TENANTS=100
BIG=$((TOTAL / 5))
WORK=$(mktemp -d /tmp/bote-audit-bench.XXXXXX)
PIDS=()
PG_ADMIN=${BOTE_BENCH_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}
PG_DB=bote_bench_$$
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    if [[ $BACKEND == postgres ]]; then psql "$PG_ADMIN" -qc "DROP DATABASE IF EXISTS $PG_DB" >/dev/null 2>&1 || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

case $BACKEND in
    sqlite) URL="sqlite://$WORK/bote.db?mode=rwc" ;;
    postgres)
        psql "$PG_ADMIN" -qc "CREATE DATABASE $PG_DB" >/dev/null
        URL="${PG_ADMIN%/*}/$PG_DB"
        ;;
    *) echo "usage: bench/audit.sh [sqlite|postgres] [TOTAL]" >&2; exit 2 ;;
esac

(cd "$ROOT" && cargo build --release --quiet && cargo build --release --quiet --example audit_fixture)
BOTE=$ROOT/target/release/bote
secs() { python3 -c "import sys; print(f'{float(sys.argv[1]):.1f}')" "$1"; }
now() { date +%s.%N; }

t0=$(now)
"$ROOT/target/release/examples/audit_fixture" "$URL" "$TOTAL" "$TENANTS" "$BIG" 2>/dev/null
t1=$(now)
echo "backend: $BACKEND; $TOTAL records in $TENANTS tenants (t000: $BIG); generated in $(secs "$(echo "$t1 - $t0" | bc)") s"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export BOTE_DATA_DIR=$WORK/data BOTE_DATABASE_URL=$URL BOTE_LISTEN=127.0.0.1:$PORT BOTE_LOG=warn
echo 'bench-password-123' | "$BOTE" user add --email auditor@t000.example --role auditor --tenant t000 --password-stdin >/dev/null
TOKEN=$("$BOTE" token create --email auditor@t000.example 2>/dev/null | tail -n 1)
"$BOTE" serve >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
API="http://127.0.0.1:$PORT/api/v1"
get() { curl -fs -o "$WORK/out" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" "$API/$1"; }
LINK=$(curl -fs -H "Authorization: Bearer $TOKEN" "$API/audit?limit=1&action=file.downloaded" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["records"][0]["link_id"])')
MIDDLE=$(python3 -c "import datetime; print((datetime.datetime.utcnow() - datetime.timedelta(days=45)).strftime('%Y-%m-%d'))")

median_ms() {
    local q=$1 times=()
    get "$q" >/dev/null # warm
    for _ in 1 2 3 4 5; do times+=("$(get "$q")"); done
    python3 -c "import statistics,sys; print(f'{statistics.median(map(float, sys.argv[1:]))*1000:.1f}')" "${times[@]}"
}
echo "search pages (100 records, median of 5, in ms):"
for q in "audit?limit=100" \
    "audit?limit=100&action=link.unlock&outcome=failure" \
    "audit?limit=100&link=$LINK" \
    "audit?limit=100&client=198.51.7.3" \
    "audit?limit=100&from=$MIDDLE&to=$MIDDLE" \
    "audit?limit=100&before=$((BIG / 2))" \
    "audit?limit=100&action=file.downloaded&before=$((BIG / 2))"; do
    printf '  %-70s %s\n' "$q" "$(median_ms "$q")"
done

for f in csv jsonl; do
    t=$(get "audit/export?format=$f")
    lines=$(wc -l <"$WORK/out")
    records=$lines
    if [[ $f == csv ]]; then records=$((lines - 1)); fi
    echo "export $f of t000: $records records in $(secs "$t") s = $(python3 -c "print(f'{$records/$t:,.0f}')") records/s"
done

t0=$(now)
"$BOTE" audit verify >"$WORK/verify.out"
t1=$(now)
v=$(echo "$t1 - $t0" | bc)
echo "bote audit verify: $(tail -n 1 "$WORK/verify.out"); $(secs "$v") s = $(python3 -c "print(f'{$TOTAL/$v:,.0f}')") records/s"
