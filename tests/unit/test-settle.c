/* Unit tests for lib/settle/settle.c: contracts against meter readings, one slot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "denki.h"
#include "check.h"

#define SLOT 1767261600LL	/* 2026-01-01T10:00:00Z */
#define SLOTSTR "2026-01-01T10:00:00+00:00"

static struct dk_rules rules;
static struct dk_registry reg;
static char *keyb64;

static void
add_participant(const char *id, const char *meters)
{
	struct dk_err e;
	json_t *rec, *m = json_array();
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", meters);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save))
		json_array_append_new(m, json_string(tok));
	rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:o}", "type",
	    "participant", "v", 1, "id", id, "zone", "z1", "role", "prosumer",
	    "status", "active", "key", keyb64, "meters", m);
	memset(&e, 0, sizeof(e));
	if (dk_registry_apply(&reg, rec, &e) < 0)
		fprintf(stderr, "registry: %s: %s\n", id, e.msg);
	json_decref(rec);
}

static json_t *
contract(const char *seller, const char *buyer, int64_t wh, int64_t price,
    int64_t fee)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:I,s:I}", "type",
	    "contract", "v", 1, "slot", SLOTSTR, "seller", seller, "buyer",
	    buyer, "wh", (json_int_t)wh, "price", (json_int_t)price, "fee",
	    (json_int_t)fee);
}

static json_t *
reading(const char *meter, int64_t imp, int64_t exp)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:I,s:I}", "type", "reading", "v",
	    1, "meter", meter, "slot", SLOTSTR, "import_wh", (json_int_t)imp,
	    "export_wh", (json_int_t)exp);
}

static json_t *
settlement(const char *who, int64_t sold, int64_t bought, int64_t exp,
    int64_t imp, int64_t dev, int64_t paid, int64_t received, int64_t fees,
    int64_t upaid, int64_t ureceived, int64_t net)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I}", "type", "settlement", "v", 1, "slot", SLOTSTR,
	    "participant", who, "sold_wh", (json_int_t)sold, "bought_wh",
	    (json_int_t)bought, "export_wh", (json_int_t)exp, "import_wh",
	    (json_int_t)imp, "deviation_wh", (json_int_t)dev, "p2p_paid",
	    (json_int_t)paid, "p2p_received", (json_int_t)received, "fees",
	    (json_int_t)fees, "utility_paid", (json_int_t)upaid,
	    "utility_received", (json_int_t)ureceived, "net",
	    (json_int_t)net);
}

static json_t *
transfer(const char *from, const char *to, int64_t amount, const char *why)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s}", "type", "transfer",
	    "v", 1, "slot", SLOTSTR, "from", from, "to", to, "amount",
	    (json_int_t)amount, "reason", why);
}

/* Compares two arrays record by record, in canonical form. */
static void
same_records(json_t *got, json_t *want, int line)
{
	size_t i;
	char *a, *b;

	CHECKF(json_array_size(got) == json_array_size(want),
	    "line %d: %zu records, want %zu", line, json_array_size(got),
	    json_array_size(want));
	for (i = 0; i < json_array_size(want) && i < json_array_size(got);
	    i++) {
		a = dk_canon(json_array_get(got, i));
		b = dk_canon(json_array_get(want, i));
		CHECKF(strcmp(a, b) == 0, "line %d: record %zu\n  got  %s\n"
		    "  want %s", line, i, a, b);
		free(a);
		free(b);
	}
}

/* Balances from the transfers, per party name. */
struct bal {
	size_t n;
	char name[64][40];
	int64_t v[64];
};

static int64_t *
bal_of(struct bal *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (strcmp(b->name[i], name) == 0)
			return &b->v[i];
	snprintf(b->name[b->n], sizeof(b->name[0]), "%s", name);
	b->v[b->n] = 0;
	return &b->v[b->n++];
}

