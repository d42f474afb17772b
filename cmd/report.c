/* denki-report: what each member earned and saved; community figures. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-report";
static const char usage[] =
    "usage: denki-report [-H] [-p operator.pub] [ledger]\n";

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

/* -H: settlement completion, a line a month and a day. */
static void
completion(const struct dk_report *r)
{
	json_t *a = dk_report_completion_json(r), *c;
	size_t i;
	long long bp;

	printf("\n%-12s %12s %11s %8s %11s %8s %7s\n", "completion",
	    "member-slots", "on readings", "share", "provisional",
	    "trued up", "pending");
	json_array_foreach(a, i, c) {
		bp = json_integer_value(json_object_get(c, "share_bp"));
		printf("%-12s %12lld %11lld %4lld.%02lld%% %11lld %8lld %7lld\n",
		    json_string_value(json_object_get(c, "period")),
		    (long long)json_integer_value(json_object_get(c,
		    "member_slots")),
		    (long long)json_integer_value(json_object_get(c,
		    "on_readings")), bp / 100, bp % 100,
		    (long long)json_integer_value(json_object_get(c,
		    "provisional")),
		    (long long)json_integer_value(json_object_get(c,
		    "trued_up")),
		    (long long)json_integer_value(json_object_get(c,
		    "pending")));
	}
	if (json_array_size(a) == 0)
		printf("(no slot settled)\n");
	json_decref(a);
}

/* -H: the figures as a table for people. */
static void
human(const struct dk_report *r, const char *path)
{
	char a[32], b[32], c3[32], d[32];
	size_t i;

	kwh(r->sell_wh, a, sizeof(a));
	kwh(r->buy_wh, b, sizeof(b));
	printf("ledger         %s: %lld entries, %lld slots cleared",
	    path, r->entries, r->slots);
	if (r->first[0] != '\0')
		printf(", settled %s .. %s", r->first, r->last);
	printf("\norders         %lld (%s kWh offered for sale, %s kWh "
	    "wanted)\n", r->orders, a, b);
	kwh(r->matched, a, sizeof(a));
	kwh(r->matchable, b, sizeof(b));
	/* matched < 2^53, so matched * 1000 < 2^63 */
	printf("matched        %s kWh in %lld contracts, of %s kWh that "
	    "could be matched (%lld.%lld%%)\n", a, r->contracts, b,
	    r->matchable ? (long long)(r->matched * 100 / r->matchable) : 0,
	    r->matchable ? (long long)(r->matched * 1000 / r->matchable %
	    10) : 0);
	price(r->avg, a, sizeof(a));
	price(r->rules.retail, b, sizeof(b));
	price(r->rules.buyback, c3, sizeof(c3));
	if (r->matched)
		printf("P2P price      %s %s/kWh on average (retail %s, "
		    "buyback %s)\n", a, r->rules.currency, b, c3);
	printf("\n%-12s %10s %10s %12s %12s %9s\n", "member", "kWh out",
	    "kWh in", "with P2P", "without", "saved");
	for (i = 0; i < r->nm; i++) {
		kwh(r->m[i].exp, a, sizeof(a));
		kwh(r->m[i].imp, b, sizeof(b));
		dk_money_str(r->m[i].net, c3, sizeof(c3));
		dk_money_str(r->m[i].baseline, d, sizeof(d));
		printf("%-12s %10s %10s %12s %12s", r->m[i].id, a, b, c3, d);
		dk_money_str(r->m[i].net - r->m[i].baseline, a, sizeof(a));
		printf(" %9s\n", a);
	}
	printf("(money in %s: what the member received, less what it paid; "
	    "\"without\" is the same meters with no P2P market)\n",
	    r->rules.currency);
	completion(r);
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_key op;
	struct dk_report r;
	const char *pub = NULL, *path = "ledger.jsonl";
	int c, table = 0;
	size_t i;
	json_t *x;

	dk_prog_init(&P, prog, usage, 0, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "Hp:")) != -1)
		switch (c) {
		case 'H':
			table = 1;
			break;
		case 'p':
			pub = optarg;
			break;
		}
	if (argc - optind > 1)
		dk_prog_usage(&P, DK_EX_USAGE);
	if (optind < argc)
		path = argv[optind];
	if (dk_init(&e) < 0 || (pub != NULL &&
	    dk_key_read_pub(&op, pub, &e) < 0) ||
	    dk_report_ledger(&r, path, pub ? op.pk : NULL, &e) < 0)
		return dk_prog_fail(&P, &e);

	if (table)
		human(&r, path);
	else {
		x = dk_report_summary_json(&r, path);
		dk_emit(stdout, x);
		json_decref(x);
		x = dk_report_completion_json(&r);
		for (i = 0; i < json_array_size(x); i++)
			dk_emit(stdout, json_array_get(x, i));
		json_decref(x);
		for (i = 0; i < r.nm; i++) {
			x = dk_report_statement_json(&r.m[i]);
			dk_emit(stdout, x);
			json_decref(x);
		}
	}
	dk_report_free(&r);
	return dk_finish_stdout(prog);
}
