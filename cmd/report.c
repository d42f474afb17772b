/* denki-report: what each member earned and saved; community figures. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"

static const char *prog = "denki-report";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-report [-H] [-p operator.pub] [ledger]\n");
	exit(code);
}

struct member {
	char id[DK_ID_MAX + 1];
	long long slots;
	int64_t exp, imp, sold, bought, net, baseline;
};

struct rep {
	struct dk_rules rules;
	int have_rules;
	struct member *m;
	size_t nm;
	long long entries, orders, slots, settled, contracts;
	int64_t sell_wh, buy_wh, matchable, matched, value;
	char first[40], last[40];
	json_t *prices;		/* slot -> [retail, buyback] when cleared */
};

static struct member *
member(struct rep *r, const char *id)
{
	struct member *nm;
	size_t i;

	for (i = 0; i < r->nm; i++)
		if (strcmp(r->m[i].id, id) == 0)
			return &r->m[i];
	if ((nm = realloc(r->m, (r->nm + 1) * sizeof(*r->m))) == NULL)
		return NULL;
	r->m = nm;
	memset(&r->m[r->nm], 0, sizeof(*r->m));
	snprintf(r->m[r->nm].id, sizeof(r->m[r->nm].id), "%s", id);
	return &r->m[r->nm++];
}

static long long
num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* Totals over the whole ledger grow with it; past what a record can carry
 * (2^53-1) the report is refused rather than wrong. */
static int
add(int64_t *sum, int64_t x, const char *who, const char *what,
    struct dk_err *e)
{
	if (dk_add(sum, x) < 0)
		return dk_fail(e, DK_EX_DATAERR, "%s%s%s: the ledger's total is "
		    "beyond +-(2^53-1)", who ? "participant " : "",
		    who ? who : "", what);
	return 0;
}