/* The checks that hold for any settled slot; returns problems found. */
static int
conserved(json_t *out, int verbose)
{
	struct bal b;
	json_t *x;
	size_t i;
	int64_t sum = 0, paid = 0, recd = 0, fees = 0, upaid = 0, urecd = 0;
	int bad = 0;

	memset(&b, 0, sizeof(b));
	json_array_foreach(out, i, x) {
		const char *t = json_string_value(json_object_get(x, "type"));
		if (strcmp(t, "transfer") == 0) {
			int64_t a = json_integer_value(json_object_get(x,
			    "amount"));
			const char *r = json_string_value(json_object_get(x,
			    "reason"));
			if (a <= 0)
				bad++;	/* amounts move one way, positive */
			*bal_of(&b, json_string_value(json_object_get(x,
			    "from"))) -= a;
			*bal_of(&b, json_string_value(json_object_get(x,
			    "to"))) += a;
			if (strcmp(r, "fee") == 0 && strcmp(json_string_value(
			    json_object_get(x, "to")), "operator") != 0)
				bad++;
		}
	}
	json_array_foreach(out, i, x) {
		const char *t = json_string_value(json_object_get(x, "type"));
		const char *p;
		int64_t net;

		if (strcmp(t, "settlement") != 0)
			continue;
		p = json_string_value(json_object_get(x, "participant"));
		net = json_integer_value(json_object_get(x, "net"));
		/* each settlement's net is what its transfers moved */
		if (*bal_of(&b, p) != net) {
			bad++;
			if (verbose)
				fprintf(stderr, "%s: net %lld, transfers "
				    "%lld\n", p, (long long)net,
				    (long long)*bal_of(&b, p));
		}
		paid += json_integer_value(json_object_get(x, "p2p_paid"));
		recd += json_integer_value(json_object_get(x, "p2p_received"));
		fees += json_integer_value(json_object_get(x, "fees"));
		upaid += json_integer_value(json_object_get(x,
		    "utility_paid"));
		urecd += json_integer_value(json_object_get(x,
		    "utility_received"));
		if (net != json_integer_value(json_object_get(x,
		    "p2p_received")) + json_integer_value(json_object_get(x,
		    "utility_received")) - json_integer_value(json_object_get(x,
		    "p2p_paid")) - json_integer_value(json_object_get(x,
		    "utility_paid")))
			bad++;
	}
	for (i = 0; i < b.n; i++)
		sum += b.v[i];
	if (sum != 0)
		bad++;
	if (paid != recd + fees)
		bad++;
	if (*bal_of(&b, "operator") != fees)
		bad++;
	if (*bal_of(&b, "utility") != upaid - urecd)
		bad++;
	if (verbose && bad)
		fprintf(stderr, "sum %lld paid %lld received %lld fees %lld\n",
		    (long long)sum, (long long)paid, (long long)recd,
		    (long long)fees);
	return bad;
}

static int
settle(json_t *contracts, json_t *readings, json_t *out, struct dk_err *e)
{
	memset(e, 0, sizeof(*e));
	return dk_settle(SLOT, contracts, readings, &reg, &rules, out, e);
}

static void
test_slot(void)
{
	json_t *cs = json_array(), *rs = json_array(), *out = json_array();
	json_t *want = json_array();
	struct dk_err e;

	json_array_append_new(cs, contract("alice", "bob", 1000, 200000,
	    10000));
	json_array_append_new(cs, contract("alice", "carol", 333, 150001,
	    10000));
	json_array_append_new(cs, contract("dave", "bob", 1, 500, 1000));
	json_array_append_new(rs, reading("erin-m", 0, 7));
	json_array_append_new(rs, reading("carol-m2", 0, 100));
	json_array_append_new(rs, reading("bob-m", 1200, 0));
	json_array_append_new(rs, reading("alice-m", 0, 1500));
	json_array_append_new(rs, reading("dave-m", 5, 1));
	json_array_append_new(rs, reading("carol-m1", 300, 0));
	CHECK_INT(settle(cs, rs, out, &e), 0);

	/* alice sold 1333 and exported 1500: 167 Wh surplus at 100000 */
	json_array_append_new(want, settlement("alice", 1333, 0, 1500, 0, 167,
	    0, 249950, 0, 0, 16700, 266650));
	/* bob bought 1001 and imported 1200: 199 Wh short at 300000; the
	 * 1 Wh at 500 is worth 0.5 -> 1, its fee 1 Wh at 1000 is 1 */
	json_array_append_new(want, settlement("bob", 0, 1001, 0, 1200, -199,
	    210002, 0, 10001, 59700, 0, -269702));
	/* carol's two meters net -200 against 333 bought: 133 surplus;
	 * 333 Wh at 150001 is 49950.333 -> 49950, the fee 3330 */
	json_array_append_new(want, settlement("carol", 0, 333, 100, 300, 133,
	    53280, 0, 3330, 0, 13300, -39980));
	json_array_append_new(want, settlement("dave", 1, 0, 1, 5, -5, 0, 1,
	    0, 1500, 0, -1499));
	/* no contract, a reading: the utility buys the export */
	json_array_append_new(want, settlement("erin", 0, 0, 7, 0, 7, 0, 0,
	    0, 0, 700, 700));
	json_array_append_new(want, transfer("bob", "alice", 200000, "p2p"));
	json_array_append_new(want, transfer("bob", "operator", 10000, "fee"));
	json_array_append_new(want, transfer("carol", "alice", 49950, "p2p"));
	json_array_append_new(want, transfer("carol", "operator", 3330,
	    "fee"));
	json_array_append_new(want, transfer("bob", "dave", 1, "p2p"));
	json_array_append_new(want, transfer("bob", "operator", 1, "fee"));
	json_array_append_new(want, transfer("utility", "alice", 16700,
	    "surplus"));
	json_array_append_new(want, transfer("bob", "utility", 59700,
	    "shortfall"));
	json_array_append_new(want, transfer("utility", "carol", 13300,
	    "surplus"));
	json_array_append_new(want, transfer("dave", "utility", 1500,
	    "shortfall"));
	json_array_append_new(want, transfer("utility", "erin", 700,
	    "surplus"));
	same_records(out, want, __LINE__);
	CHECK_INT(conserved(out, 1), 0);
	json_decref(want);

	/* every record is inside the canonical profile */
	{
		json_t *x;
		size_t i;
		int bad = 0;

		json_array_foreach(out, i, x)
			if (dk_profile_check(x, &e) < 0)
				bad++;
		CHECK_INT(bad, 0);
	}
	json_decref(out);

	/* the order of readings and contracts does not change settlements */
	{
		json_t *rs2 = json_array(), *out2 = json_array();
		size_t i;

		for (i = json_array_size(rs); i > 0; i--)
			json_array_append(rs2, json_array_get(rs, i - 1));
		out = json_array();
		CHECK_INT(settle(cs, rs, out, &e), 0);
		CHECK_INT(settle(cs, rs2, out2, &e), 0);
		same_records(out2, out, __LINE__);
		json_decref(out);
		json_decref(out2);
		json_decref(rs2);
	}
	json_decref(cs);
	json_decref(rs);
}

