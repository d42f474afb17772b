/* Unit tests for lib/ledger/rules.c: the market rules from the
 * configuration, from a rules record, and back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "check.h"

/* Rules from -D assignments (NULL-terminated), as the file would give. */
static int
from_defs(struct dk_rules *r, struct dk_err *e, ...)
{
	struct dk_conf c;
	const char *a;
	va_list ap;
	int rc = 0;

	memset(e, 0, sizeof(*e));
	dk_conf_load(&c, NULL, e);
	va_start(ap, e);
	while ((a = va_arg(ap, const char *)) != NULL)
		if (dk_conf_set(&c, a, e) < 0)
			rc = -1;
	va_end(ap);
	if (rc == 0)
		rc = dk_rules_from_conf(r, &c, e);
	dk_conf_free(&c);
	return rc;
}

#define RULES(...) from_defs(&r, &e, __VA_ARGS__, (const char *)NULL)
#define PRICES "prices.retail=300000", "prices.buyback=100000"

/* A rules record from its JSON text. */
static int
from_text(struct dk_rules *r, const char *text, struct dk_err *e)
{
	json_t *o = json_loads(text, 0, NULL);
	int rc;

	memset(e, 0, sizeof(*e));
	CHECK(o != NULL);
	rc = dk_rules_from_json(r, o, e);
	json_decref(o);
	return rc;
}

