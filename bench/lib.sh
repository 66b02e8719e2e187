# Shared setup for the benchmarks: a release build, a clamd with limits above the test file, and
# `bote serve` on a free loopback port with a staff account and its API token.
# After `bench_start LIMIT_MIB`: $PORT, $TOKEN, $SERVER (pid), $CLAMD_PORT, $WORK are set.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d /tmp/bote-bench.XXXXXX)
PIDS=()
bench_cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap bench_cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_start() {
    local limit_mib=$1
    (cd "$ROOT" && cargo build --release --quiet)
    BOTE=$ROOT/target/release/bote
    CLAMD_PORT=$(free_port)
    mkdir -p "$WORK/clamav-db" "$WORK/clamd-tmp"
    cp "$ROOT"/tests/fixtures/clamav/*.ndb "$ROOT"/tests/fixtures/clamav/*.hdb "$WORK/clamav-db/"
    cat > "$WORK/clamd.conf" <<CONF
Foreground yes
DatabaseDirectory $WORK/clamav-db
TemporaryDirectory $WORK/clamd-tmp
TCPSocket $CLAMD_PORT
TCPAddr 127.0.0.1
StreamMaxLength ${limit_mib}M
MaxFileSize ${limit_mib}M
MaxScanSize $((limit_mib * 2))M
AlertExceedsMax yes
LogFile $WORK/clamd.log
CONF
    /usr/sbin/clamd --config-file="$WORK/clamd.conf" >/dev/null 2>&1 &
    PIDS+=($!)
    for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$CLAMD_PORT") 2>/dev/null && break; sleep 0.1; done
    PORT=$(free_port)
    export BOTE_DATA_DIR=$WORK/data BOTE_LISTEN=127.0.0.1:$PORT BOTE_CLAMD=tcp://127.0.0.1:$CLAMD_PORT \
        BOTE_SCAN_MAX_BYTES=${limit_mib}M BOTE_SCAN_TIMEOUT=600s BOTE_LOG=warn
    echo 'bench-password-123' | "$BOTE" user add --email bench@bote.example --role staff --password-stdin >/dev/null
    TOKEN=$("$BOTE" token create --email bench@bote.example 2>/dev/null | tail -n 1)
    "$BOTE" serve >"$WORK/serve.log" 2>&1 &
    SERVER=$!
    PIDS+=($SERVER)
    for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
}

# new_link: prints the id of a new download link
new_link() {
    curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        -d '{"kind":"download","title":"bench"}' "http://127.0.0.1:$PORT/api/v1/links" |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
