/*
 * Unit tests of denki-bid's price strategies (lib/meter/strategy.c) and
 * its memory (lib/meter/strategy-mem.c): the ramp and the learnt price on
 * known histories, records read into the memory once, the migration.
 */
#include <sqlite3.h>

#include "check.h"
#include "meter/meter.h"

static struct dk_key key;
static char warning[300];
static int warned;

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	warned++;
	snprintf(warning, sizeof(warning), "%s", msg);
}

static const char home[] =
    "participant: alice\nkey: alice.key\nmeters: [m1]\n"
    "state: alice.db\ntz: UTC\nslot_minutes: 30\ncurrency: EUR\n"
    "prices:\n  retail: 300000\n  buyback: 100000\n  fee: 10000\n";

static int
open_bidder(struct dk_bidder *b, struct dk_conf *c, char *const *defs,
    size_t ndefs, struct dk_err *e)
{
	const char *p = tmpfile_write("alice.yaml", home);

	memset(b, 0, sizeof(*b));
	b->warn = warn;
	memset(e, 0, sizeof(*e));
	if (dk_conf_open(c, p, DK_CONF_HOME, defs, ndefs, e) < 0)
		return e->status;
	if (dk_bidder_open(b, c, e) < 0) {
		dk_bidder_close(b);
		dk_conf_free(c);
		return e->status;
	}
	return 0;
}

static void
close_bidder(struct dk_bidder *b, struct dk_conf *c)
{
	dk_bidder_close(b);
	dk_conf_free(c);
}

static int64_t
slot(const char *s)
{
	struct dk_err e = { 0 };
	int64_t t = 0;

	CHECK_INT(dk_slot_parse(s, 30, &t, &e), 0);
	return t;
}

static long long
ramp(int sell, long long ahead, long long updates)
{
	struct dk_err e = { 0 };
	int64_t p = -1;

	CHECK_INT(dk_ramp_price(sell, 290000, 100000, ahead, updates, &p, &e),
	    0);
	return p;
}

/* gsy-e's rate after u of H updates: initial + (final - initial) u / H */
static void
test_ramp(void)
{
	/* a seller from top (290000) down to buyback (100000) */
	CHECK_INT(ramp(1, 9, 8), 290000);
	CHECK_INT(ramp(1, 100, 8), 290000);
	CHECK_INT(ramp(1, 5, 8), 195000);	/* 4 of 8 updates */
	CHECK_INT(ramp(1, 4, 8), 171250);	/* 5 of 8 */
	CHECK_INT(ramp(1, 1, 8), 100000);	/* the last slot: final */
	CHECK_INT(ramp(1, 0, 8), 100000);
	CHECK_INT(ramp(1, -3, 8), 100000);
	/* a buyer up from buyback to top */
	CHECK_INT(ramp(0, 9, 8), 100000);
	CHECK_INT(ramp(0, 6, 8), 171250);	/* 3 of 8 */
	CHECK_INT(ramp(0, 1, 8), 290000);
	/* rounded once, halves away from zero: 190000 x 2 / 3 = 126666.7 */
	CHECK_INT(ramp(1, 2, 3), 163333);
	CHECK_INT(ramp(0, 2, 3), 226667);
	CHECK_INT(ramp(1, 1, 1), 100000);
	CHECK_INT(ramp(1, 2, 1), 290000);
}

static long long
learnt(int sell, const int64_t *p, size_t n, int64_t cost, long long risk,
    int want_rc)
{
	struct dk_err e = { 0 };
	int64_t price = -1;

	CHECK_INT(dk_learn_price(sell, p, n, cost, risk, 290000, 100000,
	    &price, &e), want_rc);
	return price;
}

