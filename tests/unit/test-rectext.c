/* Unit tests for lib/settle/rectext.c: a settle record's line written
 * directly, held to json_pack + dk_canon (and dk_settlement_private_text
 * for a settlement's private copy) for every variant settle makes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static int nchecked;

/* rec written by dk_record_text as dk_canon writes it, and (a settlement)
 * its private copy as dk_settlement_private_text cuts it */
static void
same(json_t *rec, const char *what)
{
	char buf[4096], priv[4096], *c, *pc;
	size_t n, pn = 99;
	int kind = -1;
	const char *t = json_string_value(json_object_get(rec, "type"));
	int settlement = t != NULL && strcmp(t, "settlement") == 0;

	c = dk_canon(rec);
	n = dk_record_text(rec, buf, sizeof(buf), NULL, 0, &pn, &kind);
	CHECKF(n > 0 && n == strlen(c) && strcmp(buf, c) == 0,
	    "%s:\n  got  %s\n  want %s", what, n ? buf : "(0)", c);
	CHECK_INT(pn, 0);
	/* a provisional settlement or a true-up: for settle's words */
	CHECKF(kind == (json_object_get(rec, "provisional") != NULL ||
	    (t != NULL && strcmp(t, "trueup") == 0) ? DK_RT_OUT : 0),
	    "%s: kind %d", what, kind);
	n = dk_record_text(rec, buf, sizeof(buf), priv, sizeof(priv), &pn,
	    NULL);
	pc = settlement ? dk_settlement_private_text(rec, c, strlen(c)) : NULL;
	if (settlement && pc == NULL) {
		/* no v: left to dk_canon, which fails the same */
		CHECKF(n == 0 && pn == 0, "%s (no private copy)", what);
	} else {
		CHECKF(n > 0 && strcmp(buf, c) == 0, "%s (with priv)", what);
		CHECKF(settlement ? pn == strlen(pc) && strcmp(priv, pc) == 0 :
		    pn == 0, "%s, private:\n  got  %s\n  want %s", what,
		    priv, pc ? pc : "(none)");
	}
	free(pc);
	free(c);
	json_decref(rec);
	nchecked++;
}

#define TS "2026-01-01T10:00:00+09:00"

static json_t *
settlement(void)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I}", "type", "settlement", "v", 1, "slot", TS,
	    "participant", "kn1-10", "sold_wh", (json_int_t)12,
	    "bought_wh", (json_int_t)0, "export_wh", (json_int_t)340,
	    "import_wh", (json_int_t)0, "deviation_wh", (json_int_t)328,
	    "p2p_paid", (json_int_t)0, "p2p_received", (json_int_t)3480,
	    "fees", (json_int_t)0, "utility_paid", (json_int_t)0,
	    "utility_received", (json_int_t)40344, "net",
	    (json_int_t)-9007199254740991LL);
}

static void
test_settlements(void)
{
	/* the optional members of settle.c's money_fields and split */
	static const char *opt[] = { "fee_pct", "tax", "tolerance_wh",
	    "imbalance_price", "wheeling", "rent" };
	json_t *x;
	unsigned m;
	size_t i;
	char what[64];

	for (m = 0; m < 64; m++) {
		x = settlement();
		for (i = 0; i < 6; i++)
			if (m & (1u << i))
				json_object_set_new(x, opt[i],
				    json_integer((json_int_t)(i * 1000 - 2)));
		snprintf(what, sizeof(what), "settlement, options %#x", m);
		same(x, what);
	}
	/* provisional (v 3, as dk_settle_prov makes it): kept whole */
	x = settlement();
	json_object_del(x, "export_wh");
	json_object_del(x, "import_wh");
	json_object_set_new(x, "v", json_integer(3));
	json_object_set_new(x, "provisional", json_pack("[s,s]", "kn1-10-m",
	    "kn1-10-pv"));
	json_object_set_new(x, "read_wh", json_integer(-17));
	json_object_set_new(x, "fee_pct", json_integer(4));
	same(x, "provisional settlement");
	/* island.c's members */
	x = settlement();
	json_object_set_new(x, "island_paid", json_integer(0));
	json_object_set_new(x, "island_received", json_integer(77));
	json_object_set_new(x, "island", json_true());
	same(x, "island settlement");
	/* a v of another value: written 2 in the private copy all the same */
	x = settlement();
	json_object_set_new(x, "v", json_integer(7));
	same(x, "settlement of v 7");
}