static int
entry(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct rep *r = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *slot = json_string_value(json_object_get(rec, "slot"));
	const char *id;
	struct member *m;
	int64_t net, retail, buyback, v;
	json_t *pr;

	(void)seq;
	(void)line;
	r->entries++;
	if (strcmp(type, "rules") == 0) {
		if (dk_rules_from_json(&r->rules, rec, e) < 0)
			return -1;
		r->have_rules = 1;
	} else if (strcmp(type, "order") == 0)
		r->orders++;
	else if (strcmp(type, "clearing") == 0) {
		if (dk_get_str(rec, "slot", e) == NULL)
			return -1;
		json_object_set_new(r->prices, slot, json_pack("[I,I]",
		    (json_int_t)r->rules.retail, (json_int_t)r->rules.buyback));
		r->slots++;
		if (add(&r->sell_wh, num(rec, "sell_wh"), NULL, "sell_wh",
		    e) < 0 ||
		    add(&r->buy_wh, num(rec, "buy_wh"), NULL, "buy_wh", e) < 0 ||
		    add(&r->matchable, num(rec, "sell_wh") <
		    num(rec, "buy_wh") ? num(rec, "sell_wh") :
		    num(rec, "buy_wh"), NULL, "matchable_wh", e) < 0 ||
		    add(&r->matched, num(rec, "wh"), NULL, "matched_wh", e) < 0)
			return -1;
	} else if (strcmp(type, "contract") == 0) {
		r->contracts++;
		if (dk_value(num(rec, "wh"), num(rec, "price"), &v) < 0)
			return dk_fail(e, DK_EX_DATAERR, "contract: value "
			    "beyond +-(2^53-1)");
		if (add(&r->value, v, NULL, "contract value", e) < 0)
			return -1;
	} else if (strcmp(type, "settlement") == 0 && r->have_rules) {
		/* the ledger's writers never leave these out; a malformed
		 * ledger is refused, whoever signed it */
		if ((id = dk_get_id(rec, "participant", e)) == NULL ||
		    dk_get_str(rec, "slot", e) == NULL)
			return -1;
		if ((m = member(r, id)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		if (r->first[0] == '\0' || strcmp(slot, r->first) < 0)
			snprintf(r->first, sizeof(r->first), "%s", slot);
		if (strcmp(slot, r->last) > 0)
			snprintf(r->last, sizeof(r->last), "%s", slot);
		m->slots++;
		if (add(&m->exp, num(rec, "export_wh"), id, ": export_wh",
		    e) < 0 ||
		    add(&m->imp, num(rec, "import_wh"), id, ": import_wh",
		    e) < 0 ||
		    add(&m->sold, num(rec, "sold_wh"), id, ": sold_wh", e) < 0 ||
		    add(&m->bought, num(rec, "bought_wh"), id, ": bought_wh",
		    e) < 0 ||
		    add(&m->net, num(rec, "net"), id, ": net", e) < 0)
			return -1;
		/* the tariffs in force when the slot was cleared */
		pr = json_object_get(r->prices, slot);
		retail = pr ? json_integer_value(json_array_get(pr, 0)) :
		    r->rules.retail;
		buyback = pr ? json_integer_value(json_array_get(pr, 1)) :
		    r->rules.buyback;
		net = num(rec, "export_wh") - num(rec, "import_wh");
		/* dk_value rounds symmetrically: -value(-net) = value(net) */
		if (dk_value(net, net > 0 ? buyback : retail, &v) < 0 ||
		    add(&m->baseline, v, id, ": baseline", e) < 0)
			return -1;
		v = m->net;
		if (add(&v, -m->baseline, id, ": saving", e) < 0)
			return -1;
	}
	return 0;
}

static void
kwh(long long wh, char *out, size_t n)
{
	snprintf(out, n, "%lld.%03lld", wh / 1000, (wh < 0 ? -wh : wh) % 1000);
}

/* A price in micro-units per kWh, as units per kWh with four decimals. */
static void
price(int64_t micro, char *out, size_t n)
{
	int64_t q = 0;

	dk_muldiv(micro, 1, 100, &q);	/* never beyond int64 */

	snprintf(out, n, "%lld.%04lld", (long long)(q / 10000),
	    (long long)(q % 10000));
}

static int
bycost(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->id,
	    ((const struct member *)b)->id);
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct dk_err e = { 0 };
	struct dk_key op;
	struct rep r;
	const char *pub = NULL, *path = "ledger.jsonl";
	char a[32], b[32], c3[32], d[32];
	int c, human = 0;
	size_t i;
	json_t *x;
	int64_t avg = 0;

	while ((c = getopt_long(argc, argv, "Hp:h", lo, NULL)) != -1)
		switch (c) {
		case 'H':
			human = 1;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("%s %s\n", prog, DK_VERSION);
			return 0;
		default:
			usage(DK_EX_USAGE);
		}
	if (argc - optind > 1)
		usage(DK_EX_USAGE);
	if (optind < argc)
		path = argv[optind];
	memset(&r, 0, sizeof(r));
	r.prices = json_object();
	if (dk_init(&e) < 0 || (pub != NULL &&
	    dk_key_read_pub(&op, pub, &e) < 0) ||
	    dk_ledger_scan(path, pub ? op.pk : NULL, entry, &r, &e) < 0) {
		dk_warnx(prog, "%s", e.msg);
		return e.status ? e.status : DK_EX_SOFTWARE;
	}
	if (r.nm > 1)
		qsort(r.m, r.nm, sizeof(*r.m), bycost);
	if (r.matched > 0)
		dk_muldiv(r.value, 1000, r.matched, &avg);	/* a price */
	if (!human) {
		x = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		    "s:o,s:I,s:I,s:s}", "type", "summary", "v", 1, "ledger",
		    path, "entries", (json_int_t)r.entries,
		    "orders", (json_int_t)r.orders,
		    "slots_cleared", (json_int_t)r.slots,
		    "contracts", (json_int_t)r.contracts,
		    "sell_wh", (json_int_t)r.sell_wh,
		    "buy_wh", (json_int_t)r.buy_wh,
		    "matchable_wh", (json_int_t)r.matchable,
		    "matched_wh", (json_int_t)r.matched,
		    "avg_price", r.matched ? json_integer(avg) : json_null(),
		    "retail", (json_int_t)r.rules.retail,
		    "buyback", (json_int_t)r.rules.buyback,
		    "currency", r.rules.currency);
		dk_emit(stdout, x);
		json_decref(x);
		for (i = 0; i < r.nm; i++) {
			x = json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,"
			    "s:I,s:I}", "type", "statement", "v", 1,
			    "participant", r.m[i].id,
			    "slots", (json_int_t)r.m[i].slots,
			    "export_wh", (json_int_t)r.m[i].exp,
			    "import_wh", (json_int_t)r.m[i].imp,
			    "sold_wh", (json_int_t)r.m[i].sold,
			    "bought_wh", (json_int_t)r.m[i].bought,
			    "net", (json_int_t)r.m[i].net,
			    "baseline", (json_int_t)r.m[i].baseline,
			    "saving", (json_int_t)(r.m[i].net -
			    r.m[i].baseline));
			dk_emit(stdout, x);
			json_decref(x);
		}
		return dk_finish_stdout(prog);
	}
	kwh(r.sell_wh, a, sizeof(a));
	kwh(r.buy_wh, b, sizeof(b));
	printf("ledger         %s: %lld entries, %lld slots cleared",
	    path, r.entries, r.slots);
	if (r.first[0] != '\0')
		printf(", settled %s .. %s", r.first, r.last);
	printf("\norders         %lld (%s kWh offered for sale, %s kWh "
	    "wanted)\n", r.orders, a, b);
	kwh(r.matched, a, sizeof(a));
	kwh(r.matchable, b, sizeof(b));
	/* matched < 2^53, so matched * 1000 < 2^63 */
	printf("matched        %s kWh in %lld contracts, of %s kWh that "
	    "could be matched (%lld.%lld%%)\n", a, r.contracts, b,
	    r.matchable ? (long long)(r.matched * 100 / r.matchable) : 0,
	    r.matchable ? (long long)(r.matched * 1000 / r.matchable % 10) :
	    0);
	price(avg, a, sizeof(a));
	price(r.rules.retail, b, sizeof(b));
	price(r.rules.buyback, c3, sizeof(c3));
	if (r.matched)
		printf("P2P price      %s %s/kWh on average (retail %s, "
		    "buyback %s)\n", a, r.rules.currency, b, c3);
	printf("\n%-12s %10s %10s %12s %12s %9s\n", "member", "kWh out",
	    "kWh in", "with P2P", "without", "saved");
	for (i = 0; i < r.nm; i++) {
		kwh(r.m[i].exp, a, sizeof(a));
		kwh(r.m[i].imp, b, sizeof(b));
		dk_money_str(r.m[i].net, c3, sizeof(c3));
		dk_money_str(r.m[i].baseline, d, sizeof(d));
		printf("%-12s %10s %10s %12s %12s", r.m[i].id, a, b, c3, d);
		dk_money_str(r.m[i].net - r.m[i].baseline, a, sizeof(a));
		printf(" %9s\n", a);
	}
	printf("(money in %s: what the member received, less what it paid; "
	    "\"without\" is the same meters with no P2P market)\n",
	    r.rules.currency);
	return dk_finish_stdout(prog);
}
