/*
 * statement.c: denki-statement's words and tables: a member's statement
 * or the community's for a period, from a report of that period, as text
 * for the terminal and mail, CSV (RFC 4180) for spreadsheets, JSON lines.
 */
#include <stdio.h>
#include <string.h>

#include "settle.h"

/* A month or a date: YYYY-MM or YYYY-MM-DD, a real one. */
static int
pdate(const char *s, size_t n)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
		30, 31 };
	int y, m, d;
	size_t i;

	if (n != 7 && n != 10)
		return -1;
	for (i = 0; i < n; i++)
		if ((i == 4 || i == 7) ? s[i] != '-' : (s[i] < '0' ||
		    s[i] > '9'))
			return -1;
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 +
	    s[3] - '0';
	m = (s[5] - '0') * 10 + s[6] - '0';
	if (y < 1970 || m < 1 || m > 12)
		return -1;
	if (n == 7)
		return 0;
	d = (s[8] - '0') * 10 + s[9] - '0';
	if (d < 1 || d > mdays[m - 1] || (m == 2 && d == 29 &&
	    !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
		return -1;
	return 0;
}

/*
 * -P: a month or a day (2016-07, 2016-07-05), or FROM..TO of those,
 * both included; from and to as dk_report_period takes them.
 */
int
dk_stmt_period(const char *arg, char from[11], char to[11], struct dk_err *e)
{
	const char *dots = strstr(arg, "..");
	size_t nf = dots ? (size_t)(dots - arg) : strlen(arg);
	const char *t = dots ? dots + 2 : arg;

	if (pdate(arg, nf) < 0 || pdate(t, strlen(t)) < 0)
		return dk_fail(e, DK_EX_USAGE, "period: must be a month or a "
		    "day (2016-07, 2016-07-05) or FROM..TO of those, got "
		    "\"%.40s\"", arg);
	snprintf(from, 11, "%.*s", (int)nf, arg);
	snprintf(to, 11, "%s", t);
	if (strncmp(from, to, strlen(from) < strlen(to) ? strlen(from) :
	    strlen(to)) > 0)
		return dk_fail(e, DK_EX_USAGE, "period: %s comes after %s",
		    from, to);
	return 0;
}

/* The reasons of transfers that denki-formats(5) names, for people; any
 * other is shown by its name. */
const char *
dk_stmt_reason(const char *reason)
{
	static const char *const label[][2] = {
		{ "p2p", "energy between members, at the contract price" },
		{ "fee", "the cooperative's fee per kWh" },
		{ "fee_pct", "the cooperative's fee on the trade's value" },
		{ "wheeling", "wheeling, to the grid operator" },
		{ "rent", "congestion rent, to the cooperative" },
		{ "surplus", "surplus bought by the utility" },
		{ "shortfall", "shortfall sold by the utility" },
		{ "tolerance", "deviation within the tolerance band" },
		{ "tax", "consumption tax on the cooperative's fees" },
		{ "membership", "the monthly membership fee" },
		{ "trueup", "true-up of a provisional settlement" },
		{ "dispute", "compensation decided in a dispute" },
	};
	size_t i;

	for (i = 0; i < sizeof(label) / sizeof(label[0]); i++)
		if (strcmp(label[i][0], reason) == 0)
			return label[i][1];
	return reason;
}

static void
kwh(int64_t wh, char *out, size_t n)
{
	snprintf(out, n, "%s%lld.%03lld", wh < 0 ? "-" : "",
	    (long long)((wh < 0 ? -wh : wh) / 1000),
	    (long long)((wh < 0 ? -wh : wh) % 1000));
}

/* A share as a percentage with one decimal, or "-" when den is 0. */
static void
pct(int64_t num, int64_t den, char *out, size_t n)
{
	int64_t q;

	if (den == 0 || dk_muldiv(num, 1000, den, &q) < 0)
		snprintf(out, n, "-");
	else
		snprintf(out, n, "%lld.%lld%%", (long long)(q / 10),
		    (long long)(q % 10));
}

/* A price in micro-units per kWh, as units with four decimals. */
static void
price(int64_t micro, char *out, size_t n)
{
	int64_t q = 0;

	dk_muldiv(micro, 1, 100, &q);
	snprintf(out, n, "%lld.%04lld", (long long)(q / 10000),
	    (long long)(q % 10000));
}

/*
 * The community's figures (denki-statement(1), COMMUNITY), as text: the
 * same strings in the text, the CSV and the page.
 */
void
dk_stmt_figures(const struct dk_stmt *s, struct dk_stmt_fig *f)
{
	static const char *const name[DK_STMT_FIGS][2] = {
		{ "self_sufficiency", "self-sufficiency" },
		{ "p2p_share", "P2P share of consumption" },
		{ "matching_rate", "matching rate" },
		{ "avg_p2p_price", "average P2P price a kWh" },
		{ "retail", "retail price a kWh" },
		{ "buyback", "buyback price a kWh" },
		{ "co2_avoided_kg", "CO2 avoided, kg" },
	};
	const struct dk_report *r = s->r;
	int64_t g;
	int i;

	for (i = 0; i < DK_STMT_FIGS; i++) {
		f[i].name = name[i][0];
		f[i].label = name[i][1];
		snprintf(f[i].v, sizeof(f[i].v), "-");
	}
	pct(r->local_wh, r->all.imp, f[0].v, sizeof(f[0].v));
	pct(r->all.bought, r->all.imp, f[1].v, sizeof(f[1].v));
	pct(r->matched, r->matchable, f[2].v, sizeof(f[2].v));
	if (r->matched > 0)
		price(r->avg, f[3].v, sizeof(f[3].v));
	price(r->rules.retail, f[4].v, sizeof(f[4].v));
	price(r->rules.buyback, f[5].v, sizeof(f[5].v));
	/* g/kWh x Wh / 1000 = g, shown as kg with three decimals */
	if (s->ef >= 0 && dk_muldiv(r->local_wh, s->ef, 1000, &g) == 0)
		kwh(g, f[6].v, sizeof(f[6].v));
}

/* The figures shown: the member's (none in the period: all zero), or
 * the community's. */
const struct dk_member *
dk_stmt_member(const struct dk_stmt *s)
{
	static const struct dk_member none;

	return s->m != NULL ? s->m : s->id != NULL ? &none : &s->r->all;
}

/* A member's transfers summed: what it paid and received (for the
 * community's, every amount in paid). */
static void
flowsum(const struct dk_member *m, int64_t *paid, int64_t *received)
{
	size_t i;

	*paid = *received = 0;
	for (i = 0; i < m->nf; i++) {
		*paid += m->f[i].paid;
		*received += m->f[i].received;
	}
}

/* ---- text ---- */

/* What a dk_sday is: "day", or "slot" in a period of one day. */
const char *
dk_stmt_unit(const struct dk_stmt *s)
{
	return s->r->bucket > 10 ? "slot" : "day";
}

static void
text_days(FILE *fp, const struct dk_stmt *s, const struct dk_member *m,
    const char *cur)
{
	char a[24], b[24], c[24], d[24], n[24], w[24], v[24];
	int wd = s->r->bucket;
	size_t i;

	fprintf(fp, "\nEach %s (kWh; money in %s)\n%-*s %9s %9s %9s %9s "
	    "%10s %10s %9s\n", dk_stmt_unit(s), cur, wd, wd == 10 ? "date" : "slot", "sold P2P", "to grid",
	    "bought P2P", "from grid", "with P2P", "without", "saved");
	for (i = 0; i < m->nd; i++) {
		const struct dk_sday *x = &m->d[i];

		kwh(x->sold, a, sizeof(a));
		kwh(x->gout, b, sizeof(b));
		kwh(x->bought, c, sizeof(c));
		kwh(x->gin, d, sizeof(d));
		dk_money_str(x->net, n, sizeof(n));
		dk_money_str(x->baseline, w, sizeof(w));
		dk_money_str(x->net - x->baseline, v, sizeof(v));
		fprintf(fp, "%-*s %9s %9s %9s %9s %10s %10s %9s\n", wd,
		    x->date, a, b, c, d, n, w, v);
	}
}

static void
text_flows(FILE *fp, const struct dk_stmt *s)
{
	const struct dk_member *m = dk_stmt_member(s);
	char a[24], b[24];
	size_t i;

	if (m->nf == 0)
		return;
	if (s->id != NULL)
		fprintf(fp, "\nWho paid whom (%s)\n%-12s %-12s %12s %12s %5s  "
		    "%s\n", s->r->rules.currency, "counterparty", "reason",
		    "paid", "received", "count", "");
	else
		fprintf(fp, "\nMoney moved, by reason (%s)\n%-12s %12s %5s  "
		    "%s\n", s->r->rules.currency, "reason", "amount", "count",
		    "");
	for (i = 0; i < m->nf; i++) {
		const struct dk_sflow *f = &m->f[i];

		dk_money_str(f->paid, a, sizeof(a));
		dk_money_str(f->received, b, sizeof(b));
		if (s->id != NULL)
			fprintf(fp, "%-12s %-12s %12s %12s %5lld  %s\n",
			    f->party, f->reason, a, b, f->n,
			    dk_stmt_reason(f->reason));
		else
			fprintf(fp, "%-12s %12s %5lld  %s\n", f->reason, a,
			    f->n, dk_stmt_reason(f->reason));
	}
}

int
dk_stmt_text(FILE *fp, const struct dk_stmt *s)
{
	const struct dk_report *r = s->r;
	const struct dk_member *m = dk_stmt_member(s);
	const char *cur = r->rules.currency;
	char a[24], b[24], c[24], d[24];
	struct dk_stmt_fig f[DK_STMT_FIGS];
	int64_t p, q;
	int i;

	if (s->m != NULL || s->id != NULL)
		fprintf(fp, "Statement of %s for %s\n", s->id, s->period);
	else
		fprintf(fp, "Statement of the community for %s\n", s->period);
	fprintf(fp, "ledger %s, %s\n", s->ledger, s->checked ?
	    "its checkpoints checked against the operator's key" :
	    "NOT checked against the operator's key (no -p)");
	if (r->cp_size > 0)
		fprintf(fp, "checkpoint %s, %lld entries, root %s\n",
		    r->cp_origin, r->cp_size, r->cp_root);
	if (m->slots == 0) {
		fprintf(fp, "\nNo trades in %s: %s no settled slot in the "
		    "period.\n", s->period, s->id ? "this member has" :
		    "the ledger has");
		text_flows(fp, s);
		return ferror(fp) ? -1 : 0;
	}
	if (s->id != NULL)
		fprintf(fp, "slots settled  %lld, %s .. %s\n", m->slots,
		    m->d[0].date, m->d[m->nd - 1].date);
	else
		fprintf(fp, "slots settled  %zu (%lld of members), %s .. %s\n",
		    json_object_size(r->cslots), m->slots, m->d[0].date,
		    m->d[m->nd - 1].date);
	fputs("\nEnergy (kWh)\n", fp);
	kwh(m->sold, a, sizeof(a));
	kwh(m->gout, b, sizeof(b));
	fprintf(fp, "  sold         %s to members, %s to the grid\n", a, b);
	kwh(m->bought, a, sizeof(a));
	kwh(m->gin, b, sizeof(b));
	fprintf(fp, "  bought       %s from members, %s from the grid\n", a,
	    b);
	kwh(m->exp, a, sizeof(a));
	kwh(m->imp, b, sizeof(b));
	fprintf(fp, "  metered      %s out, %s in\n", a, b);
	dk_money_str(m->net, a, sizeof(a));
	dk_money_str(m->baseline, b, sizeof(b));
	dk_money_str(m->net - m->baseline, c, sizeof(c));
	fprintf(fp, "\nMoney (%s; received less paid)\n  with P2P     %s\n"
	    "  without P2P  %s (the same meters, the utility's tariffs)\n"
	    "  saved        %s\n", cur, a, b, c);
	if (m->comp != 0) {
		dk_money_str(m->comp, a, sizeof(a));
		fprintf(fp, "  disputes     %s (compensation decided in "
		    "disputes, in with P2P)\n", a);
	}
	/* transfers no slot's settlement holds (a month's fee) */
	flowsum(m, &p, &q);
	if (s->id != NULL && q - p != m->net) {
		dk_money_str(q - p - m->net, a, sizeof(a));
		dk_money_str(q - p, b, sizeof(b));
		fprintf(fp, "  other        %s (transfers beside the slots' "
		    "settlements, below)\n  in all       %s\n", a, b);
	}
	if (s->id == NULL) {
		dk_stmt_figures(s, f);
		kwh(r->local_wh, d, sizeof(d));
		fprintf(fp, "\nCommunity (%s kWh of the members' consumption "
		    "met by members' generation)\n", d);
		for (i = 0; i < DK_STMT_FIGS; i++)
			fprintf(fp, "  %-26s %s\n", f[i].label, f[i].v);
		if (s->ef < 0)
			fprintf(fp, "  (no emission_factor in the configuration: "
			    "no CO2 figure)\n");
	}
	text_days(fp, s, m, cur);
	text_flows(fp, s);
	return ferror(fp) ? -1 : 0;
}

/* ---- CSV ---- */

/* RFC 4180: a field in quotes when it holds a comma, quote or line
 * break, its quotes doubled. */
static void
csvf(FILE *fp, const char *v, int last)
{
	if (strpbrk(v, ",\"\r\n") != NULL) {
		fputc('"', fp);
		for (; *v; v++) {
			if (*v == '"')
				fputc('"', fp);
			fputc(*v, fp);
		}
		fputc('"', fp);
	} else
		fputs(v, fp);
	fputs(last ? "\r\n" : ",", fp);
}

static void
csv_day(FILE *fp, const char *rec, const char *date, const struct dk_sday *x,
    const int64_t *pr)
{
	char v[24];
	int i;

	csvf(fp, rec, 0);
	csvf(fp, date, 0);
	csvf(fp, "", 0);
	csvf(fp, "", 0);
	csvf(fp, "", 0);
	snprintf(v, sizeof(v), "%lld", x->slots);
	csvf(fp, v, 0);
	kwh(x->exp, v, sizeof(v)), csvf(fp, v, 0);
	kwh(x->imp, v, sizeof(v)), csvf(fp, v, 0);
	kwh(x->sold, v, sizeof(v)), csvf(fp, v, 0);
	kwh(x->gout, v, sizeof(v)), csvf(fp, v, 0);
	kwh(x->bought, v, sizeof(v)), csvf(fp, v, 0);
	kwh(x->gin, v, sizeof(v)), csvf(fp, v, 0);
	for (i = 0; i < 2; i++) {
		if (pr != NULL)
			dk_money_str(pr[i], v, sizeof(v));
		csvf(fp, pr != NULL ? v : "", 0);
	}
	dk_money_str(x->net, v, sizeof(v)), csvf(fp, v, 0);
	dk_money_str(x->baseline, v, sizeof(v)), csvf(fp, v, 0);
	dk_money_str(x->net - x->baseline, v, sizeof(v)), csvf(fp, v, 0);
	csvf(fp, "", 1);
}

static void
csv_fig(FILE *fp, const char *name, const char *label, const char *v)
{
	int i;

	csvf(fp, "figure", 0);
	csvf(fp, "", 0);
	csvf(fp, "", 0);
	csvf(fp, name, 0);
	csvf(fp, label, 0);
	for (i = 0; i < 12; i++)
		csvf(fp, "", 0);
	csvf(fp, v, 1);
}

/*
 * One table, the same columns on every row: a row a day, the total, a row
 * for each flow of money (who paid whom), and for the community its
 * figures; money in units with two decimals, energy in kWh.
 */
int
dk_stmt_csv(FILE *fp, const struct dk_stmt *s)
{
	const struct dk_member *m = dk_stmt_member(s);
	struct dk_sday tot;
	struct dk_stmt_fig f[DK_STMT_FIGS];
	int64_t pr[2];
	char v[24];
	size_t i;
	int j;

	fputs("record,date,counterparty,reason,label,slots,export_kwh,"
	    "import_kwh,sold_p2p_kwh,sold_grid_kwh,bought_p2p_kwh,"
	    "bought_grid_kwh,paid,received,net,without_p2p,saved,value\r\n",
	    fp);
	for (i = 0; i < m->nd; i++)
		csv_day(fp, dk_stmt_unit(s), m->d[i].date, &m->d[i], NULL);
	memset(&tot, 0, sizeof(tot));
	tot.slots = m->slots;
	tot.exp = m->exp, tot.imp = m->imp, tot.sold = m->sold;
	tot.bought = m->bought, tot.gout = m->gout, tot.gin = m->gin;
	tot.net = m->net, tot.baseline = m->baseline;
	flowsum(m, &pr[0], &pr[1]);
	csv_day(fp, "total", s->period, &tot, pr);
	for (i = 0; i < m->nf; i++) {
		const struct dk_sflow *x = &m->f[i];
		int k;

		csvf(fp, "transfer", 0);
		csvf(fp, "", 0);
		csvf(fp, x->party, 0);
		csvf(fp, x->reason, 0);
		csvf(fp, dk_stmt_reason(x->reason), 0);
		snprintf(v, sizeof(v), "%lld", x->n);
		csvf(fp, v, 0);
		for (k = 0; k < 6; k++)
			csvf(fp, "", 0);
		dk_money_str(x->paid, v, sizeof(v)), csvf(fp, v, 0);
		dk_money_str(x->received, v, sizeof(v)), csvf(fp, v, 0);
		for (k = 0; k < 3; k++)
			csvf(fp, "", 0);
		csvf(fp, "", 1);
	}
	if (s->id == NULL) {
		dk_stmt_figures(s, f);
		for (j = 0; j < DK_STMT_FIGS; j++)
			csv_fig(fp, f[j].name, f[j].label, f[j].v);
	}
	return ferror(fp) ? -1 : 0;
}

/* ---- JSON lines ---- */

static json_t *
jday(const char *type, const struct dk_sday *x)
{
	return json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I}", "type", type, "v", 1, "date", x->date,
	    "slots", (json_int_t)x->slots, "export_wh", (json_int_t)x->exp,
	    "import_wh", (json_int_t)x->imp, "sold_wh", (json_int_t)x->sold,
	    "bought_wh", (json_int_t)x->bought,
	    "sold_grid_wh", (json_int_t)x->gout,
	    "bought_grid_wh", (json_int_t)x->gin, "net", (json_int_t)x->net,
	    "baseline", (json_int_t)x->baseline,
	    "saving", (json_int_t)(x->net - x->baseline));
}