static void
test_learn(void)
{
	static const int64_t five[] = { 150000, 120000, 200000, 180000,
	    160000 };
	static const int64_t four[] = { 130000, 110000, 170000, 150000 };

	/* sorted: 120 150 160 180 200 thousand; risk 25: element 1 (4 x
	 * 25 / 100) for a seller, element 3 (4 x 75 / 100) for a buyer */
	CHECK_INT(learnt(1, five, 5, 0, 25, 0), 150000);
	CHECK_INT(learnt(0, five, 5, 0, 25, 0), 180000);
	CHECK_INT(learnt(1, five, 5, 0, 50, 0), 160000);
	CHECK_INT(learnt(1, five, 5, 0, 0, 0), 120000);
	CHECK_INT(learnt(0, five, 5, 0, 0, 0), 200000);
	/* the cost of forecast errors: a seller asks at least buyback +
	 * cost, a buyer bids at most top - cost */
	CHECK_INT(learnt(1, five, 5, 10000, 25, 0), 150000);
	CHECK_INT(learnt(0, five, 5, 10000, 25, 0), 180000);
	CHECK_INT(learnt(1, five, 5, 60000, 25, 0), 160000);
	CHECK_INT(learnt(0, five, 5, 120000, 25, 0), 170000);
	CHECK_INT(learnt(1, five, 5, 150000, 100, 0), 250000);
	CHECK_INT(learnt(0, five, 5, 180000, 100, 0), 110000);
	/* the cost is never more than the spread, never negative */
	CHECK_INT(learnt(1, five, 5, 500000, 25, 0), 290000);
	CHECK_INT(learnt(0, five, 5, 500000, 25, 0), 100000);
	CHECK_INT(learnt(1, five, 5, -5000, 25, 0), 150000);
	CHECK_INT(learnt(0, five, 5, -5000, 0, 0), 200000);
	/* 3 x 25 / 100 = 0.75: element 1, rounded half away from zero */
	CHECK_INT(learnt(1, four, 4, 0, 25, 0), 130000);
	CHECK_INT(learnt(1, four, 4, 0, 50, 0), 150000);
	/* no history: 1, the caller keeps the fixed price */
	CHECK_INT(learnt(1, five, 0, 0, 25, 1), -1);
}

static int
rec(struct dk_bidder *b, struct dk_rules *cur, const char *text,
    struct dk_memcount *c, struct dk_err *e)
{
	json_t *r = json_loads(text, 0, NULL);
	int rc;

	CHECK(r != NULL);
	memset(e, 0, sizeof(*e));
	rc = dk_mem_record(b, cur, r, c, e);
	json_decref(r);
	return rc;
}

#define CLEARING(s, p) "{\"type\":\"clearing\",\"v\":1,\"slot\":\"" s \
	"\",\"mechanism\":\"uniform\",\"price\":" p ",\"wh\":500}"
#define CONTRACT(s, seller, buyer, wh, p, cur) "{\"type\":\"contract\"," \
	"\"v\":1,\"slot\":\"" s "\",\"seller\":\"" seller "\",\"buyer\":\"" \
	buyer "\",\"sell_order\":\"s" s "\",\"buy_order\":\"b" s "\"," \
	"\"wh\":" wh ",\"price\":" p ",\"currency\":\"" cur "\"}"
#define SETTLEMENT(s, v, sold, bought, dev) "{\"type\":\"settlement\"," \
	"\"v\":" v ",\"slot\":\"" s "\",\"participant\":\"alice\"," \
	"\"sold_wh\":" sold ",\"bought_wh\":" bought ",\"deviation_wh\":" \
	dev ",\"net\":0}"

/* the day slots 2026-01-DDT12:00 */
#define NOON(d) "2026-01-" d "T12:00:00+00:00"