static void
test_exact_and_zero(void)
{
	json_t *cs = json_array(), *rs = json_array(), *out = json_array();
	json_t *want = json_array();
	struct dk_err e;

	/* delivered as contracted, no fee: only the p2p transfer */
	json_array_append_new(cs, contract("alice", "bob", 500, 120000, 0));
	json_array_append_new(rs, reading("alice-m", 100, 600));
	json_array_append_new(rs, reading("bob-m", 500, 0));
	CHECK_INT(settle(cs, rs, out, &e), 0);
	json_array_append_new(want, settlement("alice", 500, 0, 600, 100, 0,
	    0, 60000, 0, 0, 0, 60000));
	json_array_append_new(want, settlement("bob", 0, 500, 0, 500, 0,
	    60000, 0, 0, 0, 0, -60000));
	json_array_append_new(want, transfer("bob", "alice", 60000, "p2p"));
	same_records(out, want, __LINE__);
	CHECK_INT(conserved(out, 1), 0);
	json_decref(out);
	json_decref(want);
	json_decref(cs);
	json_decref(rs);

	/* nothing at all: nothing out */
	cs = json_array();
	rs = json_array();
	out = json_array();
	CHECK_INT(settle(cs, rs, out, &e), 0);
	CHECK_INT(json_array_size(out), 0);
	json_decref(out);

	/* a reading of zero: a settlement of zeros, no transfer */
	json_array_append_new(rs, reading("erin-m", 0, 0));
	out = json_array();
	CHECK_INT(settle(cs, rs, out, &e), 0);
	want = json_array();
	json_array_append_new(want, settlement("erin", 0, 0, 0, 0, 0, 0, 0, 0,
	    0, 0, 0));
	same_records(out, want, __LINE__);
	json_decref(want);
	json_decref(out);
	json_decref(cs);
	json_decref(rs);
}

static long last_item;

static void
settle_fails(json_t *cs, json_t *rs, const char *msg, int line)
{
	json_t *out = json_array();
	struct dk_err e;
	int rc;

	rc = settle(cs, rs, out, &e);
	CHECKF(rc == -1, "line %d: settled", line);
	CHECKF(e.status == DK_EX_DATAERR, "line %d: status %d", line,
	    e.status);
	CHECKF(strstr(e.msg, msg) != NULL, "line %d: message \"%s\" lacks "
	    "\"%s\"", line, e.msg, msg);
	last_item = e.item;
	json_decref(out);
	json_decref(cs);
	json_decref(rs);
}
#define FAILS(c, r, m) settle_fails((c), (r), (m), __LINE__)

/* Contracts past a slot's limits (a ledger no clear of ours wrote) are
 * refused by name; they used to make p2p_paid past 2^53, a record no
 * program could write. */
static void
test_limits(void)
{
	json_t *cs, *rs, *out;
	struct dk_err e;
	int i;

	cs = json_array();
	rs = json_array();
	for (i = 0; i < 10; i++)
		json_array_append_new(cs, contract("alice", "bob", DK_MAX_WH,
		    DK_MAX_PRICE, DK_MAX_PRICE));
	json_array_append_new(rs, reading("alice-m", 0, 0));
	json_array_append_new(rs, reading("bob-m", 0, 0));
	FAILS(cs, rs, "contract 1: wh: beyond the limits of a slot (at most "
	    "100000000 Wh, prices at most 10000000000 a kWh)");
	cs = json_array();
	rs = json_array();
	json_array_append_new(cs, contract("alice", "bob", 1000,
	    DK_MAX_PRICE + 1, 0));
	FAILS(cs, rs, "contract 0: price: beyond the limits");
	cs = json_array();
	rs = json_array();
	json_array_append_new(cs, contract("alice", "bob", 1000, 1000,
	    DK_MAX_PRICE + 1));
	FAILS(cs, rs, "contract 0: price: beyond the limits");
	cs = json_array();
	rs = json_array();
	json_array_append_new(cs, contract("alice", "bob", 0, 1000, 0));
	FAILS(cs, rs, "contract 0: wh: beyond the limits");
	/* the slot's readings: 1e8 Wh each way */
	cs = json_array();
	rs = json_array();
	json_array_append_new(rs, reading("alice-m", DK_MAX_WH, 0));
	json_array_append_new(rs, reading("bob-m", 1, 0));
	FAILS(cs, rs, "import_wh: the slot's readings would import more "
	    "than 100000000 Wh (100000000 before this one)");
	CHECK_INT(last_item, 1);
	cs = json_array();
	rs = json_array();
	json_array_append_new(rs, reading("alice-m", 0, 1));
	json_array_append_new(rs, reading("bob-m", 0, DK_MAX_WH));
	FAILS(cs, rs, "export_wh: the slot's readings would export more "
	    "than 100000000 Wh (1 before this one)");
	CHECK_INT(last_item, 1);
	/* at the limits: the worst case settles, every amount exact */
	cs = json_array();
	rs = json_array();
	out = json_array();
	json_array_append_new(cs, contract("alice", "bob", DK_MAX_WH,
	    DK_MAX_PRICE, DK_MAX_PRICE));
	json_array_append_new(rs, reading("alice-m", DK_MAX_WH, 0));
	json_array_append_new(rs, reading("bob-m", 0, DK_MAX_WH));
	CHECK_INT(settle(cs, rs, out, &e), 0);
	CHECK_INT(conserved(out, 1), 0);
	CHECK_INT(json_integer_value(json_object_get(json_array_get(out, 1),
	    "p2p_paid")), 2000000000000000LL);
	json_decref(cs);
	json_decref(rs);
	json_decref(out);
}