static void
test_others(void)
{
	static const char *reasons[] = { "p2p", "fee", "fee_pct", "wheeling",
	    "rent", "tolerance", "surplus", "shortfall", "tax", "island",
	    "trueup" };
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		same(json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s}", "type",
		    "transfer", "v", 1, "slot", TS, "from", "kn1", "to",
		    "operator", "amount", (json_int_t)i * 37, "reason",
		    reasons[i]), reasons[i]);
	same(json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s,s:s}", "type", "transfer",
	    "v", 1, "slot", TS, "from", "kn1", "to", "operator", "amount",
	    (json_int_t)2000000, "reason", "membership", "month", "2026-01"),
	    "membership");
	same(json_pack("{s:s,s:i,s:s,s:s,s:[s],s:I,s:I,s:I,s:I}", "type",
	    "trueup", "v", 1, "slot", TS, "participant", "kn2", "meters",
	    "kn2-m", "deviation_wh", (json_int_t)-3, "utility_paid",
	    (json_int_t)870, "utility_received", (json_int_t)0, "net",
	    (json_int_t)-870), "trueup");
	same(json_pack("{s:s,s:i,s:s,s:s,s:[],s:n,s:b}", "type", "trueup",
	    "v", 1, "slot", TS, "participant", "kn2", "meters", "net",
	    "island", 0), "empty array, null, false");
}

/* Every member the writer knows at once, in random values: its order is
 * dk_canon's; and random subsets of them. */
static void
test_all_keys(void)
{
	static const char *k[] = { "wheeling", "v", "utility_received",
	    "utility_paid", "type", "tolerance_wh", "to", "tax", "sold_wh",
	    "slot", "rent", "reason", "read_wh", "provisional",
	    "participant", "p2p_received", "p2p_paid", "net", "month",
	    "meters", "island_received", "island_paid", "island",
	    "import_wh", "imbalance_price", "from", "fees", "fee_pct",
	    "export_wh", "deviation_wh", "bought_wh", "amount" };
	size_t nk = sizeof(k) / sizeof(k[0]), i, r;
	json_t *x;
	char what[32];

	for (i = 0; i < nk; i++)
		CHECKF(dk_record_key(k[i], strlen(k[i])) >= 0, "%s", k[i]);
	CHECK_INT(dk_record_key("sig", 3), -1);
	CHECK_INT(dk_record_key("", 0), -1);
	CHECK_INT(dk_record_key("nets", 4), -1);
	srand(17);
	for (r = 0; r < 400; r++) {
		x = json_object();
		for (i = 0; i < nk; i++) {
			if (r > 0 && rand() % 3 == 0)
				continue;
			if (rand() % 4 == 0)
				json_object_set_new(x, k[i], json_string(
				    rand() % 2 ? " !#$%&'()*+,-./09:;<=>?@AZ[]^_`"
				    "az{|}~" : ""));
			else
				json_object_set_new(x, k[i], json_integer(
				    (json_int_t)rand() * (rand() % 2 ? -1 :
				    1)));
		}
		if (r % 2)
			json_object_set_new(x, "type",
			    json_string("settlement"));
		snprintf(what, sizeof(what), "random record %zu", r);
		same(x, what);
	}
}

