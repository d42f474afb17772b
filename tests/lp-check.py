#!/usr/bin/env python3
"""
The independent proof of denki-clear's optimality (issue 4, item 4).

For many random books, seeded and reproducible, this builds a real
community (keys, a registry with zones and limits, coop.yaml per book),
runs denki-clear on each book and writes the same problem as a linear
program in CPLEX LP format, solves it with glpsol and compares:

  uniform, pay-as-bid   welfare of clear's trades, sum of wh * (buy limit -
                        sell limit - trade wheeling), equals the LP optimum
                        exactly (micro-units * Wh / kWh, integers); the
                        traded volume equals the LP's largest volume among
                        welfare-optimal flows; pay-as-bid fills equal
                        uniform's fills order by order.
  mid-market            volume per zone equals the LP of max volume of the
                        eligible orders (sells <= P, buys >= P + inside).
  mcafee                W_opt - (Q - q) * (b_m - s_m) <= welfare <= W_opt,
                        and the allocation equals an independent reference.

The LP: a variable per accepted order, filled Wh in [0, wh]; per link a
flow each way in [0, capacity_wh] (zonal rules without links: a flow each
way between every two zones, without limit, at wheeling.between); one
balance row per zone.  Objective, lexicographic in one exact solve
(glpsol --exact, rational arithmetic): maximise K * welfare + volume with
K = (total buy Wh) + 1, where welfare = sum buy (price - inside) * fill -
sum sell price * fill - sum link wheeling * flow.  The constraint matrix
is a network matrix, so vertices are integral: the LP's fills must be
integers and its welfare an integer, hence the comparison is exact (no
tolerance).  Both are read back from the LP's primal values and recomputed
here in integer arithmetic.

Also checked per book: the rejections clear reports (limits, in id order)
equal an independent model of the limit rules; per trade the price rules
of the mechanism, price >= the sell limit, buy_price <= the buy limit,
buy_price - price - wheeling >= 0; link flows within capacity and each
zone's balance; uniform zone prices clear their zone (orders strictly
inside fill whole, strictly outside not at all); each price level's
partial fill shared pro rata by largest remainder, ties by id.

usage: lp-check.py [-s seed] [-n books] [-j jobs] [-k] DIR
Prints one line per discrepancy and a summary; exit 0 when none, 1 else.
-k keeps the work files of failing books in DIR.
"""
import argparse
import hashlib
import json
import os
import random
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLOT = "2026-01-01T10:00:00+00:00"
ZONES = ["z1", "z2", "z3", "z4"]
FEE = 10000
RETAIL, BUYBACK = 300000, 100000
MMR = BUYBACK + (RETAIL - BUYBACK) // 2


def prog(name):
    # LP_CHECK_CLEAR: another denki-clear (the tests' negative control)
    if name == "denki-clear" and os.environ.get("LP_CHECK_CLEAR"):
        return os.environ["LP_CHECK_CLEAR"]
    return os.path.join(TOP, name)


def value(wh, price):
    """dk_value: wh * price / 1000 rounded half away from zero."""
    p = wh * price
    return (p + 500) // 1000 if p >= 0 else -((-p + 500) // 1000)


# ---------------------------------------------------------------- community

def participants():
    """(id, zone, max_wh or None, max_day or None), fixed."""
    r = random.Random(4242)
    out = []
    for z in ZONES:
        for i in range(10):
            out.append(("u%s%d" % (z, i), z, None, None))
        for i in range(3):
            mw = r.choice([None, r.randint(500, 9000)])
            md = r.choice([None, r.randint(100000, 2000000)])
            if mw is None and md is None:
                mw = r.randint(500, 9000)
            out.append(("l%s%d" % (z, i), z, mw, md))
    return out


BASE = """ledger: ledger.jsonl
operator:
  key: operator.key
  pub: operator.pub
terms: terms.txt
currency: EUR
tz: UTC
slot_minutes: 30
prices:
  retail: %d
  buyback: %d
  fee: %d
""" % (RETAIL, BUYBACK, FEE)


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