static void
feed(struct dk_bidder *b, struct dk_memcount *c)
{
	struct dk_rules cur = b->rules;
	struct dk_err e;

	/* four Mondays' noon, the Saturday and Sunday before the fifth;
	 * a slot where nothing cleared */
	CHECK_INT(rec(b, &cur, CLEARING(NOON("05"), "150000"), c, &e), 0);
	CHECK_INT(rec(b, &cur, CLEARING(NOON("12"), "170000"), c, &e), 0);
	CHECK_INT(rec(b, &cur, CLEARING(NOON("19"), "130000"), c, &e), 0);
	CHECK_INT(rec(b, &cur, CLEARING(NOON("24"), "250000"), c, &e), 0);
	CHECK_INT(rec(b, &cur, CLEARING(NOON("25"), "260000"), c, &e), 0);
	CHECK_INT(rec(b, &cur, CLEARING("2026-01-25T12:30:00+00:00", "null"),
	    c, &e), 0);
	/* alice sold 1000 Wh on the 5th at 150000 and was 200 Wh short
	 * (retail 300000: 200 x 150000 / 1000 = 30000); bought 500 Wh on
	 * the 12th at 180000 and had 100 Wh left over (buyback 100000:
	 * 100 x 80000 / 1000 = 8000) */
	CHECK_INT(rec(b, &cur, CONTRACT(NOON("05"), "alice", "bob", "1000",
	    "150000", "EUR"), c, &e), 0);
	CHECK_INT(rec(b, &cur, CONTRACT(NOON("12"), "bob", "alice", "500",
	    "180000", "EUR"), c, &e), 0);
	CHECK_INT(rec(b, &cur, CONTRACT(NOON("19"), "bob", "carol", "500",
	    "130000", "EUR"), c, &e), 0);
	CHECK_INT(rec(b, &cur, SETTLEMENT(NOON("05"), "1", "1000", "0",
	    "-200"), c, &e), 0);
	CHECK_INT(rec(b, &cur, SETTLEMENT(NOON("12"), "1", "0", "500", "100"),
	    c, &e), 0);
	/* provisional: no metered deviation, not learnt from */
	CHECK_INT(rec(b, &cur, SETTLEMENT(NOON("19"), "3", "0", "500", "0"),
	    c, &e), 0);
	/* passed over: other records */
	CHECK_INT(rec(b, &cur, "{\"type\":\"order\",\"v\":1}", c, &e), 0);
}

