#!/usr/bin/env python3
"""An SKSTACK IP Wi-SUN dongle (ROHM BP35A1 / BP35C0 style) on a
pseudo-terminal, with a route B smart meter behind it, for denki's tests.

    dongle.py LINK DEVICES.json [options]

LINK becomes a symlink to the pty's slave side; "ready" is printed when it
is there.  DEVICES.json maps EOJs to their properties in hex, as the
echonet emulator takes them: {"028801": {"e0": "0001e240", ...}}.  A
property not listed is answered with Get_SNA (PDC 0).  The dongle echoes
every command (SKSENDTO with its binary data), answers OK, and plays the
lines of tests/fixtures/broute and meters.md section 5: EPANDESC on
SKSCAN, the IPv6 address on SKLL64, PANA traffic then EVENT 25 or 24 on
SKJOIN, EVENT 21 then ERXUDP lines carrying the meter's answers.
Every command line received is appended to --log.
"""
import argparse
import json
import os
import re
import select
import sys
import tty

ME = "FE80:0000:0000:0000:1034:5678:ABCD:EF01"
MAC = "001C640003348099"
METER = "FE80:0000:0000:0000:021C:6400:0334:8099"
SENDTO = re.compile(rb"SKSENDTO (\S+) (\S+) (\S+) (\S+) (?:(\S) )?([0-9A-Fa-f]{4}) ")

ap = argparse.ArgumentParser()
ap.add_argument("link")
ap.add_argument("devices")
ap.add_argument("--layout", type=int, choices=(9, 10, 11), default=9)
ap.add_argument("--join-fail", type=int, default=0,
                help="EVENT 24 for the first N joins (-1: always)")
ap.add_argument("--send-fail", type=int, default=0,
                help="EVENT 21 ... 01 for the first N SKSENDTO")
ap.add_argument("--scan-empty", type=int, default=0,
                help="the first N scans find nothing")
ap.add_argument("--bad-erxudp", action="store_true",
                help="an ERXUDP whose DATALEN disagrees before each answer")
ap.add_argument("--log", default=os.devnull)
a = ap.parse_args()

devs = {k.upper(): {e.upper(): bytes.fromhex(v) for e, v in p.items()}
        for k, p in json.load(open(a.devices)).items()}
joins = sends = scans = 0

master, slave = os.openpty()
tty.setraw(slave)
try:
    os.unlink(a.link)
except FileNotFoundError:
    pass
os.symlink(os.ttyname(slave), a.link)
log = open(a.log, "a")
print("ready", flush=True)


def out(*lines):
    os.write(master, b"".join(l.encode() + b"\r\n" for l in lines))


def erxudp(data, rport="0E1A", sender=METER):
    hexdata = data.hex().upper()
    f = [sender, ME, rport, rport, MAC]
    if a.layout == 11:
        f.append("A0")                  # LQI
    f.append("1")                       # SECURED
    if a.layout >= 10:
        f.append("0")                   # SIDE
    f += ["%04X" % len(data), hexdata]
    return "ERXUDP " + " ".join(f)


def answer(req):
    """The meter's answer to an ECHONET Lite Get, or None."""
    if len(req) < 12 or req[:2] != b"\x10\x81" or req[10] != 0x62:
        return None
    deoj = req[7:10].hex().upper()
    if deoj == "0EF001":
        props = {"D6": bytes([len(devs)]) +
                 b"".join(bytes.fromhex(k) for k in devs)}
    elif deoj in devs:
        props = devs[deoj]
    else:
        return None
    esv, body, i = 0x72, b"", 12
    for _ in range(req[11]):
        epc = "%02X" % req[i]
        i += 2
        v = props.get(epc)
        if v is None:
            esv, v = 0x52, b""
        body += bytes([int(epc, 16), len(v)]) + v
    return (b"\x10\x81" + req[2:4] + req[7:10] + req[4:7] + bytes([esv, req[11]])
            + body)


def command(line):
    global joins, scans
    w = line.split()
    out(line)                           # the echo
    if not w:
        return
    c = w[0]
    if c == "SKVER":
        out("EVER 1.5.2", "OK")
    elif c in ("SKSETPWD", "SKSETRBID", "SKSREG", "SKTERM"):
        out("OK")
    elif c == "SKSCAN":
        scans += 1
        out("OK")
        if scans > a.scan_empty:
            out("EVENT 20 " + METER, "EPANDESC", "  Channel:21",
                "  Channel Page:09", "  Pan ID:8888", "  Addr:" + MAC,
                "  LQI:E1", "  PairID:00112233")
        out("EVENT 22 " + ME)
    elif c == "SKLL64":
        m = bytes.fromhex(w[1])
        m = bytes([m[0] ^ 2]) + m[1:]
        out(":".join(m.hex().upper()[i:i + 4] for i in range(0, 16, 4))
            .join(["FE80:0000:0000:0000:", ""]))
    elif c == "SKJOIN":
        joins += 1
        out("OK", "EVENT 21 %s 02" % w[1], "EVENT 02 %s" % w[1])
        out(erxudp(bytes(40), "02CC"))   # PANA: not ECHONET
        if a.join_fail < 0 or joins <= a.join_fail:
            out("EVENT 24 " + w[1])
        else:
            out("EVENT 25 " + w[1])
            # the meter's instance list notification, INF D5 (TID 0001)
            inf = bytes.fromhex("108100010EF0010EF0017301D504")
            out(erxudp(inf + bytes([len(devs)]) +
                       b"".join(bytes.fromhex(k) for k in devs)))
    else:
        out("FAIL ER04")


def sendto(m, data):
    global sends
    sends += 1
    side = (" " + m.group(5).decode()) if m.group(5) else ""
    ip = m.group(2).decode()
    if sends <= a.send_fail:
        out("EVENT 21 %s%s 01" % (ip, side), "OK")
        return
    out("EVENT 21 %s%s 00" % (ip, side), "OK")
    r = answer(data)
    if r is None:
        return
    if a.bad_erxudp:
        bad = erxudp(r)
        out(bad[:bad.rindex(" ")] + " " + r.hex().upper()[:-2])
    out(erxudp(r))


buf = b""
while True:
    try:
        select.select([master], [], [])
        chunk = os.read(master, 4096)
    except OSError:
        break
    if not chunk:
        break
    buf += chunk
    while True:
        m = SENDTO.match(buf)
        if m:
            n = int(m.group(6), 16)
            if len(buf) < m.end() + n:
                break
            data = buf[m.end():m.end() + n]
            log.write(m.group(0).decode().rstrip() + " " + data.hex().upper()
                      + "\n")
            log.flush()
            os.write(master, buf[:m.end() + n] + b"\r\n")     # the echo
            buf = buf[m.end() + n:]
            if buf.startswith(b"\r\n"):
                buf = buf[2:]
            sendto(m, data)
            continue
        if b"SKSENDTO".startswith(buf[:8]) and len(buf) < 200 and \
                b"\r\n" not in buf:
            break                       # a SKSENDTO still coming
        i = buf.find(b"\r\n")
        if i < 0:
            break
        line = buf[:i].decode(errors="replace")
        buf = buf[i + 2:]
        log.write(line + "\n")
        log.flush()
        command(line)