/* A file of text in /tmp; its path in path (at least 32 bytes). */
static void
tmpfile_text(char *path, const char *text)
{
	int fd;

	strcpy(path, "/tmp/test-rules.XXXXXX");
	fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

/* The rules of version 2: from the configuration, into a record of
 * version 2 and back, field for field; a record that says v 2 without
 * them, or v 1 with them, is refused. */
static void
test_money(void)
{
	struct dk_rules r, r2;
	struct dk_err e;
	char path[64], want[65], *s;
	json_t *o;

	tmpfile_text(path, "slot,price\n2026-01-01T10:00:00+00:00,250000\n");
	{
		char def[128];
		snprintf(def, sizeof(def), "prices.imbalance=%s", path);
		CHECK_INT(RULES(PRICES, def, "prices.tolerance_wh=10",
		    "prices.fee_bps=200", "prices.fee_payer=split",
		    "prices.monthly_fee=500000", "tax.rate_bps=1000"), 0);
	}
	dk_sha256_hex("slot,price\n2026-01-01T10:00:00+00:00,250000\n", 44,
	    want);
	CHECK_STR(r.imbalance, want);
	CHECK_INT(r.tol_wh, 10);
	CHECK_INT(r.tol_pct, 0);
	CHECK_INT(r.fee_payer, DK_PAYER_SPLIT);
	o = dk_rules_json(&r);
	s = dk_canon(o);
	CHECK_HAS(s, "\"fee_bps\":200,\"fee_payer\":\"split\"");
	CHECK_HAS(s, "\"monthly_fee\":500000");
	CHECK_HAS(s, "\"tax_bps\":1000");
	CHECK_HAS(s, "\"tolerance_pct\":0,\"tolerance_wh\":10");
	CHECK_HAS(s, "\"v\":2}");
	CHECK_INT(dk_rules_from_json(&r2, o, &e), 0);
	CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
	free(s);
	/* v 1 with them, v 2 without: refused */
	json_object_set_new(o, "v", json_integer(1));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "v: must be 2 with the fields of money");
	json_decref(o);
	CHECK_INT(RULES(PRICES), 0);
	o = dk_rules_json(&r);
	json_object_set_new(o, "v", json_integer(2));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), -1);
	CHECK_HAS(e.msg, "v: must be 2");
	json_object_set_new(o, "v", json_integer(3));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), -1);
	/* a fee without its payer, a bad payer, a bad hash */
	json_object_set_new(o, "v", json_integer(2));
	json_object_set_new(o, "fee_bps", json_integer(100));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), -1);
	CHECK_HAS(e.msg, "fee_payer");
	json_object_set_new(o, "fee_payer", json_string("nobody"));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "fee_payer: must be buyer, seller or split");
	json_object_set_new(o, "fee_payer", json_string("seller"));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), 0);
	CHECK_INT(r2.fee_payer, DK_PAYER_SELLER);
	json_object_set_new(o, "imbalance", json_string("ABC"));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), -1);
	CHECK_HAS(e.msg, "imbalance: must be a SHA-256 in hex");
	json_object_set_new(o, "imbalance", json_string(want));
	json_object_set_new(o, "fee_bps", json_integer(10001));
	CHECK_INT(dk_rules_from_json(&r2, o, &e), -1);
	CHECK_HAS(e.msg, "fee_bps");
	json_decref(o);
	/* the configuration's checks: 78 and the key */
	CHECK_INT(RULES(PRICES, "prices.fee_payer=both"), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_HAS(e.msg, "fee_payer: must be buyer, seller or split");
	CHECK_INT(RULES(PRICES, "tax.rate_bps=10001"), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_INT(RULES(PRICES, "prices.tolerance_pct=101"), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_INT(RULES(PRICES, "prices.imbalance=/nonexistent/x.csv"), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_HAS(e.msg, "prices.imbalance: /nonexistent/x.csv: No such file");
	unlink(path);
}

/* Series of imbalance prices: read, found by hash, priced by slot; bad
 * files refused with the line. */
static void
test_series(void)
{
	struct dk_err e = { 0 };
	char path[64], h[65], h2[65];
	int64_t p = -1, t;

	tmpfile_text(path, "2026-01-01T10:30:00+00:00,7\r\n"
	    "2026-01-01T19:00:00+09:00,5\n");
	CHECK_INT(dk_series_load(path, 30, h, &e), 0);
	/* loaded twice: the same series */
	CHECK_INT(dk_series_load(path, 30, h2, &e), 0);
	CHECK_STR(h, h2);
	CHECK_INT(dk_time_parse("2026-01-01T10:00:00Z", &t, &e), 0);
	CHECK_INT(dk_series_price(h, t, &p, &e), 1);
	CHECK_INT(p, 5);
	CHECK_INT(dk_series_price(h, t + 1800, &p, &e), 1);
	CHECK_INT(p, 7);
	CHECK_INT(dk_series_price(h, t + 3600, &p, &e), -1);
	CHECK_HAS(e.msg, "has no price for the slot");
	CHECK_INT(dk_series_price("00", t, &p, &e), 0);
	unlink(path);
	/* bad files: the line and what is wrong, 65 */
	tmpfile_text(path, "slot,price\n2026-01-01T10:00:00Z,1\n"
	    "2026-01-01T10:30:00Z,-1\n");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_series_load(path, 30, h, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, ":3: price: must be an integer");
	unlink(path);
	tmpfile_text(path, "2026-01-01T10:00:00Z,10000000001\n");
	CHECK_INT(dk_series_load(path, 30, h, &e), -1);
	CHECK_HAS(e.msg, ":1: price: must be an integer of micro-units per "
	    "kWh, 0 to 10000000000");
	unlink(path);
	tmpfile_text(path, "2026-01-01T10:00:00Z 1\n");
	CHECK_INT(dk_series_load(path, 30, h, &e), -1);
	CHECK_HAS(e.msg, ":1: must be slot,price");
	unlink(path);
	tmpfile_text(path, "slot,price\n");
	CHECK_INT(dk_series_load(path, 30, h, &e), -1);
	CHECK_HAS(e.msg, ": no prices");
	unlink(path);
	tmpfile_text(path, "");
	CHECK_INT(dk_series_load(path, 30, h, &e), -1);
	CHECK_HAS(e.msg, ": empty file");
	unlink(path);
	CHECK_INT(dk_series_load("/nonexistent.csv", 30, h, &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
}

int
main(void)
{
	struct dk_rules r, r2;
	struct dk_err e;
	struct dk_conf c;
	json_t *o;
	char *s, hex[65];
	const char *p;

	/* the defaults around the two prices a community must set */
	CHECK_INT(RULES(PRICES), 0);
	CHECK_STR(r.currency, "EUR");
	CHECK_STR(r.tz, "UTC");
	CHECK_STR(r.mechanism, "uniform");
	CHECK_INT(r.slot_minutes, 30);
	CHECK_INT(r.retail, 300000);
	CHECK_INT(r.buyback, 100000);
	CHECK_INT(r.fee, 0);
	CHECK_INT(r.mmr, 200000);	/* halfway, rounded down */
	CHECK_INT(r.zonal, 0);
	CHECK_INT(r.nlinks, 0);
	CHECK_STR(r.terms, "");
	CHECK_INT(RULES("prices.retail=7", "prices.buyback=4"), 0);
	CHECK_INT(r.mmr, 5);

	/* every price is asked for; none guessed */
	CHECK_INT(RULES("prices.buyback=1"), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_STR(e.msg, "config: prices.retail: missing (micro-units per kWh)");
	CHECK_INT(RULES("prices.retail=1"), -1);
	CHECK_STR(e.msg, "config: prices.buyback: missing (micro-units per kWh)");
	CHECK_INT(RULES("prices.retail=100", "prices.buyback=101"), -1);
	CHECK_STR(e.msg, "prices: buyback (101) must not exceed retail (100)");
	CHECK_INT(RULES("prices.retail=x", "prices.buyback=1"), -1);
	CHECK_HAS(e.msg, "prices.retail: must be an integer");
	CHECK_INT(RULES("prices.retail=10000000001", "prices.buyback=1"), -1);
	CHECK_HAS(e.msg, "must be from 0 to 10000000000");

	/* mechanisms, slots, currencies, time zones */
	CHECK_INT(RULES(PRICES, "mechanism=mcafee", "slot_minutes=15",
	    "currency=JPY", "prices.fee=2000"), 0);
	CHECK_STR(r.mechanism, "mcafee");
	CHECK_INT(r.slot_minutes, 15);
	CHECK_STR(r.currency, "JPY");
	CHECK_INT(r.fee, 2000);
	CHECK_INT(RULES(PRICES, "mechanism=vickrey"), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_STR(e.msg, "mechanism: must be uniform, pay-as-bid, mid-market "
	    "or mcafee, got \"vickrey\"");
	CHECK_INT(RULES(PRICES, "slot_minutes=7"), -1);
	CHECK_STR(e.msg, "slot_minutes: must divide a day (15, 30, 60, ...), "
	    "got 7");
	CHECK_INT(RULES(PRICES, "currency=EURODOLLAR"), -1);
	CHECK_STR(e.msg, "currency: must be 1 to 7 characters");
	CHECK_INT(RULES(PRICES, "tz=Mars/Olympus"), -1);
	CHECK_STR(e.msg, "tz: unknown time zone \"Mars/Olympus\" (not in "
	    "/usr/share/zoneinfo)");
	CHECK_INT(RULES(PRICES, "tz=../../etc/passwd"), -1);
	CHECK_HAS(e.msg, "unknown time zone");
	if (access("/usr/share/zoneinfo/Asia/Tokyo", R_OK) == 0) {
		CHECK_INT(RULES(PRICES, "tz=Asia/Tokyo"), 0);
		CHECK_STR(r.tz, "Asia/Tokyo");
	}

	/* zones: wheeling or links make the rules zonal */
	CHECK_INT(RULES(PRICES, "wheeling.inside=500"), 0);
	CHECK_INT(r.zonal, 1);
	CHECK_INT(r.wheel_inside, 500);
	CHECK_INT(RULES(PRICES, "wheeling.between=900",
	    "links.t1.zones=north,south", "links.t1.capacity_wh=5000",
	    "links.t2.zones=south,east", "links.t2.capacity_wh=0",
	    "links.t2.wheeling=100"), 0);
	CHECK_INT(r.zonal, 1);
	CHECK_INT(r.nlinks, 2);
	CHECK_STR(r.link[0].name, "t1");
	CHECK_STR(r.link[0].a, "north");
	CHECK_STR(r.link[0].b, "south");
	CHECK_INT(r.link[0].cap_wh, 5000);
	CHECK_INT(r.link[0].wheel, 900);	/* wheeling.between */
	CHECK_STR(r.link[1].name, "t2");
	CHECK_INT(r.link[1].cap_wh, 0);
	CHECK_INT(r.link[1].wheel, 100);
	CHECK_INT(RULES(PRICES, "mechanism=mcafee", "wheeling.inside=1"), -1);
	CHECK_STR(e.msg, "mechanism: mcafee clears one zone; wheeling and "
	    "links need uniform, pay-as-bid or mid-market");
	CHECK_INT(RULES(PRICES, "links.t1.zones=a,a",
	    "links.t1.capacity_wh=1"), -1);
	CHECK_STR(e.msg, "links.t1: joins zone a to itself");
	CHECK_INT(RULES(PRICES, "links.t1.zones=a,b", "links.t1.capacity_wh=1",
	    "links.t2.zones=b,a", "links.t2.capacity_wh=1"), -1);
	CHECK_STR(e.msg, "links.t2: zones b and a are already joined by "
	    "links.t1");
	CHECK_INT(RULES(PRICES, "links.t1.zones=a,b"), -1);
	CHECK_STR(e.msg, "links.t1.capacity_wh: missing (Wh per slot)");
	CHECK_INT(RULES(PRICES, "links.t1.zones=a,b,c",
	    "links.t1.capacity_wh=1"), -1);
	CHECK_STR(e.msg, "links.t1.zones: must list two zones, as [A, B]");
	CHECK_INT(RULES(PRICES, "links.t1.size=1"), -1);
	CHECK_STR(e.msg, "links.t1.size: unknown setting (zones, capacity_wh, "
	    "wheeling)");

	/* the terms: their SHA-256, or a message naming the file */
	tmpdir_make("test-rules");
	p = tmpfile_write("terms.txt", "be nice\n");
	s = NULL;
	CHECK(asprintf(&s, "terms=%s", p) > 0);
	CHECK_INT(RULES(PRICES, s), 0);
	dk_sha256_hex("be nice\n", 8, hex);
	CHECK_STR(r.terms, hex);
	free(s);
	CHECK(asprintf(&s, "terms=%s/none.txt", ck_tmp) > 0);
	CHECK_INT(RULES(PRICES, s), -1);
	CHECK_HAS(e.msg, "none.txt: No such file or directory");
	free(s);

	/* a file's errors name the file, once */
	p = tmpfile_write("coop.yaml", "prices:\n  retail: 100\n"
	    "  buyback: 50\nmechanism: auction\n");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_conf_load(&c, p, &e), 0);
	CHECK_INT(dk_rules_from_conf(&r, &c, &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK(strncmp(e.msg, p, strlen(p)) == 0);
	CHECK_HAS(e.msg, ".yaml: mechanism: must be uniform");
	dk_conf_free(&c);
	p = tmpfile_write("coop.yaml", "prices:\n  buyback: 50\n");
	CHECK_INT(dk_conf_load(&c, p, &e), 0);
	CHECK_INT(dk_rules_from_conf(&r, &c, &e), -1);
	CHECK(strncmp(e.msg, p, strlen(p)) == 0);
	CHECK(strstr(e.msg + strlen(p), p) == NULL);
	CHECK_HAS(e.msg, ".yaml: prices.retail: missing");
	dk_conf_free(&c);
	tmpdir_remove();

	/* the record: canonical, without zone fields when there are none */
	CHECK_INT(RULES(PRICES, "prices.fee=10"), 0);
	o = dk_rules_json(&r);
	s = dk_canon(o);
	CHECK_STR(s, "{\"buyback\":100000,\"currency\":\"EUR\",\"fee\":10,"
	    "\"mechanism\":\"uniform\",\"retail\":300000,\"slot_minutes\":30,"
	    "\"terms\":\"\",\"type\":\"rules\",\"tz\":\"UTC\",\"v\":1}");
	CHECK_INT(dk_rules_from_json(&r2, o, &e), 0);
	CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
	free(s);
	json_decref(o);

	/* and with zones: the same rules back, field for field */
	CHECK_INT(RULES(PRICES, "mechanism=pay-as-bid", "wheeling.inside=3",
	    "wheeling.between=7", "links.x.zones=a,b",
	    "links.x.capacity_wh=42"), 0);
	o = dk_rules_json(&r);
	s = dk_canon(o);
	CHECK_HAS(s, "\"links\":[{\"a\":\"a\",\"b\":\"b\",\"capacity_wh\":42,"
	    "\"name\":\"x\",\"wheeling\":7}]");
	CHECK_HAS(s, "\"wheeling_between\":7,\"wheeling_inside\":3");
	CHECK_INT(dk_rules_from_json(&r2, o, &e), 0);
	CHECK(memcmp(&r, &r2, sizeof(r)) == 0);
	free(s);
	json_decref(o);

	/* a bad record is bad input data (65), not configuration */
	CHECK_INT(from_text(&r, "{\"type\":\"rules\",\"v\":1,\"currency\":"
	    "\"EUR\",\"tz\":\"UTC\",\"mechanism\":\"dutch\",\"terms\":\"\","
	    "\"slot_minutes\":30,\"retail\":3,\"buyback\":1,\"fee\":0}", &e),
	    -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "mechanism: must be uniform");
	CHECK_INT(from_text(&r, "{\"type\":\"rules\",\"v\":1,\"currency\":"
	    "\"EUR\",\"tz\":\"UTC\",\"mechanism\":\"uniform\",\"terms\":"
	    "\"abc\",\"slot_minutes\":30,\"retail\":3,\"buyback\":1,"
	    "\"fee\":0}", &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "terms: must be a SHA-256 in hex, or empty");
	CHECK_INT(from_text(&r, "{\"type\":\"rules\",\"v\":1,\"currency\":"
	    "\"\",\"tz\":\"UTC\",\"mechanism\":\"uniform\",\"terms\":\"\","
	    "\"slot_minutes\":30,\"retail\":3,\"buyback\":1,\"fee\":0}", &e),
	    -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "currency: must be 1 to 7 characters");
	CHECK_INT(from_text(&r, "{\"type\":\"rules\",\"v\":1,\"currency\":"
	    "\"EUR\",\"tz\":\"UTC\",\"mechanism\":\"uniform\",\"terms\":\"\","
	    "\"slot_minutes\":30,\"retail\":3,\"buyback\":1,\"fee\":0,"
	    "\"links\":[{\"name\":\"l\",\"a\":\"a\",\"b\":\"b\","
	    "\"capacity_wh\":-1,\"wheeling\":0}]}", &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "links[0]: capacity_wh");
	CHECK_INT(from_text(&r, "{\"type\":\"order\"}", &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);

	test_money();
	test_series();
	return check_done("test-rules");
}