static void
test_errors(void)
{
	json_t *cs, *rs;

	/* bob has a contract and no reading */
	cs = json_array();
	rs = json_array();
	json_array_append_new(cs, contract("alice", "bob", 1000, 200000, 0));
	json_array_append_new(rs, reading("alice-m", 0, 1000));
	FAILS(cs, rs, "slot " SLOTSTR ": no reading for meter bob-m of "
	    "participant bob");
	/* carol has two meters, one reading */
	cs = json_array();
	rs = json_array();
	json_array_append_new(cs, contract("alice", "carol", 10, 1, 0));
	json_array_append_new(rs, reading("alice-m", 0, 10));
	json_array_append_new(rs, reading("carol-m1", 10, 0));
	FAILS(cs, rs, "no reading for meter carol-m2 of participant carol");
	cs = json_array();
	rs = json_array();
	json_array_append_new(rs, reading("carol-m2", 10, 0));
	FAILS(cs, rs, "no reading for meter carol-m1 of participant carol");
	/* a meter read twice */
	cs = json_array();
	rs = json_array();
	json_array_append_new(rs, reading("alice-m", 0, 10));
	json_array_append_new(rs, reading("bob-m", 0, 10));
	json_array_append_new(rs, reading("alice-m", 0, 10));
	FAILS(cs, rs, "a second reading of meter alice-m");
	CHECK_INT(last_item, 2);	/* the index of the reading at fault */
	/* a meter nobody has */
	cs = json_array();
	rs = json_array();
	json_array_append_new(rs, reading("alice-m", 0, 10));
	json_array_append_new(rs, reading("zed-m", 0, 10));
	FAILS(cs, rs, "meter zed-m is not in the registry");
	CHECK_INT(last_item, 1);
	/* a party nobody knows */
	cs = json_array();
	rs = json_array();
	json_array_append_new(cs, contract("alice", "zed", 10, 1, 0));
	json_array_append_new(rs, reading("alice-m", 0, 10));
	FAILS(cs, rs, "contract 0: a party is not in the registry");
	cs = json_array();
	rs = json_array();
	json_array_append_new(cs, contract("zed", "alice", 10, 1, 0));
	FAILS(cs, rs, "a party is not in the registry");
}

static void
test_reading_check(void)
{
	struct dk_err e;
	int64_t slot = 0;
	json_t *r;

	r = reading("alice-m", 12, 0);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), 0);
	CHECK_INT(slot, SLOT);
	json_object_set_new(r, "import_total_wh", json_integer(DK_MAX_SAFE_INT));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), 0);
	json_object_set_new(r, "import_total_wh", json_integer(-1));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), -1);
	CHECK_HAS(e.msg, "import_total_wh: must be from 0");
	json_object_del(r, "import_total_wh");
	json_object_set_new(r, "import_wh", json_integer(DK_MAX_WH + 1));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "import_wh: must be from 0 to 100000000, got "
	    "100000001");
	json_object_set_new(r, "import_wh", json_integer(0));
	json_object_set_new(r, "export_wh", json_integer(-1));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), -1);
	CHECK_HAS(e.msg, "export_wh: must be from 0");
	json_object_set_new(r, "export_wh", json_integer(0));
	json_object_set_new(r, "slot", json_string("2026-01-01T10:15:00Z"));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), -1);
	CHECK_STR(e.msg, "slot: must start a 30-minute slot, got "
	    "\"2026-01-01T10:15:00Z\"");
	json_object_set_new(r, "slot", json_string(SLOTSTR));
	json_object_set_new(r, "meter", json_string("bad meter"));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), -1);
	CHECK_HAS(e.msg, "meter: must be 1 to 32");
	json_object_set_new(r, "meter", json_string("alice-m"));
	json_object_set_new(r, "watts", json_integer(5));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), -1);
	CHECK_STR(e.msg, "watts: not a field of a reading");
	json_object_del(r, "watts");
	json_object_set_new(r, "type", json_string("order"));
	CHECK_INT(dk_reading_check(r, &rules, &slot, &e), -1);
	CHECK_HAS(e.msg, "type: must be \"reading\"");
	json_decref(r);
}