/* What it leaves to dk_canon: 0, and no private text. */
static void
test_refused(void)
{
	char buf[4096], priv[4096];
	size_t pn = 5;
	json_t *x;

	x = settlement();
	json_object_set_new(x, "sig", json_string("x"));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), priv, sizeof(priv),
	    &pn, NULL), 0);
	CHECK_INT(pn, 0);
	json_decref(x);
	x = settlement();
	json_object_set_new(x, "participant", json_string("a\"b"));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_set_new(x, "participant", json_string("a\\b"));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_set_new(x, "participant", json_string("del\x7f"));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_set_new(x, "participant", json_string("caf\xc3\xa9"));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_set_new(x, "participant", json_string("tab\there"));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_set_new(x, "participant", json_string("kn1"));
	json_object_set_new(x, "net", json_real(1.5));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_set_new(x, "net", json_integer(1));
	json_object_set_new(x, "meters", json_pack("[i]", 1));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_set_new(x, "meters", json_pack("{}"));
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_object_del(x, "meters");
	/* too small a buffer, for the line or the private copy */
	CHECK(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL) > 100);
	CHECK_INT(dk_record_text(x, buf, 100, NULL, 0, NULL, NULL), 0);
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), priv, 100, &pn, NULL), 0);
	CHECK_INT(dk_record_text(x, buf, 1, NULL, 0, NULL, NULL), 0);
	/* a settlement without v: its private copy cannot be made */
	json_object_del(x, "v");
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), priv, sizeof(priv),
	    &pn, NULL), 0);
	CHECK(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL) > 0);
	json_decref(x);
	CHECK_INT(dk_record_text(NULL, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	x = json_pack("[i]", 1);
	CHECK_INT(dk_record_text(x, buf, sizeof(buf), NULL, 0, NULL, NULL), 0);
	json_decref(x);
}

/* Each byte that needs an escape, at each place of a string of 8 and
 * more: refused; each printable one around them: written as it is. */
static void
test_bytes(void)
{
	static const unsigned char bad[] = { 0x01, 0x1f, '"', '\\', 0x7f,
	    0x80, 0xc3, 0xff };
	static const unsigned char good[] = { 0x20, 0x21, 0x23, 0x5b, 0x5d,
	    0x7e, 'a' };
	char s[20], buf[4096];
	size_t i, at, len;
	json_t *x;

	for (len = 8; len <= 17; len += 9)
		for (at = 0; at < len; at++) {
			for (i = 0; i < sizeof(bad); i++) {
				memset(s, 'a', len);
				s[at] = (char)bad[i];
				x = settlement();
				json_object_set_new(x, "participant",
				    json_stringn_nocheck(s, len));
				CHECKF(dk_record_text(x, buf, sizeof(buf), NULL,
				    0, NULL, NULL) == 0, "byte %#x at %zu of "
				    "%zu", bad[i], at, len);
				json_decref(x);
			}
			for (i = 0; i < sizeof(good); i++) {
				memset(s, 'b', len);
				s[at] = (char)good[i];
				x = settlement();
				json_object_set_new(x, "participant",
				    json_stringn(s, len));
				same(x, "a printable byte");
			}
		}
}

/* x's text by dk_srec_text held to dk_canon of want (json_pack's) and
 * of dk_srec_json's record of x, and a settlement's private copy to
 * dk_settlement_private_text's; want is freed. */
static void
same_srec(const struct dk_srec *x, json_t *want, const char *what)
{
	char buf[4096], priv[4096], *c, *cj, *pc;
	json_t *j = dk_srec_json(x, TS);
	size_t n, pn = 99;
	int set = x->type == DK_SR_SETTLEMENT;

	c = dk_canon(want);
	cj = j != NULL ? dk_canon(j) : NULL;
	CHECKF(cj != NULL && strcmp(cj, c) == 0, "%s: dk_srec_json:\n  got  "
	    "%s\n  want %s", what, cj ? cj : "(null)", c);
	n = dk_srec_text(x, TS, buf, sizeof(buf), NULL, 0, &pn);
	CHECKF(n > 0 && n == strlen(c) && strcmp(buf, c) == 0,
	    "%s:\n  got  %s\n  want %s", what, n ? buf : "(0)", c);
	CHECK_INT(pn, 0);
	n = dk_srec_text(x, TS, buf, sizeof(buf), priv, sizeof(priv), &pn);
	pc = set ? dk_settlement_private_text(want, c, strlen(c)) : NULL;
	CHECKF(n > 0 && strcmp(buf, c) == 0, "%s (with priv)", what);
	CHECKF(set ? pc != NULL && pn == strlen(pc) && strcmp(priv, pc) == 0 :
	    pn == 0, "%s, private:\n  got  %s\n  want %s", what, priv,
	    pc ? pc : "(none)");
	/* one byte short of the text (or of the private copy): refused */
	CHECKF(dk_srec_text(x, TS, buf, strlen(c), NULL, 0, &pn) == 0,
	    "%s: written into too small a buffer", what);
	if (set)
		CHECKF(dk_srec_text(x, TS, buf, sizeof(buf), priv, strlen(pc),
		    &pn) == 0, "%s: private copy into too small a buffer",
		    what);
	free(pc);
	free(c);
	free(cj);
	json_decref(j);
	json_decref(want);
	nchecked++;
}

/* settle.c's plain records: a settlement of every set of its optional
 * members, a transfer of every reason, each written as json_pack and
 * dk_canon write it; what it cannot write refused (0). */
static void
test_srec(void)
{
	static const char *opt[] = { "fee_pct", "tax", "tolerance_wh",
	    "imbalance_price" };
	static const char *reasons[] = { "p2p", "fee", "fee_pct", "wheeling",
	    "rent", "tolerance", "surplus", "shortfall", "tax" };
	static struct dk_participant p;
	struct dk_srec x;
	json_t *w;
	int64_t ov[4];
	unsigned m;
	size_t i;
	char what[64], buf[4096], priv[4096];

	snprintf(p.id, sizeof(p.id), "kn1-10");
	for (m = 0; m < 32; m++) {
		memset(&x, 0, sizeof(x));
		x.type = DK_SR_SETTLEMENT;
		x.flags = m;
		x.p = &p;
		x.sold = 12;
		x.bought = 3;
		x.exp = 340;
		x.imp = 1;
		x.dev = -328;
		x.paid = 9007199254740991LL;
		x.received = 3480;
		x.fees = 5;
		x.upaid = 0;
		x.ureceived = 40344;
		x.net = -9007199254740991LL;
		x.feepct = ov[0] = 17;
		x.tax = ov[1] = -2;
		x.tol = ov[2] = 0;
		x.imb = ov[3] = 123000;
		x.wheeling = 44;
		x.rent = 6;
		w = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		    "s:I,s:I,s:I,s:I}", "type", "settlement", "v", 1, "slot",
		    TS, "participant", "kn1-10", "sold_wh", (json_int_t)12,
		    "bought_wh", (json_int_t)3, "export_wh", (json_int_t)340,
		    "import_wh", (json_int_t)1, "deviation_wh",
		    (json_int_t)-328, "p2p_paid",
		    (json_int_t)9007199254740991LL, "p2p_received",
		    (json_int_t)3480, "fees", (json_int_t)5, "utility_paid",
		    (json_int_t)0, "utility_received", (json_int_t)40344,
		    "net", (json_int_t)-9007199254740991LL);
		for (i = 0; i < 4; i++)
			if (m & (1u << i))
				json_object_set_new(w, opt[i],
				    json_integer(ov[i]));
		if (m & DK_SR_SPLIT) {
			json_object_set_new(w, "wheeling", json_integer(44));
			json_object_set_new(w, "rent", json_integer(6));
		}
		snprintf(what, sizeof(what), "plain settlement, flags %#x", m);
		same_srec(&x, w, what);
	}
	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		memset(&x, 0, sizeof(x));
		x.type = DK_SR_TRANSFER;
		x.from = "kn1";
		x.to = i % 2 ? "utility" : "operator";
		x.amount = (int64_t)i * 37;
		x.reason = reasons[i];
		same_srec(&x, json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s}", "type",
		    "transfer", "v", 1, "slot", TS, "from", "kn1", "to", x.to,
		    "amount", (json_int_t)x.amount, "reason", reasons[i]),
		    reasons[i]);
	}
	/* beyond 2^53-1, or a string that needs an escape or is not ASCII:
	 * left to dk_canon (and its profile check) */
	x.amount = 9007199254740992LL;
	CHECK_INT(dk_srec_text(&x, TS, buf, sizeof(buf), NULL, 0, NULL), 0);
	x.amount = -9007199254740992LL;
	CHECK_INT(dk_srec_text(&x, TS, buf, sizeof(buf), NULL, 0, NULL), 0);
	x.amount = 1;
	CHECK(dk_srec_text(&x, TS, buf, sizeof(buf), NULL, 0, NULL) > 0);
	x.from = "kn\"1";
	CHECK_INT(dk_srec_text(&x, TS, buf, sizeof(buf), NULL, 0, NULL), 0);
	x.from = "kn\x01";
	CHECK_INT(dk_srec_text(&x, TS, buf, sizeof(buf), NULL, 0, NULL), 0);
	x.from = "kn1";
	CHECK_INT(dk_srec_text(&x, "2026-01-01T10:00:00\\", buf, sizeof(buf),
	    NULL, 0, NULL), 0);
	memset(&x, 0, sizeof(x));
	x.type = DK_SR_SETTLEMENT;
	x.p = &p;
	snprintf(p.id, sizeof(p.id), "kn\xc3\xa9");
	CHECK_INT(dk_srec_text(&x, TS, buf, sizeof(buf), priv, sizeof(priv),
	    NULL), 0);
	snprintf(p.id, sizeof(p.id), "kn1-10");
	x.net = DK_MAX_SAFE_INT + 1;
	CHECK_INT(dk_srec_text(&x, TS, buf, sizeof(buf), priv, sizeof(priv),
	    NULL), 0);
	x.net = 0;
	x.type = 0;
	CHECK_INT(dk_srec_text(&x, TS, buf, sizeof(buf), NULL, 0, NULL), 0);
}

int
main(void)
{
	test_srec();
	test_settlements();
	test_others();
	test_all_keys();
	test_refused();
	test_bytes();
	CHECK(nchecked > 640);
	return check_done("test-rectext");
}