def community(d):
    """Keys, registry (zones, limits) and a first empty clearing signed
    into the ledger, so the ledger holds the rules the books clear under."""
    if os.path.exists(os.path.join(d, "ready")):
        return
    os.makedirs(d, exist_ok=True)
    env = dict(os.environ, HOME=d, LC_ALL="C")
    env.pop("TZ", None)

    def ok(args, inp=None):
        p = subprocess.run(args, cwd=d, env=env, capture_output=True,
                           text=True, input=inp)
        if p.returncode != 0:
            sys.exit("lp-check: %s: exit %d: %s" % (" ".join(args),
                     p.returncode, p.stderr))
        return p.stdout

    ok([prog("denki-keygen"), "operator"])
    with open(os.path.join(d, "terms.txt"), "w") as f:
        f.write("LP check terms.\n")
    with open(os.path.join(d, "coop.yaml"), "w") as f:
        f.write(BASE)
    for pid, z, mw, md in participants():
        ok([prog("denki-keygen"), pid])
        # the member's signed request, then the operator's add
        with open(os.path.join(d, pid + ".json"), "w") as f:
            f.write(ok([prog("denki-registry"), "request", pid, "-s",
                        pid + ".key", "-m", pid + "-m", "-z", z]))
        a = [prog("denki-registry"), "-c", "coop.yaml", "add",
             pid + ".json"]
        if mw is not None:
            a += ["-w", str(mw)]
        if md is not None:
            a += ["-l", str(md)]
        ok(a)
    out = ok([prog("denki-clear"), "-c", "coop.yaml", "-s",
              "2026-01-01T09:00:00+00:00"], inp="")
    ok([prog("denki-contract-sign"), "-c", "coop.yaml"], inp=out)
    open(os.path.join(d, "ready"), "w").close()


# ---------------------------------------------------------------- books