static int
emit(FILE *fp, json_t *x)
{
	int rc;

	if (x == NULL)
		return -1;
	rc = dk_emit(fp, x);
	json_decref(x);
	return rc;
}

/*
 * The statement record (report's, with the period and the grid's share),
 * then a day record a day and a flow record a flow; the community's adds
 * its figures.
 */
int
dk_stmt_json(FILE *fp, const struct dk_stmt *s)
{
	const struct dk_report *r = s->r;
	const struct dk_member *m = dk_stmt_member(s);
	json_t *x;
	size_t i;

	if (s->m != NULL || s->id != NULL) {
		x = s->m ? dk_report_statement_json(s->m) : json_pack(
		    "{s:s,s:i,s:s,s:i,s:i,s:i,s:i,s:i,s:i,s:i,s:i}", "type",
		    "statement", "v", 1, "participant", s->id, "slots", 0,
		    "export_wh", 0, "import_wh", 0, "sold_wh", 0,
		    "bought_wh", 0, "net", 0, "baseline", 0, "saving", 0);
	} else {
		x = json_pack("{s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
		    "s:I,s:I,s:o,s:I,s:I,s:s,s:o}", "type", "community", "v",
		    1, "slots", (json_int_t)m->slots,
		    "export_wh", (json_int_t)m->exp,
		    "import_wh", (json_int_t)m->imp,
		    "sold_wh", (json_int_t)m->sold,
		    "bought_wh", (json_int_t)m->bought,
		    "local_wh", (json_int_t)r->local_wh,
		    "matchable_wh", (json_int_t)r->matchable,
		    "matched_wh", (json_int_t)r->matched,
		    "net", (json_int_t)m->net,
		    "baseline", (json_int_t)m->baseline,
		    "saving", (json_int_t)(m->net - m->baseline),
		    "avg_price", r->matched ? json_integer(r->avg) :
		    json_null(), "retail", (json_int_t)r->rules.retail,
		    "buyback", (json_int_t)r->rules.buyback,
		    "currency", r->rules.currency,
		    "co2_avoided_g", json_null());
		if (x != NULL && s->ef >= 0) {
			int64_t g;

			if (dk_muldiv(r->local_wh, s->ef, 1000, &g) == 0)
				json_object_set_new(x, "co2_avoided_g",
				    json_integer(g));
		}
	}
	if (x != NULL && r->cp_size > 0)
		json_object_set_new(x, "checkpoint", json_pack("{s:s,s:I,s:s}",
		    "origin", r->cp_origin, "size", (json_int_t)r->cp_size,
		    "root", r->cp_root));
	if (x != NULL) {
		json_object_set_new(x, "from", json_string(r->from));
		json_object_set_new(x, "to", json_string(r->to));
		json_object_set_new(x, "sold_grid_wh", json_integer(m->gout));
		json_object_set_new(x, "bought_grid_wh", json_integer(m->gin));
	}
	if (emit(fp, x) < 0)
		return -1;
	for (i = 0; i < m->nd; i++)
		if (emit(fp, jday(dk_stmt_unit(s), &m->d[i])) < 0)
			return -1;
	for (i = 0; i < m->nf; i++)
		if (emit(fp, json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I}", "type",
		    "flow", "v", 1, "counterparty", m->f[i].party, "reason",
		    m->f[i].reason, "paid", (json_int_t)m->f[i].paid,
		    "received", (json_int_t)m->f[i].received,
		    "transfers", (json_int_t)m->f[i].n)) < 0)
			return -1;
	return 0;
}
