#!/usr/bin/env python3
"""A device on 127.0.0.1 for the HTTP driver tests: serves DIR, laid out as
the device's URL paths (the query string is ignored), on a free port that
it writes to PORTFILE.

  http-peer.py DIR PORTFILE [--status N] [--delay S]

--status N answers every request with status N and a short text body;
--delay S waits S seconds before answering.  Each request's path is
appended to DIR/../requests.log.
"""
import http.server
import os
import sys
import time


def main():
    root, portfile = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    status, delay = None, 0.0
    while args:
        a = args.pop(0)
        if a == "--status":
            status = int(args.pop(0))
        elif a == "--delay":
            delay = float(args.pop(0))
    log = os.path.join(os.path.dirname(os.path.abspath(root)), "requests.log")

    class H(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=root, **k)

        def log_message(self, *a):
            pass

        def do_GET(self):
            with open(log, "a") as f:
                f.write(self.path + "\n")
            if delay:
                time.sleep(delay)
            if status is not None:
                body = b"Internal Server Error\n"
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            super().do_GET()

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    with open(portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    srv.serve_forever()


if __name__ == "__main__":
    main()
