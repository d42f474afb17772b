/*
 * Order lines, a book of them (one a line): the fast path for a canonical
 * line (dk_order_line) against the parse and full checks (dk_parse,
 * dk_order_check): whatever the fast path takes, the slow one takes with
 * the same fields, id and signature verdict.  Then the slot of the first
 * order is cleared twice, the book as lines and as records: the same
 * clearing, book hash and trades, and each trade written straight
 * (dk_trade_print) as dk_canon(dk_trade_json) writes it.  The first byte
 * of the input picks the mechanism.
 */
#include "fuzz.h"

#define MAXO 64

/* participants of tests/golden/ledger.jsonl */
static const char *const members[] = {
	"{\"id\":\"a1\",\"key\":\"RWTL3qkXIHwLRziugjnhIY0mCX5pHdCw6clOCJJyEMsj"
	"28C2x0Md0Nen\",\"meters\":[\"a1-m\"],\"role\":\"prosumer\",\"status\":"
	"\"active\",\"type\":\"participant\",\"v\":1,\"zone\":\"z1\"}",
	"{\"id\":\"a2\",\"key\":\"RWRsFl48ejnBgUSobIYLJp/XD/6d5Hk5rAjyvK69VG/X"
	"uwtcdQiXBNhV\",\"meters\":[\"a2-m\"],\"role\":\"prosumer\",\"status\":"
	"\"active\",\"type\":\"participant\",\"v\":1,\"zone\":\"z1\"}",
	"{\"id\":\"b1\",\"key\":\"RWTSVWb+f+mKvbLAWumT2b/lbK/99W7NTDLHoqNPP5TF"
	"PaDCTlOybPQr\",\"meters\":[\"b1-m\"],\"role\":\"prosumer\",\"status\":"
	"\"active\",\"type\":\"participant\",\"v\":1,\"zone\":\"z2\"}",
	"{\"id\":\"c1\",\"key\":\"RWRa9UsEAI6npL467fljih+Q+eUMV1NMVjX3EXXjaley"
	"NTMTT0VGv+lY\",\"meters\":[\"c1-m\"],\"role\":\"consumer\",\"status\":"
	"\"active\",\"type\":\"participant\",\"v\":1,\"zone\":\"z2\"}",
};
static const char rulestext[] = "{\"buyback\":100000,\"currency\":\"EUR\","
    "\"fee\":10000,\"mechanism\":\"uniform\",\"retail\":300000,"
    "\"slot_minutes\":30,\"terms\":\"7b0dcce5ea19be57f15c4e925a20d0e0f750a5730"
    "6948a5d9d3610eb0b63cc93\",\"type\":\"rules\",\"tz\":\"UTC\",\"v\":1}";
static const char *const mech[] = { "uniform", "pay-as-bid", "mid-market",
    "mcafee" };

static struct dk_registry reg;
static struct dk_rules rules;

static void
setup(void)
{
	struct dk_err e = { 0 };
	json_t *v;
	size_t i;

	FZ_ASSERT(dk_init(&e) == 0);
	for (i = 0; i < sizeof(members) / sizeof(*members); i++) {
		FZ_ASSERT((v = dk_parse(members[i], strlen(members[i]), &e)));
		FZ_ASSERT(dk_registry_apply(&reg, v, &e) == 0);
		json_decref(v);
	}
	FZ_ASSERT((v = dk_parse(rulestext, strlen(rulestext), &e)));
	FZ_ASSERT(dk_rules_from_json(&rules, v, &e) == 0);
	json_decref(v);
}

static char *
trade_text(const struct dk_order *o, const struct dk_trade *t)
{
	char ts[40], *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	FZ_ASSERT(fp != NULL);
	dk_time_format(o[t->sell].slot, rules.tz, ts, sizeof(ts));
	dk_trade_print(fp, ts, o, t, &rules);
	fclose(fp);
	return buf;
}

/* The two books cleared alike (fast: orders read from their lines). */
static void
clear_both(struct dk_order *fast, struct dk_order *slow, size_t n)
{
	struct dk_clearing c1, c2;
	struct dk_err e1 = { 0 }, e2 = { 0 };
	int r1, r2;
	size_t i;
	char *p, *q;
	json_t *x;

	r1 = dk_clear(fast, n, fast[0].slot, &rules, &c1, &e1);
	r2 = dk_clear(slow, n, slow[0].slot, &rules, &c2, &e2);
	FZ_ASSERT(r1 == r2);
	if (r1 < 0)
		return;
	FZ_ASSERT(strcmp(c1.book, c2.book) == 0);
	FZ_ASSERT(c1.matched == c2.matched && c1.wh == c2.wh &&
	    c1.nt == c2.nt && c1.have_price == c2.have_price &&
	    (!c1.have_price || c1.price == c2.price));
	for (i = 0; i < c1.nt; i++) {
		FZ_ASSERT(c1.t[i].wh == c2.t[i].wh &&
		    c1.t[i].price == c2.t[i].price);
		p = trade_text(fast, &c1.t[i]);
		x = dk_trade_json(&c2, slow, &c2.t[i], &rules);
		q = dk_canon(x);
		FZ_ASSERT(strlen(p) == strlen(q) + 1 &&
		    memcmp(p, q, strlen(q)) == 0);
		free(p);
		free(q);
		json_decref(x);
	}
	dk_clearing_free(&c1);
	dk_clearing_free(&c2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct dk_order fast[MAXO], slow[MAXO], o1, o2;
	struct dk_ordersig sg;
	struct dk_err e = { 0 };
	const char *s = (const char *)data, *end = s + size, *nl;
	size_t n = 0, i;
	json_t *v;
	int f, ok;

	if (!init) {
		setup();
		init = 1;
	}
	if (size > 0)
		strcpy(rules.mechanism, mech[data[0] % 4]);
	for (; s < end && n < MAXO; s = nl + 1) {
		if ((nl = memchr(s, '\n', end - s)) == NULL)
			nl = end;
		f = dk_order_line(&o1, s, nl - s, &rules, &reg, &sg);
		v = dk_parse(s, nl - s, &e);
		if (!f) {
			if (v != NULL)
				dk_order_check(&o2, v, &rules, &reg, &e);
			json_decref(v);
			continue;
		}
		/* the fast path's line: canonical, and every check passes */
		FZ_ASSERT(v != NULL);
		FZ_ASSERT(dk_is_canonical(s, nl - s));
		FZ_ASSERT(dk_order_read(&o2, v, &rules, &reg, &e) == 0);
		FZ_ASSERT(strcmp(o1.id, o2.id) == 0 &&
		    strcmp(o1.participant, o2.participant) == 0 &&
		    strcmp(o1.zone, o2.zone) == 0 && o1.side == o2.side &&
		    o1.slot == o2.slot && o1.wh == o2.wh &&
		    o1.price == o2.price);
		ok = dk_order_line_verify(&o1, &sg) == 0;
		FZ_ASSERT(ok == (dk_verify_record(v,
		    dk_registry_find(&reg, o2.participant)->pk, &e) == 0));
		if (n == 0 || o1.slot == fast[0].slot) {
			fast[n] = o1;
			slow[n++] = o2;
		} else
			json_decref(v);
	}
	if (n > 0)
		clear_both(fast, slow, n);
	for (i = 0; i < n; i++)
		json_decref(slow[i].rec);
	return 0;
}
