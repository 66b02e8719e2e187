#!/usr/bin/env bash
# Upload-link benchmark: a partner sends one file through the public upload link with curl (a
# plain multipart POST, as the browser form does); the file is streamed to storage, SHA-256 and
# clamd as it arrives. Reports MB/s (until the receipt, which holds the scan verdict) and the
# server's peak memory.
#
#   bench/upload_link.sh [SIZE_MIB]      default 1024 (1 GiB)
#
# Needs clamd (Debian's clamav-daemon) and curl; see bench/lib.sh for the setup.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MIB=${1:-1024}
bench_start $((SIZE_MIB + 64))

peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$SERVER/status"; }

head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$WORK/payload.bin"
URL=$(curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
    -d '{"kind":"upload","title":"bench upload"}' "http://127.0.0.1:$PORT/api/v1/links" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
mem_before=$(peak_kib)

out=$(curl -fs -o "$WORK/receipt.json" -H 'Accept: application/json' \
    -w '%{time_total} %{speed_upload}' \
    -F "files=@$WORK/payload.bin" "$URL/files")
mem_after=$(peak_kib)
read -r total_s bps <<<"$out"
VERDICT=$(python3 -c 'import json; print(json.load(open("'"$WORK/receipt.json"'"))["files"][0]["scan"])')

echo "file: ${SIZE_MIB} MiB random data through the public upload link (multipart POST), verdict: $VERDICT"
echo "upload until the receipt: ${total_s}s, $(python3 -c "print(f'{$bps/1e6:.0f}')") MB/s"
echo "server peak RSS: before $((mem_before / 1024)) MiB, after the upload $((mem_after / 1024)) MiB"