def gen_book(seed, k):
    r = random.Random("%d/%d" % (seed, k))
    mech = r.choices(["uniform", "pay-as-bid", "mid-market", "mcafee"],
                     [40, 25, 20, 15])[0]
    zonal = mech != "mcafee" and r.random() < 0.7
    nz = r.randint(1, 4) if zonal else r.randint(1, 4)
    zones = ZONES[:nz]
    inside = between = 0
    links = []
    if zonal:
        inside = r.choice([0, 0, r.randint(1, 30000)])
        between = r.choice([0, r.randint(1, 40000)])
        if nz >= 2 and r.random() < 0.6:
            # a spanning tree, maybe a cycle, maybe a hub without orders
            names = list(zones)
            if r.random() < 0.3:
                names.append("hub")
            for i in range(1, len(names)):
                links.append([names[r.randrange(i)], names[i]])
            pairs = {tuple(sorted(l)) for l in links}
            for _ in range(r.randint(0, 2)):
                a, b = r.sample(names, 2)
                if tuple(sorted((a, b))) not in pairs:
                    pairs.add(tuple(sorted((a, b))))
                    links.append([a, b])
            for l in links:
                cap = r.choice([0, r.randint(1, 3000), r.randint(1, 20000)])
                w = r.choice([None, 0, r.randint(1, 30000)])
                l += [cap, w]
        if inside == 0 and between == 0 and not links:
            inside = r.randint(1, 30000)
    limits = r.random() < 0.35
    n = r.randint(1, 40)
    pool = [p for p in participants()
            if p[1] in zones and (limits or p[0][0] == "u")]
    side = {p[0]: r.choice(["sell", "buy"]) for p in pool}
    tick = r.choice([1, 1000, 25000])
    lo, hi = r.choice([(50000, 350000), (100000, 300000), (150000, 250000)])
    small = r.random() < 0.3
    orders = []
    seen = set()
    while len(orders) < n:
        p = r.choice(pool)
        wh = r.randint(1, 40) if small else r.randint(1, 5000)
        price = r.randint(lo // tick, hi // tick) * tick
        o = (p[0], side[p[0]], wh, price)
        if o in seen:
            continue
        seen.add(o)
        orders.append(o)
    return {"k": k, "mech": mech, "zonal": zonal, "inside": inside,
            "between": between, "links": links, "orders": orders,
            "limits": limits}


def coop_yaml(b):
    s = BASE + "mechanism: %s\n" % b["mech"]
    if b["zonal"]:
        s += "wheeling:\n  inside: %d\n  between: %d\n" % (b["inside"],
                                                        b["between"])
    if b["links"]:
        s += "links:\n"
        for i, (a, z, cap, w) in enumerate(b["links"]):
            s += "  L%d:\n    zones: [%s, %s]\n    capacity_wh: %d\n" % (
                i, a, z, cap)
            if w is not None:
                s += "    wheeling: %d\n" % w
    return s


def sign_all(d, books):
    """One sign-record per participant over every book's lines."""
    per = {}
    for b in books:
        b["lines"] = [None] * len(b["orders"])
        for i, (pid, side, wh, price) in enumerate(b["orders"]):
            rec = json.dumps({"type": "order", "v": 1, "participant": pid,
                              "slot": SLOT, "side": side, "wh": wh,
                              "price": price})
            per.setdefault(pid, []).append((b, i, rec))
    for pid, items in per.items():
        p = run([prog("tests/unit/sign-record"), os.path.join(d, pid +
                 ".key")], input="".join(x[2] + "\n" for x in items))
        outs = p.stdout.splitlines()
        if p.returncode != 0 or len(outs) != len(items):
            sys.exit("lp-check: sign-record %s failed: %s" % (pid, p.stderr))
        for (b, i, _), line in zip(items, outs):
            b["lines"][i] = line


# ---------------------------------------------------------------- models

def oid(line):
    return hashlib.sha256(line.encode()).hexdigest()


def expected_rejections(b, lim):
    """The book filter's limits, orders in id order (fee from the rules)."""
    rows = sorted((oid(l), i) for i, l in enumerate(b["lines"]))
    wh_of, owed_of, rej = {}, {}, {}
    for h, i in rows:
        pid, side, wh, price = b["orders"][i]
        mw, md = lim[pid]
        w0 = wh_of.get(pid, 0)
        ow = owed_of.get(pid, 0)
        x = value(wh, price) + value(wh, FEE)
        if mw is not None and w0 + wh > mw:
            rej[i] = ("over the participant's limit of %d Wh a slot "
                      "(%d Wh in its orders before this one)" % (mw, w0))
        elif md is not None and side == "buy" and ow + x > md:
            rej[i] = ("over the participant's limit of %d a day: it may "
                      "owe %d already and this order up to %d" % (md, ow, x))
        else:
            wh_of[pid] = w0 + wh
            if side == "buy":
                owed_of[pid] = ow + x
    return rej


class Book:
    pass


def lp_text(bk, mech):
    """The LP; returns (text, columns) with columns a list of
    (name, kind, data)."""
    cols, obj, rows, bounds = [], [], {}, []
    K = sum(o["wh"] for o in bk.acc if o["side"] == "buy") + 1
    ins = bk.inside if bk.zonal else 0

    def addrow(z, name, coef):
        rows.setdefault(z, []).append((coef, name))

    for i, o in enumerate(bk.acc):
        name = "x%d" % i
        z = o["zone"] if bk.zonal else ""
        if mech == "mid-market":
            if o["side"] == "sell" and o["price"] > MMR:
                continue
            if o["side"] == "buy" and o["price"] < MMR + ins:
                continue
            c = 1 if o["side"] == "buy" else 0
        elif o["side"] == "buy":
            c = (o["price"] - ins) * K + 1
        else:
            c = -o["price"] * K
        cols.append((name, "order", i))
        obj.append((c, name))
        addrow(z, name, 1 if o["side"] == "sell" else -1)
        bounds.append("0 <= %s <= %d" % (name, o["wh"]))
    if bk.zonal and mech != "mid-market":
        arcs = []
        if bk.links:
            for li, (a, z, cap, w) in enumerate(bk.links):
                arcs.append(("f%dp" % li, a, z, cap, w, li, 1))
                arcs.append(("f%dm" % li, z, a, cap, w, li, -1))
        else:
            for a in bk.zones:
                for z in bk.zones:
                    if a != z:
                        arcs.append(("g_%s_%s" % (a, z), a, z, None,
                                     bk.between, None, 0))
        for name, a, z, cap, w, li, sgn in arcs:
            cols.append((name, "arc", (a, z, w, li, sgn)))
            obj.append((-w * K, name))
            addrow(a, name, -1)
            addrow(z, name, 1)
            bounds.append("0 <= %s <= %d" % (name, cap) if cap is not None
                          else "%s >= 0" % name)
    # every column in the objective, in order: glpsol numbers columns as
    # they first appear
    t = ["Maximize", " obj: " + (" ".join("%+d %s" % x for x in obj)
                                 if obj else "0 x0")]
    t.append("Subject To")
    for zi, z in enumerate(sorted(rows)):
        t.append(" bal%d: %s = 0" % (zi, " ".join("%+d %s" % x
                                                    for x in rows[z])))
    t.append("Bounds")
    t += [" " + s for s in bounds]
    t.append("End")
    return "\n".join(t) + "\n", cols, K


def solve(bk, mech, path):
    text, cols, K = lp_text(bk, mech)
    if not cols:
        return [0] * len(bk.acc), []
    with open(path + ".lp", "w") as f:
        f.write(text)
    p = run(["glpsol", "--lp", path + ".lp", "--exact", "-w",
             path + ".sol"])
    if p.returncode != 0:
        raise RuntimeError("glpsol: exit %d: %s" % (p.returncode,
                           p.stdout[-400:]))
    vals = {}
    status = None
    with open(path + ".sol") as f:
        for line in f:
            w = line.split()
            if w[0] == "s":
                status = w[4]
            elif w[0] == "j":
                vals[int(w[1])] = float(w[3])
    if status != "f":
        raise RuntimeError("glpsol: primal status %s" % status)
    fill = [0] * len(bk.acc)
    flows = []
    for j, (name, kind, data) in enumerate(cols, 1):
        v = vals.get(j, 0.0)
        iv = round(v)
        if abs(v - iv) > 1e-9:
            raise RuntimeError("LP solution not integral: %s = %r" %
                               (name, v))
        if kind == "order":
            fill[data] = iv
        else:
            flows.append((data, iv))
    return fill, flows


def welfare_of_lp(bk, fill, flows):
    ins = bk.inside if bk.zonal else 0
    w = 0
    for o, x in zip(bk.acc, fill):
        w += (o["price"] - ins) * x if o["side"] == "buy" else -o["price"] * x
    for (a, z, wl, li, sgn), f in flows:
        w -= wl * f
    vol = sum(x for o, x in zip(bk.acc, fill) if o["side"] == "buy")
    return w, vol


# ------------------------------------------------------------ clear output

def parse_clear(out):
    orders, trades, clr = [], [], None
    for line in out.splitlines():
        r = json.loads(line)
        if r["type"] == "order":
            orders.append((line, r))
        elif r["type"] == "trade":
            trades.append(r)
        elif r["type"] == "clearing":
            clr = r
    return orders, trades, clr


def prorata(whs, ids, q):
    tot = sum(whs)
    if q == tot:
        return list(whs)
    base = [q * w // tot for w in whs]
    rem = [q * w % tot for w in whs]
    left = q - sum(base)
    order = sorted(range(len(whs)), key=lambda i: (-rem[i], ids[i]))
    for i in order[:left]:
        base[i] += 1
    return base


def check_levels(bk, fills, key, err):
    """Within a zone and side, orders grouped by price: levels better than
    a partial one fill whole, the partial one shares pro rata, worse ones
    nothing."""
    groups = {}
    for i, o in enumerate(bk.acc):
        z = o["zone"] if bk.zonal else ""
        groups.setdefault((z, o["side"]), []).append(i)
    for (z, side), idx in groups.items():
        lv = {}
        for i in idx:
            if key(bk.acc[i]) is not None:
                lv.setdefault(key(bk.acc[i]), []).append(i)
        prices = sorted(lv, reverse=(side == "buy"))
        seen_partial = False
        for p in prices:
            ii = lv[p]
            used = sum(fills[i] for i in ii)
            tot = sum(bk.acc[i]["wh"] for i in ii)
            if seen_partial and used:
                err("zone %r %s level %d fills %d Wh after a level left "
                    "partly unfilled" % (z, side, p, used))
            want = prorata([bk.acc[i]["wh"] for i in ii],
                           [bk.acc[i]["id"] for i in ii], used)
            got = [fills[i] for i in ii]
            if want != got:
                err("zone %r %s level %d: fills %s, pro rata %s" % (
                    z, side, p, got, want))
            if used < tot:
                seen_partial = True


def mcafee_ref(bk):
    """McAfee's trade reduction as specified, independently."""
    s = sorted((o for o in bk.acc if o["side"] == "sell"),
               key=lambda o: (o["price"], o["id"]))
    b = sorted((o for o in bk.acc if o["side"] == "buy"),
               key=lambda o: (-o["price"], o["id"]))

    def levels(v):
        out = []
        for o in v:
            if out and out[-1][0] == o["price"]:
                out[-1][1].append(o)
            else:
                out.append((o["price"], [o]))
        return out
    sl, bl = levels(s), levels(b)
    # efficient volume: units while b >= s (break-even trades)
    su = [(p, sum(o["wh"] for o in os)) for p, os in sl]
    bu = [(p, sum(o["wh"] for o in os)) for p, os in bl]
    i = j = 0
    ls = lb = 0	 # Wh used of current level
    Q = 0
    W = 0
    while i < len(su) and j < len(bu) and bu[j][0] >= su[i][0]:
        x = min(su[i][1] - ls, bu[j][1] - lb)
        Q += x
        W += x * (bu[j][0] - su[i][0])
        ls += x
        lb += x
        if ls == su[i][1]:
            i, ls = i + 1, 0
        if lb == bu[j][1]:
            j, lb = j + 1, 0
    if Q == 0:
        return None
    # marginal levels: the last with energy used
    ms = i if ls > 0 else i - 1
    mb = j if lb > 0 else j - 1
    sm, bm = su[ms][0], bu[mb][0]
    fill = {}
    if i < len(su) and j < len(bu):
        p0 = (su[i][0] + bu[j][0]) // 2
        if sm <= p0 <= bm:
            # everything efficient trades at p0: levels, pro rata in the
            # partial one
            for lvls, uu, m, last in ((sl, su, ms, ls), (bl, bu, mb, lb)):
                for k in range(m + 1):
                    os = lvls[k][1]
                    q = uu[k][1] if (k < m or last == 0) else last
                    for o, f in zip(os, prorata([o["wh"] for o in os],
                                                [o["id"] for o in os], q)):
                        fill[o["id"]] = f
            return {"reduced": False, "price": p0, "buy": p0, "Q": Q, "q": Q,
                    "W": W, "Wopt": W, "G": 0, "one": True, "fill": fill,
                    "floor": W}
    sw = sum(w for _, w in su[:ms])
    bw = sum(w for _, w in bu[:mb])
    q = min(sw, bw)
    sv = [o for _, os in sl[:ms] for o in os]
    bv = [o for _, os in bl[:mb] for o in os]
    for v in (sv, bv):
        for o, f in zip(v, prorata([o["wh"] for o in v],
                                   [o["id"] for o in v], q)):
            fill[o["id"]] = f
    # welfare of the reference fills, and of the best q units (what
    # trading best first would give: W_opt - G, G the marginal levels' gain)
    Wr = sum((1 if o["side"] == "buy" else -1) * o["price"] *
             fill.get(o["id"], 0) for o in bk.acc)
    Wq = 0
    for v, sg in ((sv, -1), (bv, 1)):
        left = q
        for o in v:
            x = min(left, o["wh"])
            Wq += sg * x * o["price"]
            left -= x
    # the long side's better orders at one price: pro rata is best first
    one = len({o["price"] for o in (bv if bw > sw else sv)}) <= 1
    return {"reduced": True, "price": sm, "buy": bm, "Q": Q, "q": q,
            "W": Wr, "Wopt": W, "G": W - Wq, "one": one, "fill": fill,
            "floor": q * (min([o["price"] for o in bv] or [0]) -
                          max([o["price"] for o in sv] or [0]))}


# ---------------------------------------------------------------- one book

MC = [0, 0, 0]
STAT = {}


def stat(k):
    STAT[k] = STAT.get(k, 0) + 1


def check_book(d, b, keep):
    errs = []
    k = b["k"]

    def err(msg):
        errs.append("book %d (%s%s, %d orders): %s" % (
            k, b["mech"], " zonal" if b["zonal"] else "",
            len(b["orders"]), msg))

    w = os.path.join(d, "b%d" % k)
    with open(w + ".yaml", "w") as f:
        f.write(coop_yaml(b))
    with open(w + ".jsonl", "w") as f:
        f.write("".join(l + "\n" for l in b["lines"]))
    env = dict(os.environ, HOME=d, LC_ALL="C")
    p = subprocess.run([prog("denki-clear"), "-k", "-c", w + ".yaml",
                        w + ".jsonl"], cwd=d, env=env, capture_output=True,
                       text=True)
    lim = {pp[0]: (pp[2], pp[3]) for pp in participants()}
    rej = expected_rejections(b, lim)
    want_err = sorted("denki-clear: %s:%d: rejected: %s" % (w + ".jsonl",
                      i + 1, why) for i, why in rej.items())
    got_err = sorted(p.stderr.splitlines())
    if want_err != got_err:
        err("rejections differ:\n  clear: %s\n  model: %s" % (got_err,
                                                             want_err))
    if p.returncode != (65 if rej else 0):
        err("clear exit %d, want %d" % (p.returncode, 65 if rej else 0))
    if rej:
        stat("books with limit rejections")
    if p.returncode not in (0, 65):
        return errs, 0
    orders, trades, clr = parse_clear(p.stdout)
    if clr is None and len(rej) == len(b["lines"]) and not p.stdout:
        return errs, 0	# every order rejected: no slot to clear
    if clr is None:
        err("clear exit %d printed no clearing: %s" % (p.returncode,
                                                      p.stderr.strip()))
        return errs, 0
    bk = Book()
    bk.zonal, bk.inside, bk.between = b["zonal"], b["inside"], b["between"]
    bk.links = b["links"]
    zone_of = {pp[0]: pp[1] for pp in participants()}
    bk.acc = []
    byid = {}
    for line, r in orders:
        o = {"id": oid(line), "side": r["side"], "wh": r["wh"],
             "price": r["price"], "participant": r["participant"],
             "zone": zone_of[r["participant"]]}
        byid[o["id"]] = len(bk.acc)
        bk.acc.append(o)
    accepted = sorted(oid(l) for i, l in enumerate(b["lines"])
                      if i not in rej)
    if accepted != [o["id"] for o in bk.acc]:
        err("the book printed is not the accepted orders in id order")
        return errs, 0
    zs = sorted({o["zone"] for o in bk.acc} |
                {z for l in bk.links for z in l[:2]})
    bk.zones = zs
    ins = bk.inside if bk.zonal else 0
    if bk.zonal:
        got = [z["zone"] for z in clr.get("zones", [])]
        if got != zs:
            err("zones %s, want %s" % (got, zs))
    # fills from trades, and per trade checks
    fills = [0] * len(bk.acc)
    W = 0
    for t in trades:
        si, bi = byid.get(t["sell_order"]), byid.get(t["buy_order"])
        if si is None or bi is None:
            err("trade of an order not in the book: %s" % t)
            continue
        so, bo = bk.acc[si], bk.acc[bi]
        fills[si] += t["wh"]
        fills[bi] += t["wh"]
        if so["side"] != "sell" or bo["side"] != "buy":
            err("trade sides wrong: %s" % t)
        wh, pr = t["wh"], t["price"]
        bp = t.get("buy_price", pr)
        wl = t.get("wheeling", 0)
        if ("buy_price" in t) != (bk.zonal or b["mech"] != "uniform"):
            err("buy_price present: %s" % ("buy_price" in t))
        if wh <= 0:
            err("trade of %d Wh" % wh)
        W += wh * (bo["price"] - so["price"] - wl)
        if b["mech"] != "mid-market" and pr < so["price"]:
            err("price %d below the sell limit %d" % (pr, so["price"]))
        if bp > bo["price"]:
            err("buy_price %d above the buy limit %d" % (bp, bo["price"]))
        if bp - pr - wl < 0:
            err("buy_price - price - wheeling = %d < 0 (%s)" % (
                bp - pr - wl, t))
        if bk.zonal:
            if (t["seller_zone"], t["buyer_zone"]) != (so["zone"],
                                                       bo["zone"]):
                err("trade zones %s/%s" % (t["seller_zone"],
                                           t["buyer_zone"]))
            if so["zone"] == bo["zone"] and wl != ins:
                err("wheeling %d inside a zone, want %d" % (wl, ins))
            if (so["zone"] != bo["zone"] and not bk.links and
                    wl != ins + bk.between):
                err("wheeling %d between zones, want %d" % (
                    wl, ins + bk.between))
        elif wl != 0:
            err("wheeling %d without zones" % wl)
        m = b["mech"]
        if m == "pay-as-bid" and (bp != bo["price"] or pr != bp - wl):
            err("pay-as-bid prices %d/%d for limit %d, wheeling %d" % (
                pr, bp, bo["price"], wl))
        if m == "mid-market" and (pr != MMR or bp != MMR + ins or
                                  (bk.zonal and so["zone"] != bo["zone"])):
            err("mid-market trade %s" % t)
        if m == "uniform" and bk.zonal:
            zp = {z["zone"]: z["price"] for z in clr["zones"]}
            if pr != zp[so["zone"]] or bp != zp[bo["zone"]] + ins:
                err("uniform trade prices %d/%d, zone prices %s/%s" % (
                    pr, bp, zp[so["zone"]], zp[bo["zone"]]))
        if m == "uniform" and not bk.zonal and pr != clr["price"]:
            err("trade price %d, clearing %s" % (pr, clr["price"]))
    for o, f in zip(bk.acc, fills):
        if f > o["wh"]:
            err("order %s filled %d > %d" % (o["id"][:8], f, o["wh"]))
    vol = sum(f for o, f in zip(bk.acc, fills) if o["side"] == "buy")
    if clr["wh"] != vol or clr["trades"] != len(trades):
        err("clearing wh %d / trades %d, trades sum %d / %d" % (
            clr["wh"], clr["trades"], vol, len(trades)))
    # links: capacity, zone balance, wheeling paid = link charges
    if bk.zonal and b["mech"] != "mid-market" and bk.links:
        fl = {l["link"]: l["wh"] for l in clr["links"]}
        net = {z: 0 for z in zs}
        charge = 0
        for li, (a, z, cap, wlk) in enumerate(bk.links):
            f = fl["L%d" % li]
            if abs(f) == cap and f:
                stat("books x links at capacity")
            if abs(f) > cap:
                err("link L%d flow %d over capacity %d" % (li, f, cap))
            net[a] -= f
            net[z] += f
            charge += abs(f) * (wlk if wlk is not None else bk.between)
        for zr in clr["zones"]:
            if zr["sold_wh"] - zr["bought_wh"] != -net[zr["zone"]]:
                err("zone %s: sold %d bought %d, links bring %d" % (
                    zr["zone"], zr["sold_wh"], zr["bought_wh"],
                    net[zr["zone"]]))
        paid = sum(t["wh"] * (t["wheeling"] - ins) for t in trades)
        if paid != charge:
            err("trades pay %d for links, the link flows cost %d" % (
                paid, charge))
        bk.links = [(a, z, cap, wlk if wlk is not None else bk.between)
                    for a, z, cap, wlk in bk.links]
    if bk.zonal:
        for zr in clr["zones"]:
            s = sum(f for o, f in zip(bk.acc, fills)
                    if o["zone"] == zr["zone"] and o["side"] == "sell")
            bb = sum(f for o, f in zip(bk.acc, fills)
                     if o["zone"] == zr["zone"] and o["side"] == "buy")
            if (s, bb) != (zr["sold_wh"], zr["bought_wh"]):
                err("zone %s sold/bought %d/%d, trades say %d/%d" % (
                    zr["zone"], zr["sold_wh"], zr["bought_wh"], s, bb))
    nlp = 0
    m = b["mech"]
    try:
        if m in ("uniform", "pay-as-bid"):
            lf, lfl = solve(bk, m, w)
            nlp += 1
            lw, lv = welfare_of_lp(bk, lf, lfl)
            if W != lw:
                err("welfare %d, LP optimum %d (difference %d)" % (
                    W, lw, lw - W))
            elif vol != lv:
                err("volume %d, LP's largest optimal volume %d" % (vol, lv))
            check_levels(bk, fills, lambda o: o["price"], err)
            if m == "uniform":
                check_zone_prices(bk, fills, clr, err)
                if bk.zonal and clr["price"] is None:
                    stat("uniform books with different zone prices")
            else:
                # pay-as-bid trades the uniform allocation
                q = subprocess.run([prog("denki-clear"), "-k", "-D",
                                    "mechanism=uniform", "-c", w + ".yaml",
                                    w + ".jsonl"], cwd=d, env=env,
                                   capture_output=True, text=True)
                _, ut, _ = parse_clear(q.stdout)
                uf = [0] * len(bk.acc)
                for t in ut:
                    uf[byid[t["sell_order"]]] += t["wh"]
                    uf[byid[t["buy_order"]]] += t["wh"]
                if uf != fills:
                    err("pay-as-bid fills differ from uniform's")
        elif m == "mid-market":
            lf, _ = solve(bk, m, w)
            nlp += 1
            for z in (zs if bk.zonal else [""]):
                a = sum(f for o, f in zip(bk.acc, fills)
                        if (o["zone"] if bk.zonal else "") == z and
                        o["side"] == "buy")
                e = sum(f for o, f in zip(bk.acc, lf)
                        if (o["zone"] if bk.zonal else "") == z and
                        o["side"] == "buy")
                if a != e:
                    err("mid-market zone %r volume %d, LP %d" % (z, a, e))
            elig = lambda o: (o["price"] <= MMR if o["side"] == "sell"
                              else o["price"] >= MMR + ins)
            for o, f in zip(bk.acc, fills):
                if f and not elig(o):
                    err("mid-market fills an ineligible order")
            check_levels(bk, fills, lambda o: 0 if elig(o) else None, err)
            if trades and clr["price"] != MMR:
                err("mid-market clearing price %s" % clr["price"])
        elif m == "mcafee":
            lf, lfl = solve(bk, "uniform", w)
            nlp += 1
            lw, lv = welfare_of_lp(bk, lf, lfl)
            ref = mcafee_ref(bk)
            if ref is None:
                if trades or lw != 0:
                    err("mcafee: no efficient trade expected (LP %d)" % lw)
            else:
                if ref["Wopt"] != lw:
                    err("reference efficient welfare %d, LP %d" % (
                        ref["Wopt"], lw))
                # W_opt - G <= W <= W_opt, G the marginal levels' gain,
                # when pro rata and best first agree; pro rata over
                # better levels at several prices can only do worse than
                # best first, and no worse than q * (lowest better buy -
                # highest better sell)
                lo = lw - ref["G"] if ref["one"] else ref["floor"]
                hi = lw if ref["one"] else lw - ref["G"]
                if not (lo <= W <= hi):
                    err("mcafee welfare %d outside [%d, %d]" % (W, lo, hi))
                MC[0 if ref["one"] else 1] += 1
                if W < lw - ref["G"]:
                    MC[2] += 1
                if W != ref["W"]:
                    err("mcafee welfare %d, reference %d" % (W, ref["W"]))
                want = [ref["fill"].get(o["id"], 0) for o in bk.acc]
                if want != fills:
                    err("mcafee fills %s, reference %s" % (fills, want))
                if ref["q"] > 0 or not ref["reduced"]:
                    if (clr["reduced"], clr["price"]) != (ref["reduced"],
                                                          ref["price"]):
                        err("mcafee clearing reduced/price %s/%s, "
                            "reference %s/%s" % (clr["reduced"],
                                                 clr["price"],
                                                 ref["reduced"],
                                                 ref["price"]))
                    for t in trades:
                        if (t["price"], t["buy_price"]) != (ref["price"],
                                                            ref["buy"]):
                            err("mcafee trade prices %d/%d, reference "
                                "%d/%d" % (t["price"], t["buy_price"],
                                           ref["price"], ref["buy"]))
                            break
    except RuntimeError as ex:
        err(str(ex))
    if not errs or not keep:
        for ext in (".lp", ".sol", ".yaml", ".jsonl"):
            try:
                os.unlink(w + ext)
            except FileNotFoundError:
                pass
    return errs, nlp


def check_zone_prices(bk, fills, clr, err):
    """Each zone's uniform price clears it: orders strictly better fill
    whole, strictly worse not at all."""
    ins = bk.inside if bk.zonal else 0
    if bk.zonal:
        zp = {z["zone"]: z["price"] for z in clr["zones"]}
    else:
        zp = {"": clr["price"]}
    for o, f in zip(bk.acc, fills):
        z = o["zone"] if bk.zonal else ""
        p = zp.get(z)
        if p is None:
            if f:
                err("zone %r trades without a price" % z)
            continue
        if o["side"] == "sell":
            if o["price"] < p and f != o["wh"]:
                err("sell %d below zone %r price %d filled %d of %d" % (
                    o["price"], z, p, f, o["wh"]))
            if o["price"] > p and f:
                err("sell %d above zone %r price %d filled %d" % (
                    o["price"], z, p, f))
        else:
            if o["price"] - ins > p and f != o["wh"]:
                err("buy %d above zone %r price %d + %d filled %d of %d" % (
                    o["price"], z, p, ins, f, o["wh"]))
            if o["price"] - ins < p and f:
                err("buy %d below zone %r price %d + %d filled %d" % (
                    o["price"], z, p, ins, f))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-s", type=int, default=1)
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("-k", action="store_true")
    ap.add_argument("-b", type=int, default=None, help="only book B")
    ap.add_argument("dir")
    a = ap.parse_args()
    t0 = time.time()
    community(a.dir)
    ks = [a.b] if a.b is not None else range(a.n)
    books = [gen_book(a.s, k) for k in ks]
    sign_all(a.dir, books)
    nerr = nlp = 0
    stats = {}
    with ThreadPoolExecutor(max_workers=a.j) as ex:
        for b, (errs, n) in zip(books, ex.map(
                lambda b: check_book(a.dir, b, a.k), books)):
            for e in errs:
                print(e)
            nerr += len(errs)
            nlp += n
            key = b["mech"] + (" zonal" if b["zonal"] else "") + \
                (" links" if b["links"] else "")
            stats[key] = stats.get(key, 0) + 1
    print("mcafee: %d books with W_opt - G <= W <= W_opt, %d with the "
          "long side pro rata over several prices (%d of them below "
          "W_opt - G)" % tuple(MC))
    for k in sorted(STAT):
        print("  %s: %d" % (k, STAT[k]))
    print("books %d, orders %d, LPs solved %d, discrepancies %d, "
          "seconds %.1f" % (len(books), sum(len(b["orders"]) for b in books),
                            nlp, nerr, time.time() - t0))
    for key in sorted(stats):
        print("  %s: %d" % (key, stats[key]))
    return 1 if nerr else 0


if __name__ == "__main__":
    sys.exit(main())
