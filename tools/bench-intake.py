#!/usr/bin/env python3
"""make bench, part intake (tools/bench-intake.sh runs it): the households.

bench-intake.py URL ORDERS JOBS: each line of ORDERS is one household's
order, POSTed alone (one request each, as denki-submit sends it) to URL
with JOBS requests in flight at a time, each on its own keep-alive
connection.  Prints one line: requests, receipts, rejections, other
answers, seconds, and the p50 and p99 latency in ms.  Only the standard
library: the households cost the machine little beside the server.
"""
import http.client
import sys
import threading
import time
import urllib.parse


def main():
    url, path, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    u = urllib.parse.urlsplit(url)
    with open(path, "rb") as f:
        lines = [l for l in f.read().split(b"\n") if l]
    lat = [0.0] * len(lines)
    res = [None] * len(lines)
    nxt = [0]
    lock = threading.Lock()

    def worker():
        c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(lines):
                break
            body = lines[i] + b"\n"
            t0 = time.monotonic()
            try:
                c.request("POST", u.path, body,
                          {"Content-Type": "application/x-ndjson"})
                r = c.getresponse()
                data = r.read()
                status = r.status
            except (OSError, http.client.HTTPException):
                c.close()
                c = http.client.HTTPConnection(u.hostname, u.port,
                                               timeout=120)
                status, data = 0, b""
            lat[i] = time.monotonic() - t0
            if status == 200 and data.startswith(b'{') and \
                    b'"type":"receipt"' in data:
                res[i] = "receipt"
            elif status == 200 and b'"type":"rejection"' in data:
                res[i] = "rejection:" + data.decode(errors="replace")[:200]
            else:
                res[i] = "other:%d" % status
        c.close()

    t0 = time.monotonic()
    ts = [threading.Thread(target=worker) for _ in range(jobs)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    secs = time.monotonic() - t0
    s = sorted(lat)
    p50 = s[len(s) // 2] * 1000
    p99 = s[min(len(s) - 1, (len(s) * 99) // 100)] * 1000
    rec = sum(1 for r in res if r == "receipt")
    rej = [r for r in res if r and r.startswith("rejection")]
    oth = [r for r in res if r and r.startswith("other")]
    print(len(lines), rec, len(rej), len(oth), "%.3f" % secs,
          "%.1f" % p50, "%.1f" % p99)
    for r in (rej + oth)[:3]:
        print("  e.g. " + r.strip(), file=sys.stderr)


if __name__ == "__main__":
    main()
