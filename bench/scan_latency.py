#!/usr/bin/env python3
"""Time from the last uploaded byte to the verdict, streamed scan versus a scan after the upload,
and uploads per second of small files with scanning on. Called by bench/scan_latency.sh."""
import http.client, json, os, socket, struct, sys, time

port, token, link, clamd_port, size_mib, rate_mbs = sys.argv[1:7]
port, clamd_port, size, rate = int(port), int(clamd_port), int(size_mib) << 20, float(rate_mbs) * 1e6
chunk = 1 << 20
data = os.urandom(chunk)

def upload(name, total, paced):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.putrequest("POST", f"/api/v1/links/{link}/files?name={name}")
    c.putheader("Authorization", f"Bearer {token}")
    c.putheader("Content-Length", str(total))
    c.endheaders()
    start, sent = time.monotonic(), 0
    while sent < total:
        n = min(chunk, total - sent)
        c.send(data[:n])
        sent += n
        if paced:  # an upload slower than the scanner, like a partner's line
            ahead = sent / rate - (time.monotonic() - start)
            if ahead > 0:
                time.sleep(ahead)
    last_byte = time.monotonic()
    r = c.getresponse()
    body = json.loads(r.read())
    return time.monotonic() - last_byte, last_byte - start, body

def instream_seconds(total):
    s = socket.create_connection(("127.0.0.1", clamd_port))
    s.sendall(b"zINSTREAM\0")
    t = time.monotonic()
    sent = 0
    while sent < total:
        n = min(chunk, total - sent)
        s.sendall(struct.pack(">I", n) + data[:n])
        sent += n
    s.sendall(struct.pack(">I", 0))
    reply = s.recv(4096)
    s.close()
    return time.monotonic() - t, reply

for run in (1, 2, 3):
    delay, upload_s, body = upload(f"paced{run}.bin", size, True)
    print(f"run {run}: {size_mib} MiB paced at {rate_mbs} MB/s ({upload_s:.1f} s): verdict "
          f"{body['scan']} {delay * 1000:.0f} ms after the last byte (streamed scan)")
after, reply = instream_seconds(size)
print(f"scan after upload instead: clamd needs {after:.2f} s more for the same {size_mib} MiB "
      f"({reply.strip(chr(0).encode()).decode()})")
delay, upload_s, body = upload("fast.bin", size, False)
print(f"{size_mib} MiB unpaced ({upload_s:.1f} s, {size / upload_s / 1e6:.0f} MB/s): "
      f"verdict {delay * 1000:.0f} ms after the last byte")

small = os.urandom(10 * 1024)
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
n, t = 200, time.monotonic()
for i in range(n):
    c.request("POST", f"/api/v1/links/{link}/files?name=s{i}.bin", body=small,
              headers={"Authorization": f"Bearer {token}"})
    r = c.getresponse(); r.read()
    assert r.status == 201, r.status
print(f"small files: {n / (time.monotonic() - t):.0f} uploads/s of 10 KiB, each scanned (one client)")