static void
test_memory(void)
{
	struct dk_bidder b;
	struct dk_conf c;
	struct dk_err e;
	struct dk_memcount n = { 0 };
	int64_t *p, cost;
	size_t np;

	CHECK_INT(open_bidder(&b, &c, NULL, 0, &e), 0);
	feed(&b, &n);
	CHECK_INT(n.clearings, 6);
	CHECK_INT(n.contracts, 2);	/* bob and carol's is not alice's */
	CHECK_INT(n.settlements, 3);
	/* idempotent: the same records again add nothing */
	memset(&n, 0, sizeof(n));
	feed(&b, &n);
	CHECK_INT(n.clearings + n.contracts + n.settlements, 0);

	/* the same weekday and slot of day (Mondays) before Feb 2, 28 days */
	CHECK_INT(dk_mem_prices(b.db, slot(NOON("26")) + 7 * 86400,
	    slot(NOON("05")), 7 * 86400, &p, &np, &e), 0);
	CHECK_INT(np, 3);
	if (np == 3) {
		CHECK_INT(p[0], 150000);
		CHECK_INT(p[2], 130000);
	}
	free(p);
	/* the same slot of day: six noons, one of them not cleared */
	CHECK_INT(dk_mem_prices(b.db, slot(NOON("26")), slot(NOON("05")),
	    86400, &p, &np, &e), 0);
	CHECK_INT(np, 5);
	free(p);

	/* (30000 + 8000) x 1000 / 1500 = 25333.3 */
	CHECK_INT(dk_mem_err_cost(b.db, 0, 190000, &cost, &e), 0);
	CHECK_INT(cost, 25333);
	CHECK_INT(dk_mem_err_cost(b.db, 0, 20000, &cost, &e), 0);
	CHECK_INT(cost, 20000);
	CHECK_INT(dk_mem_err_cost(b.db, slot(NOON("06")), 190000, &cost, &e),
	    0);
	CHECK_INT(cost, 8000 * 1000 / 500);

	/* another currency: refused, named */
	CHECK_INT(rec(&b, &b.rules, CONTRACT(NOON("26"), "alice", "bob", "1",
	    "1", "JPY"), &n, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "contract: currency: JPY is not the community's "
	    "(EUR, as configured)");
	CHECK_INT(rec(&b, &b.rules, "{\"type\":\"clearing\",\"v\":1,\"slot\":"
	    "\"2026-01-26T12:10:00+00:00\",\"price\":1,\"wh\":1}", &n, &e),
	    -1);
	CHECK_HAS(e.msg, "clearing: slot: must be the start of a slot");
	CHECK_INT(rec(&b, &b.rules, "{\"type\":\"clearing\",\"v\":1,\"slot\":"
	    "\"" NOON("27") "\",\"price\":\"1\",\"wh\":1}", &n, &e), -1);
	CHECK_HAS(e.msg, "price: must be an integer");

	/* a seller's surplus and a buyer's shortfall cost nothing (settled
	 * as with no trade), but count as traded: 38000 x 1000 / 2100 */
	CHECK_INT(rec(&b, &b.rules, CONTRACT(NOON("24"), "alice", "bob", "400",
	    "250000", "EUR"), &n, &e), 0);
	CHECK_INT(rec(&b, &b.rules, SETTLEMENT(NOON("24"), "1", "400", "0",
	    "100"), &n, &e), 0);
	CHECK_INT(rec(&b, &b.rules, CONTRACT(NOON("25"), "bob", "alice", "200",
	    "250000", "EUR"), &n, &e), 0);
	CHECK_INT(rec(&b, &b.rules, SETTLEMENT(NOON("25"), "1", "0", "200",
	    "-100"), &n, &e), 0);
	CHECK_INT(dk_mem_err_cost(b.db, 0, 190000, &cost, &e), 0);
	CHECK_INT(cost, 18095);
	close_bidder(&b, &c);
}

static long long
order_price(struct dk_bidder *b, const char *s, const char *side)
{
	struct dk_err e = { 0 };
	char line[DK_ORDER_MAX];
	json_t *o = NULL;
	long long p = -1;
	int rc = dk_bidder_line(b, slot(s), line, &e);

	CHECK_INT(rc, 1);
	if (rc == 1)
		o = dk_parse_flat(line, strlen(line));
	CHECK(o != NULL);
	if (o == NULL)
		return -1;
	CHECK_STR(json_string_value(json_object_get(o, "side")), side);
	p = json_integer_value(json_object_get(o, "price"));
	json_decref(o);
	return p;
}

static void
reading(struct dk_bidder *b, const char *s, int imp, int exp)
{
	struct dk_err e = { 0 };
	char buf[300];
	json_t *r;

	snprintf(buf, sizeof(buf), "{\"type\":\"reading\",\"v\":1,\"meter\":"
	    "\"m1\",\"slot\":\"%s\",\"import_wh\":%d,\"export_wh\":%d}", s,
	    imp, exp);
	r = json_loads(buf, 0, NULL);
	CHECK_INT(dk_bidder_reading(b, r, &e), 0);
	json_decref(r);
}

static void
test_orders(void)
{
	char *learn[] = { "bid.strategy=learn", "state=learn.db" };
	char *rampd[] = { "bid.strategy=ramp", "state=ramp.db",
	    "bid.ramp_slots=8" };
	char *fixed[] = { "state=fixed.db" };
	char *bad[] = { "bid.strategy=greedy" };
	struct dk_bidder b;
	struct dk_conf c;
	struct dk_err e;
	struct dk_memcount n = { 0 };
	char st[3][300];

	snprintf(st[0], sizeof(st[0]), "state=%s/learn.db", ck_tmp);
	snprintf(st[1], sizeof(st[1]), "state=%s/ramp.db", ck_tmp);
	snprintf(st[2], sizeof(st[2]), "state=%s/fixed.db", ck_tmp);
	learn[1] = st[0];
	rampd[1] = st[1];
	fixed[0] = st[2];

	CHECK_INT(open_bidder(&b, &c, bad, 1, &e), DK_EX_CONFIG);
	CHECK_HAS(e.msg, "alice.yaml: bid.strategy: must be fixed, ramp or "
	    "learn, got \"greedy\"");

	/* learn with no memory: the fixed price (100000 + 20% of 200000),
	 * said */
	CHECK_INT(open_bidder(&b, &c, learn, 2, &e), 0);
	b.dry = 1;
	reading(&b, NOON("25"), 0, 900);
	warned = 0;
	CHECK_INT(order_price(&b, NOON("26"), "sell"), 140000);
	CHECK_INT(warned, 1);
	CHECK_HAS(warning, "slot 2026-01-26T12:00:00+00:00: no clearing price "
	    "in memory; the fixed price");
	/* with memory: Mondays' noon 150000 170000 130000 (the 26th is a
	 * Monday); risk 25 asks element 0.5 -> 1: 150000, above buyback +
	 * the errors' cost 25333 */
	feed(&b, &n);
	warned = 0;
	CHECK_INT(order_price(&b, NOON("26"), "sell"), 150000);
	CHECK_INT(warned, 0);
	close_bidder(&b, &c);

	/* a buyer, risk 0: the dearest of the Mondays', below top - cost */
	CHECK_INT(open_bidder(&b, &c, (char *[]){ "bid.strategy=learn",
	    "bid.risk=0", st[0] }, 3, &e), 0);
	b.dry = 1;
	reading(&b, NOON("25"), 700, 0);
	CHECK_INT(order_price(&b, NOON("26"), "buy"), 170000);
	close_bidder(&b, &c);

	/* ramp: the newest reading is 11:30, so 12:00 is under way: 12:30
	 * is the last slot (final: buyback); 14:30 is 5 ahead, 4 updates
	 * to come, 4 of 8 done (290000 - 190000 x 4 / 8); 16:30, 9 ahead,
	 * none done (top) */
	CHECK_INT(open_bidder(&b, &c, rampd, 3, &e), 0);
	b.dry = 1;
	reading(&b, "2026-01-25T12:30:00+00:00", 0, 900);
	reading(&b, "2026-01-25T14:30:00+00:00", 0, 900);
	reading(&b, "2026-01-25T16:30:00+00:00", 0, 900);
	reading(&b, "2026-01-26T11:30:00+00:00", 0, 0);
	CHECK_INT(order_price(&b, "2026-01-26T12:30:00+00:00", "sell"),
	    100000);
	CHECK_INT(order_price(&b, "2026-01-26T14:30:00+00:00", "sell"),
	    195000);
	CHECK_INT(order_price(&b, "2026-01-26T16:30:00+00:00", "sell"),
	    290000);
	close_bidder(&b, &c);

	/* fixed, with the same memory: the markup, as before */
	CHECK_INT(open_bidder(&b, &c, fixed, 1, &e), 0);
	b.dry = 1;
	feed(&b, &n);
	reading(&b, NOON("25"), 0, 900);
	CHECK_INT(order_price(&b, NOON("26"), "sell"), 140000);
	close_bidder(&b, &c);
}

static int
count(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	if (sqlite3_open(path, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* A database of main before the memory (its tables, a reading and a slot
 * bid for) gains the memory and keeps what it had; opened again, the
 * step is not applied twice. */
static void
test_migrate(void)
{
	char path[300], def[320];
	char *defs[] = { def };
	struct dk_bidder b;
	struct dk_conf c;
	struct dk_err e;
	sqlite3 *db;
	int i;

	snprintf(path, sizeof(path), "%s/old.db", ck_tmp);
	snprintf(def, sizeof(def), "state=%s", path);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE reading( meter TEXT NOT "
	    "NULL, slot INTEGER NOT NULL, import_wh INTEGER NOT NULL, "
	    "export_wh INTEGER NOT NULL, PRIMARY KEY(meter, slot));"
	    "CREATE TABLE sent( slot INTEGER PRIMARY KEY, order_id TEXT NOT "
	    "NULL);INSERT INTO reading VALUES('m1',1767268800,5,7);"
	    "INSERT INTO sent VALUES(1767270600,'x');", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(db);
	for (i = 0; i < 2; i++) {
		CHECK_INT(open_bidder(&b, &c, defs, 1, &e), 0);
		close_bidder(&b, &c);
	}
	CHECK_INT(count(path, "SELECT count(*) FROM reading WHERE "
	    "import_wh = 5 AND export_wh = 7"), 1);
	CHECK_INT(count(path, "SELECT count(*) FROM sent"), 1);
	CHECK_INT(count(path, "SELECT count(*) FROM migration"), 1);
	CHECK_INT(count(path, "SELECT count(*) FROM mem_settlement"), 0);
}

int
main(void)
{
	struct dk_err e = { 0 };
	char path[300];

	tmpdir_make("denki-test-strategy");
	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&key, &e), 0);
	snprintf(path, sizeof(path), "%s/alice.key", ck_tmp);
	CHECK_INT(dk_key_write_sec(&key, path, "test", 0, &e), 0);
	test_ramp();
	test_learn();
	test_memory();
	test_orders();
	test_migrate();
	dk_key_free(&key);
	tmpdir_remove();
	return check_done("test-strategy");
}
