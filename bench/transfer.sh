#!/usr/bin/env bash
# Transfer benchmark: uploads a file through the API (streamed to storage and clamd at once),
# downloads it through the public link, and reports MB/s for both and the server's peak memory.
#
#   bench/transfer.sh [SIZE_MIB]      default 1024 (1 GiB)
#
# Needs clamd (Debian's clamav-daemon) and curl. Starts its own clamd with the test signatures
# and limits large enough for the file, and a release build of bote on a free loopback port.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SIZE_MIB=${1:-1024}
bench_start $((SIZE_MIB + 64))

# Peak memory: the kernel's high-water mark of the server's resident set.
peak_kib() { awk '/VmHWM/ {print $2}' "/proc/$SERVER/status"; }

head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$WORK/payload.bin"
ID=$(new_link)
URL=$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/links/$ID" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')

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