/* Random slots: the settlement fields from first principles, and money
 * conserved. */
static uint64_t rs_ = 0x2545F4914F6CDD1DULL;

static int64_t
urand(int64_t lo, int64_t hi)
{
	rs_ ^= rs_ >> 12;
	rs_ ^= rs_ << 25;
	rs_ ^= rs_ >> 27;
	return lo + (int64_t)((rs_ * 2685821657736338717ULL) %
	    (uint64_t)(hi - lo + 1));
}

/* the rounding rule, for amounts the random slots keep in range */
static int64_t
mdv(int64_t a, int64_t b, int64_t d)
{
	int64_t q = 0;

	CHECK_INT(dk_muldiv(a, b, d, &q), 0);
	return q;
}

static void
test_random(void)
{
	static const char *who[] = { "alice", "bob", "carol", "dave", "erin" };
	static const char *meters[] = { "alice-m", "bob-m", "carol-m1",
		"carol-m2", "dave-m", "erin-m" };
	static const int owner[] = { 0, 1, 2, 2, 3, 4 };
	int round, bad = 0, badfields = 0, fails = 0;

	for (round = 0; round < 2000; round++) {
		json_t *cs = json_array(), *rs = json_array();
		json_t *out = json_array(), *x;
		int64_t sold[5] = { 0 }, bought[5] = { 0 }, imp[5] = { 0 };
		int64_t exp[5] = { 0 }, paid[5] = { 0 }, recd[5] = { 0 };
		int64_t fees[5] = { 0 }, left = DK_MAX_WH, li = DK_MAX_WH;
		int64_t le = DK_MAX_WH;	/* what the slot's limit leaves */
		int nc = (int)urand(0, 6), i, s, b, has[5] = { 0 }, skip[5];
		struct dk_err e;
		size_t k;

		for (i = 0; i < nc && left > 0; i++) {
			int64_t wh = urand(1, i % 2 || left < 5000 ? left :
			    5000);
			int64_t p = urand(0, i % 3 ? DK_MAX_PRICE : 400000);
			int64_t f = urand(0, 1) ? 0 : urand(0, 50000);
			s = (int)urand(0, 4);
			b = (int)urand(0, 4);
			if (b == s)
				b = (b + 1) % 5;
			json_array_append_new(cs, contract(who[s], who[b], wh,
			    p, f));
			left -= wh;
			sold[s] += wh;
			bought[b] += wh;
			recd[s] += mdv(wh, p, 1000);
			paid[b] += mdv(wh, p, 1000) +
			    mdv(wh, f, 1000);
			fees[b] += mdv(wh, f, 1000);
			has[s] = has[b] = 1;
		}
		/* all meters of each party with a contract, and of some
		 * others, in a rotated order */
		for (i = 0; i < 5; i++)
			skip[i] = !has[i] && urand(0, 2) == 0;
		for (i = 0; i < 6; i++) {
			int j = (i + round) % 6, o = owner[j];
			int64_t a, c;

			if (skip[o])
				continue;
			a = urand(0, urand(0, 1) ? 10000 : li);
			c = urand(0, urand(0, 1) ? 10000 : le);
			a = a > li ? li : a;
			c = c > le ? le : c;
			li -= a;
			le -= c;
			json_array_append_new(rs, reading(meters[j], a, c));
			imp[o] += a;
			exp[o] += c;
		}
		if (settle(cs, rs, out, &e) < 0) {
			if (fails++ == 0)
				fprintf(stderr, "random slot %d: %s\n", round,
				    e.msg);
			goto next;
		}
		if (conserved(out, bad == 0) != 0)
			bad++;
		json_array_foreach(out, k, x) {
			const char *p;
			int64_t dev, up = 0, ur = 0;

			if (strcmp(json_string_value(json_object_get(x,
			    "type")), "settlement") != 0)
				continue;
			p = json_string_value(json_object_get(x,
			    "participant"));
			for (i = 0; i < 5 && strcmp(who[i], p) != 0; i++)
				;
			if (i == 5) {
				badfields++;
				continue;
			}
			dev = (exp[i] - imp[i]) - (sold[i] - bought[i]);
			if (dev > 0)
				ur = mdv(dev, rules.buyback, 1000);
			else
				up = mdv(-dev, rules.retail, 1000);
			if (json_integer_value(json_object_get(x, "sold_wh")) !=
			    sold[i] || json_integer_value(json_object_get(x,
			    "bought_wh")) != bought[i] ||
			    json_integer_value(json_object_get(x,
			    "import_wh")) != imp[i] ||
			    json_integer_value(json_object_get(x,
			    "export_wh")) != exp[i] ||
			    json_integer_value(json_object_get(x,
			    "deviation_wh")) != dev ||
			    json_integer_value(json_object_get(x,
			    "p2p_paid")) != paid[i] ||
			    json_integer_value(json_object_get(x,
			    "p2p_received")) != recd[i] ||
			    json_integer_value(json_object_get(x, "fees")) !=
			    fees[i] ||
			    json_integer_value(json_object_get(x,
			    "utility_paid")) != up ||
			    json_integer_value(json_object_get(x,
			    "utility_received")) != ur ||
			    dk_profile_check(x, &e) < 0) {
				if (badfields++ == 0) {
					char *c = dk_canon(x);
					fprintf(stderr, "random slot %d: %s\n",
					    round, c);
					free(c);
				}
			}
		}
next:
		json_decref(cs);
		json_decref(rs);
		json_decref(out);
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bad, 0);
	CHECK_INT(badfields, 0);
}

