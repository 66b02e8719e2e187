#!/usr/bin/env bash
# Transfer benchmark: uploads a file through the API (streamed to storage and clamd at once),
# downloads it through the public link, and reports MB/s for both and the server's peak memory.
#
#   bench/transfer.sh [SIZE_MIB]      default 1024 (1 GiB)
#
# Needs clamd (Debian's clamav-daemon) and curl. Starts its own clamd with the test signatures
# and limits large enough for the file, and a release build of bote on a free loopback port.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
SIZE_MIB=${1:-1024}
WORK=$(mktemp -d /tmp/bote-bench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

cargo build --release --quiet
BOTE=$ROOT/target/release/bote

# clamd with limits above the file size
CLAMD_PORT=$(free_port)
mkdir -p "$WORK/clamav-db" "$WORK/clamd-tmp"
cp tests/fixtures/clamav/*.ndb tests/fixtures/clamav/*.hdb "$WORK/clamav-db/"
LIMIT_MIB=$((SIZE_MIB + 64))
cat > "$WORK/clamd.conf" <<CONF
Foreground yes
DatabaseDirectory $WORK/clamav-db
TemporaryDirectory $WORK/clamd-tmp
TCPSocket $CLAMD_PORT
TCPAddr 127.0.0.1
StreamMaxLength ${LIMIT_MIB}M
MaxFileSize ${LIMIT_MIB}M
MaxScanSize $((LIMIT_MIB * 2))M
AlertExceedsMax yes
LogFile $WORK/clamd.log
CONF
/usr/sbin/clamd --config-file="$WORK/clamd.conf" >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/"$CLAMD_PORT") 2>/dev/null && break; sleep 0.1; done

PORT=$(free_port)
export BOTE_DATA_DIR=$WORK/data BOTE_LISTEN=127.0.0.1:$PORT BOTE_CLAMD=tcp://127.0.0.1:$CLAMD_PORT \
    BOTE_SCAN_MAX_BYTES=${LIMIT_MIB}M BOTE_SCAN_TIMEOUT=600s BOTE_LOG=warn
echo 'bench-password-123' | "$BOTE" user add --email bench@bote.example --role staff --password-stdin >/dev/null
TOKEN=$("$BOTE" token create --email bench@bote.example 2>/dev/null | tail -n 1)
"$BOTE" serve >"$WORK/serve.log" 2>&1 &
SERVER=$!
PIDS+=($SERVER)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done

# Peak memory: the kernel's high-water mark of the server's resident set.
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$SERVER/status"; }

head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$WORK/payload.bin"
LINK=$(curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"kind":"download","title":"bench"}' "http://127.0.0.1:$PORT/api/v1/links")
ID=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' <<<"$LINK")
URL=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])' <<<"$LINK")

up=$(curl -fs -o "$WORK/file.json" -w '%{time_total} %{speed_upload}' -H "Authorization: Bearer $TOKEN" \
    -X POST -T "$WORK/payload.bin" "http://127.0.0.1:$PORT/api/v1/links/$ID/files?name=payload.bin")
SCAN=$(python3 -c 'import json; print(json.load(open("'"$WORK/file.json"'"))["scan"])')
FILE_ID=$(python3 -c 'import json; print(json.load(open("'"$WORK/file.json"'"))["id"])')
mem_after_upload=$(peak_kib)

down=$(curl -fs -o /dev/null -w '%{time_total} %{speed_download}' "$URL/files/$FILE_ID")
mem_after_download=$(peak_kib)

mbps() { python3 -c "print(f'{$1/1e6:.0f}')"; }
read -r up_s up_bps <<<"$up"
read -r down_s down_bps <<<"$down"
echo "file: ${SIZE_MIB} MiB random data, scan verdict: $SCAN"
echo "upload (API, stored + hashed + scanned in one pass): ${up_s}s, $(mbps "$up_bps") MB/s"
echo "download (public link): ${down_s}s, $(mbps "$down_bps") MB/s"
echo "server peak RSS: after upload $((mem_after_upload / 1024)) MiB, after download $((mem_after_download / 1024)) MiB"
