#!/usr/bin/env python3
# tools/forecast-data.py: regenerates tests/data/forecast/*.csv.xz, the
# per-home series `make bench` (part forecast) scores the forecasts on,
# from the originals of the shared data collection (data/SOURCES.md there).
# Not run by the build: run it by hand, with the collection's directory:
#     python3 tools/forecast-data.py /path/to/data tests/data/forecast
# Standard library only.  Each output file: header lines "key value", a
# line "data", then one line a slot, oldest first, "import,pv" in Wh
# (pv absent for homes without PV; an empty field: no value for the slot).
# A slot has no value when a counter it needs is empty at either end, went
# backwards (a meter reset or a replaced meter), or stepped by more than
# 25 kWh in an hour (a counter's jump, not a household's use).
import csv
import datetime as dt
import lzma
import os
import sys
from zoneinfo import ZoneInfo

KONSTANZ = ("47.66", "9.18")
SYDNEY = ("-33.87", "151.21")
MAX_WH_HOUR = 25000


def opsd(path, n):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    head = rows[0]
    col = {h.replace("DE_KN_residential%d_" % n, ""): i
           for i, h in enumerate(head)}
    names = ["grid_import"] + (["pv"] if "pv" in col else [])
    t0 = dt.datetime.fromisoformat(rows[1][0].replace("Z", "+00:00"))
    out = []
    prev = None
    for r in rows[1:]:
        t = dt.datetime.fromisoformat(r[0].replace("Z", "+00:00"))
        cur = [r[col[c]] for c in names]
        if prev is not None:
            if (t - prev[0]) != dt.timedelta(hours=1):
                sys.exit("%s: %s: not one hour after the row before" %
                         (path, r[0]))
            vals = []
            for a, b in zip(prev[1], cur):
                if a == "" or b == "":
                    vals.append("")
                    continue
                d = round((float(b) - float(a)) * 1000)
                vals.append("" if d < 0 or d > MAX_WH_HOUR else str(d))
            out.append(vals)
        prev = (t, cur)
    return t0, 60, names, out


def ausgrid(path):
    # average kW over the half hour, starting at the local Sydney clock
    tz = ZoneInfo("Australia/Sydney")
    got = {}
    with open(path, newline="") as f:
        rd = csv.reader(f)
        next(rd)
        for r in rd:
            lt = dt.datetime.fromisoformat(r[0]).replace(tzinfo=tz)
            u = int(lt.astimezone(dt.timezone.utc).timestamp())
            if u not in got:
                got[u] = [str(round(float(r[1]) * 500)),
                          str(round(float(r[2]) * 500))]
    a, b = min(got), max(got)
    out = [got.get(u, ["", ""]) for u in range(a, b + 1, 1800)]
    return (dt.datetime.fromtimestamp(a, dt.timezone.utc), 30,
            ["GC", "GG"], out)


def write(dst, home, src, t0, minutes, names, latlon, rows):
    lines = ["# denki forecast series: %s, derived from %s" % (home, src),
             "# by tools/forecast-data.py; see tests/data/SOURCES.md",
             "home %s" % home,
             "start %s" % t0.strftime("%Y-%m-%dT%H:%M:%SZ"),
             "slot_minutes %d" % minutes,
             "latitude %s" % latlon[0], "longitude %s" % latlon[1],
             "series import%s" % (",pv" if len(names) > 1 else ""),
             "columns %s" % ",".join(names), "data"]
    lines += [",".join(v) for v in rows]
    data = ("\n".join(lines) + "\n").encode()
    with lzma.open(os.path.join(dst, home + ".csv.xz"), "wb",
                   preset=9) as f:
        f.write(data)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: forecast-data.py DATA-DIR OUT-DIR")
    src, dst = sys.argv[1], sys.argv[2]
    os.makedirs(dst, exist_ok=True)
    for n in range(1, 7):
        name = "DE_KN_residential%d_60min_cumulative_kWh.csv" % n
        t0, m, names, rows = opsd(os.path.join(src, "opsd_household",
                                               name), n)
        write(dst, "kn%d" % n, "opsd_household/" + name, t0, m, names,
              KONSTANZ, rows)
    name = "customer12_2011-2012_GC_GG.csv"
    t0, m, names, rows = ausgrid(os.path.join(src, "ausgrid", name))
    write(dst, "ausgrid12", "ausgrid/" + name, t0, m, names, SYDNEY, rows)


main()