/*
 * A slot of many readings and contracts (settle was quadratic in them):
 * within a CPU-time bound far below what the quadratic search took, and
 * the same records as settling each pair of partners as a slot of its
 * own, where there is nothing to search.
 */
#define MANY 40000

static void
test_many(void)
{
	json_t *cs = json_array(), *rs = json_array(), *out = json_array();
	json_t *small, *c1, *r1, *x, *y, *want = json_object();
	struct dk_err e;
	char id[32], id2[32], m[40];
	size_t i, k;
	clock_t t0;
	double cpu;
	int bad = 0, n, wantn = 0;

	for (i = 0; i < MANY; i++) {
		snprintf(id, sizeof(id), "q%zu", i);
		snprintf(m, sizeof(m), "q%zu-m", i);
		add_participant(id, m);
	}
	CHECK_INT(reg.n, 5 + MANY);
	for (i = 0; i < MANY; i += 2) {
		snprintf(id, sizeof(id), "q%zu", i);
		snprintf(id2, sizeof(id2), "q%zu", i + 1);
		json_array_append_new(cs, contract(id, id2, 100 + i % 50,
		    150000 + i % 7, 1000));
	}
	/* the readings in the reverse order of the participants */
	for (i = MANY; i > 0; i--) {
		snprintf(m, sizeof(m), "q%zu-m", i - 1);
		json_array_append_new(rs, reading(m, (i * 7) % 1000,
		    (i * 13) % 1000));
	}
	t0 = clock();
	CHECK_INT(settle(cs, rs, out, &e), 0);
	cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
	/* a bound on CPU time, not wall time, and loose (20 s; the old
	 * quadratic code took minutes): it holds under the sanitizers on
	 * a slow machine; the figures themselves are make bench's */
	CHECKF(cpu < 20, "%zu readings settled in %.1f s of CPU", (size_t)MANY,
	    cpu);

	/* each pair alone: its canonical records, counted */
	for (i = 0; i < MANY; i += 2) {
		c1 = json_array();
		r1 = json_array();
		small = json_array();
		json_array_append(c1, json_array_get(cs, i / 2));
		json_array_append(r1, json_array_get(rs, MANY - 1 - i));
		json_array_append(r1, json_array_get(rs, MANY - 2 - i));
		if (settle(c1, r1, small, &e) < 0 || conserved(small, 1) != 0)
			bad++;
		json_array_foreach(small, k, x) {
			char *cx = dk_canon(x);
			y = json_object_get(want, cx);
			json_object_set_new(want, cx, json_integer(y ?
			    json_integer_value(y) + 1 : 1));
			free(cx);
			wantn++;
		}
		json_decref(c1);
		json_decref(r1);
		json_decref(small);
	}
	CHECK_INT(bad, 0);
	/* the whole slot: the same records, as many times each */
	CHECK_INT((int)json_array_size(out), wantn);
	json_array_foreach(out, k, x) {
		char *cx = dk_canon(x);
		y = json_object_get(want, cx);
		if (y == NULL || (n = (int)json_integer_value(y)) == 0)
			bad++;
		else
			json_object_set_new(want, cx, json_integer(n - 1));
		free(cx);
	}
	CHECK_INT(bad, 0);
	/* settlements first, by participant, as for a small slot */
	for (k = 1; k < MANY; k++)
		if (strcmp(json_string_value(json_object_get(json_array_get(out,
		    k - 1), "participant")), json_string_value(
		    json_object_get(json_array_get(out, k), "participant"))) >= 0)
			bad++;
	CHECK_INT(bad, 0);
	json_decref(out);
	json_decref(want);

	/* a second reading far down the array is named by its index; of
	 * two meters read twice, the one whose second reading comes first */
	json_array_append_new(rs, reading("q17-m", 0, 1));
	json_array_append(rs, json_array_get(rs, 5));
	json_array_append(rs, json_array_get(rs, 4));
	json_incref(cs);
	json_incref(rs);
	FAILS(cs, rs, "a second reading of meter q17-m");
	CHECK_INT(last_item, MANY);
	json_array_remove(rs, MANY);
	snprintf(m, sizeof(m), "a second reading of meter q%d-m", MANY - 6);
	FAILS(cs, rs, m);
	CHECK_INT(last_item, MANY);
}

/* Each settlement's net is what its transfers moved, and every party's
 * balance sums to zero: under rules of version 2, with the fields those
 * add; problems found. */
