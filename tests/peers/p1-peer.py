#!/usr/bin/env python3
"""A P1 port for the dsmr tests: plays telegram files like a meter would.

  p1-peer.py pty LINK [options] FILE...    a pty, its slave linked at LINK
  p1-peer.py tcp PORTFILE [options] FILE...  a listener on 127.0.0.1, its
                                             port written to PORTFILE
options:
  --hold S     keep the port open S seconds after the last byte (default 30)
  --bit7       set bit 7 as an even parity bit (a 7E1 meter read as 8N1)
  --cut N      send only the first N bytes, then close
"""
import os
import socket
import sys
import threading
import time
import tty


def main():
    mode, where = sys.argv[1], sys.argv[2]
    args = sys.argv[3:]
    hold, bit7, cut = 30.0, False, None
    files = []
    while args:
        a = args.pop(0)
        if a == "--hold":
            hold = float(args.pop(0))
        elif a == "--bit7":
            bit7 = True
        elif a == "--cut":
            cut = int(args.pop(0))
        else:
            files.append(a)
    data = b"".join(open(f, "rb").read() for f in files)
    if bit7:
        data = bytes(b | 0x80 if bin(b).count("1") % 2 else b for b in data)
    if cut is not None:
        data, hold = data[:cut], 0
    if mode == "pty":
        master, slave = os.openpty()
        tty.setraw(slave)
        os.symlink(os.ttyname(slave), where + ".tmp")
        os.rename(where + ".tmp", where)
        os.write(master, data) if len(data) < 2048 else [
            os.write(master, data[i:i + 512]) for i in range(0, len(data), 512)]
        time.sleep(hold if hold else 0.5)
        return
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    with open(where + ".tmp", "w") as f:
        f.write(str(srv.getsockname()[1]))
    os.rename(where + ".tmp", where)
    def serve(c):
        try:
            c.sendall(data)
            if hold:
                time.sleep(hold)
        except OSError:
            pass
        c.close()

    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