static int
balanced(json_t *out)
{
	struct bal b;
	json_t *x;
	size_t i;
	int64_t sum = 0;
	int bad = 0;

	memset(&b, 0, sizeof(b));
	json_array_foreach(out, i, x)
		if (strcmp(json_string_value(json_object_get(x, "type")),
		    "transfer") == 0) {
			int64_t a = json_integer_value(json_object_get(x,
			    "amount"));
			bad += a <= 0;
			*bal_of(&b, json_string_value(json_object_get(x,
			    "from"))) -= a;
			*bal_of(&b, json_string_value(json_object_get(x,
			    "to"))) += a;
		}
	json_array_foreach(out, i, x)
		if (strcmp(json_string_value(json_object_get(x, "type")),
		    "settlement") == 0)
			bad += *bal_of(&b, json_string_value(json_object_get(x,
			    "participant"))) != json_integer_value(
			    json_object_get(x, "net"));
	for (i = 0; i < b.n; i++)
		sum += b.v[i];
	return bad + (sum != 0);
}

/* Rules of version 2 at the limits of a slot: every amount exact, the
 * whole below 2^53 - 1; and random slots under random money rules
 * balance. */
static void
test_money(void)
{
	struct dk_rules keep = rules;
	json_t *cs = json_array(), *rs = json_array(), *out = json_array();
	json_t *x;
	struct dk_err e;
	int round, bad = 0, fails = 0;
	size_t i;

	/* rules that name a series, its price given as an audit gives it */
	memset(rules.imbalance, 'a', 64);
	rules.imb_given = 1;
	rules.imb_price = DK_MAX_PRICE;
	rules.fee_bps = 10000;
	rules.fee_payer = DK_PAYER_BUYER;
	rules.tax_bps = 10000;
	json_array_append_new(cs, contract("alice", "bob", DK_MAX_WH,
	    DK_MAX_PRICE, DK_MAX_PRICE));
	json_array_append_new(rs, reading("alice-m", DK_MAX_WH, 0));
	json_array_append_new(rs, reading("bob-m", 0, DK_MAX_WH));
	CHECK_INT(settle(cs, rs, out, &e), 0);
	CHECK_INT(balanced(out), 0);
	/* bob: 1e15 value, 1e15 fee, 1e15 percentage fee, 2e15 tax; his
	 * surplus of 2e8 Wh at 1e10: 2e15 from the utility */
	x = json_array_get(out, 1);
	CHECK_INT(json_integer_value(json_object_get(x, "fee_pct")),
	    1000000000000000LL);
	CHECK_INT(json_integer_value(json_object_get(x, "tax")),
	    2000000000000000LL);
	CHECK_INT(json_integer_value(json_object_get(x, "imbalance_price")),
	    DK_MAX_PRICE);
	CHECK_INT(json_integer_value(json_object_get(x, "net")),
	    -3000000000000000LL);
	json_decref(cs);
	json_decref(rs);
	json_decref(out);

	for (round = 0; round < 3000; round++) {
		static const char *who[] = { "alice", "bob", "dave", "erin" };
		static const char *meter[] = { "alice-m", "bob-m", "dave-m",
			"erin-m" };
		int nc = (int)urand(0, 5), k, s, b;

		rules = keep;
		rules.fee_bps = (int)urand(0, 1) ? (int)urand(1, 10000) : 0;
		rules.fee_payer = (int)urand(0, 2);
		rules.tax_bps = (int)urand(0, 1) ? (int)urand(1, 10000) : 0;
		rules.tol_wh = urand(0, 1) ? urand(0, 500) : 0;
		rules.tol_pct = (int)urand(0, 1) ? (int)urand(0, 100) : 0;
		if (urand(0, 1)) {
			memset(rules.imbalance, 'b', 64);
			rules.imb_given = 1;
			rules.imb_price = urand(0, 1000000);
		}
		cs = json_array();
		rs = json_array();
		out = json_array();
		for (k = 0; k < nc; k++) {
			s = (int)urand(0, 3);
			b = (s + (int)urand(1, 3)) % 4;
			json_array_append_new(cs, contract(who[s], who[b],
			    urand(1, 3000), urand(0, 500000), urand(0, 50000)));
		}
		for (k = 0; k < 4; k++)
			json_array_append_new(rs, reading(meter[k],
			    urand(0, 4000), urand(0, 4000)));
		if (settle(cs, rs, out, &e) < 0)
			fails++;
		bad += balanced(out);
		/* the fields of version 2, in every record, as the rules say */
		json_array_foreach(out, i, x)
			if (strcmp(json_string_value(json_object_get(x,
			    "type")), "settlement") == 0)
				bad += (json_object_get(x, "fee_pct") != NULL) !=
				    (rules.fee_bps > 0) ||
				    (json_object_get(x, "tax") != NULL) !=
				    (rules.tax_bps > 0) ||
				    (json_object_get(x, "imbalance_price") !=
				    NULL) != (rules.imbalance[0] != '\0');
		json_decref(cs);
		json_decref(rs);
		json_decref(out);
	}
	CHECK_INT(fails, 0);
	CHECK_INT(bad, 0);
	rules = keep;
}

/* The records of dk_settle_plain as JSON, in order (settlements, then
 * transfers). */
static json_t *
plain_json(const struct dk_srecs *o)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < o->nset + o->ntr; i++)
		json_array_append_new(a, dk_srec_json(i < o->nset ?
		    &o->set[i] : &o->tr[i - o->nset], o->ts));
	return a;
}

/* A settle run's plain records (dk_settle_plain, from the contracts as
 * the state keeps them, the cancelled left out) are dk_settle's, under
 * rules of every money option; 1, not a settlement, with a meter unread. */
static void
test_plain(void)
{
	struct dk_slotstate ss;
	struct dk_srecs o;
	struct dk_contract cv[4];
	struct dk_err e;
	struct dk_rules keep = rules;
	json_t *cs = json_array(), *rd = json_array(), *out, *got, *bp;
	unsigned m;
	size_t i;

	json_array_append_new(cs, contract("alice", "bob", 400, 200000, 5000));
	json_array_append_new(cs, contract("carol", "dave", 150, 180000, 0));
	bp = contract("alice", "erin", 90, 150000, 1000);
	json_object_set_new(bp, "buy_price", json_integer(170000));
	json_object_set_new(bp, "wheeling", json_integer(12000));
	json_array_append_new(cs, bp);
	memset(&ss, 0, sizeof(ss));
	ss.slot = SLOT;
	ss.c = cv;
	ss.nc = 4;
	for (i = 0; i < 3; i++)
		dk_state_contract_of(json_array_get(cs, i), &cv[i < 1 ? 0 : i +
		    1]);
	/* a cancelled contract between them: not settled */
	dk_state_contract_of(json_array_get(cs, 0), &cv[1]);
	cv[1].wh = 7;
	cv[1].has |= DK_C_CANCELLED;
	json_array_append_new(rd, reading("alice-m", 10, 500));
	json_array_append_new(rd, reading("bob-m", 380, 0));
	json_array_append_new(rd, reading("carol-m1", 0, 90));
	json_array_append_new(rd, reading("carol-m2", 0, 70));
	json_array_append_new(rd, reading("dave-m", 120, 0));
	json_array_append_new(rd, reading("erin-m", 100, 3));
	memset(&o, 0, sizeof(o));
	for (m = 0; m < 16; m++) {
		rules = keep;
		rules.fee_bps = m & 1 ? 100 : 0;
		rules.fee_payer = DK_PAYER_SPLIT;
		rules.tax_bps = m & 2 ? 1900 : 0;
		rules.tol_pct = m & 4 ? 5 : 0;
		rules.tol_wh = m & 8 ? 20 : 0;
		ss.rules = rules;
		out = json_array();
		memset(&e, 0, sizeof(e));
		CHECK_INT(settle(cs, rd, out, &e), 0);
		memset(&e, 0, sizeof(e));
		CHECKF(dk_settle_plain(SLOT, &ss, rd, &reg, &o, &e) == 0,
		    "options %#x: %s", m, e.msg);
		CHECK_STR(o.ts, SLOTSTR);
		CHECK_INT(o.nset, 5);
		got = plain_json(&o);
		same_records(got, out, __LINE__);
		CHECK(json_array_size(out) > 10);
		json_decref(got);
		json_decref(out);
	}
	rules = keep;
	ss.rules = rules;
	/* carol's second meter unread: provisional's, not settled here */
	json_array_remove(rd, 3);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_settle_plain(SLOT, &ss, rd, &reg, &o, &e), 1);
	CHECK_INT(o.nset + o.ntr, 0);
	out = json_array();
	CHECK_INT(settle(cs, rd, out, &e), -1);
	CHECK_HAS(e.msg, "no reading for meter carol-m2");
	json_decref(out);
	/* a reading of a meter not registered: the error dk_settle gives */
	json_array_append_new(rd, reading("mallory-m", 0, 1));
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_settle_plain(SLOT, &ss, rd, &reg, &o, &e), -1);
	CHECK_HAS(e.msg, "meter mallory-m is not in the registry");
	CHECK_INT(e.item, 5);
	dk_srecs_free(&o);
	json_decref(cs);
	json_decref(rd);
}

int
main(void)
{
	struct dk_key k;
	struct dk_err e;

	memset(&e, 0, sizeof(e));
	if (dk_init(&e) < 0 || dk_key_generate(&k, &e) < 0)
		return 1;
	keyb64 = dk_key_pub_b64(&k);
	dk_key_free(&k);
	memset(&rules, 0, sizeof(rules));
	strcpy(rules.currency, "EUR");
	strcpy(rules.tz, "UTC");
	strcpy(rules.mechanism, "uniform");
	rules.slot_minutes = 30;
	rules.retail = 300000;
	rules.buyback = 100000;
	rules.fee = 10000;
	add_participant("alice", "alice-m");
	add_participant("bob", "bob-m");
	add_participant("carol", "carol-m1,carol-m2");
	add_participant("dave", "dave-m");
	add_participant("erin", "erin-m");
	CHECK_INT(reg.n, 5);
	test_slot();
	test_exact_and_zero();
	test_errors();
	test_limits();
	test_reading_check();
	test_random();
	test_many();
	test_money();
	test_plain();
	dk_registry_free(&reg);
	free(keyb64);
	return check_done("test-settle");
}
