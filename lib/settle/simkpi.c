/*
 * simkpi.c: denki-simulate's figures of a run, from its ledger alone (the
 * report's reading, as denki-report and denki-statement make it): a
 * record, a table of scenarios side by side, and a page with charts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settle.h"

/* The run's period, its first day to its last. */
static void
period(const struct dk_sim *S, char from[11], char to[11])
{
	const struct dk_scen *sc = S->sc;
	time_t t;
	struct tm tm;

	snprintf(from, 11, "%s", sc->start);
	/* the days are of 24 hours from the first midnight: past a change
	 * to summer time the last one ends in the hour after its date (one
	 * day alone keeps its slots apart, as the statements show a day) */
	t = (time_t)(sc->day0 + sc->days - (sc->days > 1 ? 0 : 1)) * 86400;
	gmtime_r(&t, &tm);
	strftime(to, 11, "%Y-%m-%d", &tm);
}

/*
 * What the run's steps appended to its ledger since the last call (at
 * the first, from the first entry), read into S->rep as the report
 * reads a ledger (dk_report_period: each entry chained and hashed into
 * the tree the checkpoints sign, the last one's signature checked): a
 * step's entries while they are still in memory, not the whole ledger
 * again at the end.
 */
int
dk_sim_follow(struct dk_sim *S, struct dk_err *e)
{
	char lp[4096], pp[4096], from[11], to[11];

	if (!S->following) {
		snprintf(pp, sizeof(pp), "%s/operator.pub", S->dir);
		if (dk_key_read_pub(&S->op, pp, e) < 0)
			return -1;
		S->following = 1;
		period(S, from, to);
		/* the figures and charts read no transfer */
		if (dk_report_begin(&S->rep, from, to, DK_REPORT_DETAIL |
		    DK_REPORT_NOFLOWS, e) < 0)
			return -1;
		dk_follow_init(&S->fol, dk_report_types(&S->rep));
	}
	snprintf(lp, sizeof(lp), "%s/ledger.jsonl", S->dir);
	return dk_follow(&S->fol, lp, S->op.pk, dk_report_entry, &S->rep, e);
}

void
dk_sim_free(struct dk_sim *S)
{
	if (!S->following)
		return;
	dk_report_free(&S->rep);
	dk_scaninfo_free(&S->fol.si);
	dk_key_free(&S->op);
	S->following = 0;
}

/* The run's ledger read into r (with each day; as the steps read it,
 * dk_sim_follow) and the figures of k; S's reading is r's now. */
int
dk_sim_kpi(struct dk_sim_kpi *k, struct dk_sim *S, struct dk_report *r,
    struct dk_err *e)
{
	const struct dk_scen *sc = S->sc;
	char lp[4096];
	struct dk_stmt_fig f[DK_STMT_FIGS];
	struct dk_stmt st;
	int rc, i;

	memset(k, 0, sizeof(*k));
	memset(r, 0, sizeof(*r));
	snprintf(lp, sizeof(lp), "%s/ledger.jsonl", S->dir);
	/* a run has read each step's entries (dk_sim_run); else all now */
	if (!S->following && dk_sim_follow(S, e) < 0)
		return -1;
	rc = dk_follow_end(&S->fol, lp, e);
	*r = S->rep;
	memset(&S->rep, 0, sizeof(S->rep));
	dk_key_free(&S->op);
	S->following = 0;
	if (rc < 0 || dk_report_end(r, e) < 0)
		return -1;
	snprintf(k->name, sizeof(k->name), "%s", sc->name);
	snprintf(k->currency, sizeof(k->currency), "%s", r->rules.currency);
	k->homes = (long long)sc->nh;
	k->days = sc->days;
	k->slots = r->all.slots;
	k->orders = r->orders;
	k->contracts = r->contracts;
	k->imp = r->all.imp;
	k->exp = r->all.exp;
	k->local = r->local_wh;
	k->bought = r->all.bought;
	k->sold = r->all.sold;
	k->matched = r->matched;
	k->matchable = r->matchable;
	k->net = r->all.net;
	k->baseline = r->all.baseline;
	k->gin = r->all.gin;
	k->gout = r->all.gout;
	/* signed: each reading by its meter, each order by its home, each
	 * request by its member; checked: each order by clear and again by
	 * contract-sign, each reading by settle, each request by registry */
	k->signs = S->readings + S->orders + k->homes;
	k->verifies = 2 * S->orders + S->settled + k->homes;
	k->ms = S->ms;
	/* the shares as the community's statement shows them */
	memset(&st, 0, sizeof(st));
	st.r = r;
	st.ef = -1;
	dk_stmt_figures(&st, f);
	for (i = 0; i < 3; i++)
		snprintf(k->pct[i], sizeof(k->pct[i]), "%s", f[i].v);
	return 0;
}

/* num / den in basis points, rounded to the nearest (dk_muldiv); null
 * without a den. */
static json_t *
bp(int64_t num, int64_t den)
{
	int64_t q;

	if (den == 0 || dk_muldiv(num, 10000, den, &q) < 0)
		return json_null();
	return json_integer(q);
}

json_t *
dk_sim_kpi_json(const struct dk_sim_kpi *k)
{
	return json_pack("{s:s,s:i,s:s,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,"
	    "s:I,s:I,s:I,s:I,s:o,s:o,s:o,s:s,s:I,s:I,s:I,s:I,s:I,s:I}",
	    "type", "simulation", "v", 1, "scenario", k->name,
	    "homes", (json_int_t)k->homes, "days", (json_int_t)k->days,
	    "member_slots", (json_int_t)k->slots,
	    "orders", (json_int_t)k->orders,
	    "contracts", (json_int_t)k->contracts,
	    "import_wh", (json_int_t)k->imp, "export_wh", (json_int_t)k->exp,
	    "local_wh", (json_int_t)k->local,
	    "bought_wh", (json_int_t)k->bought, "sold_wh", (json_int_t)k->sold,
	    "matched_wh", (json_int_t)k->matched,
	    "matchable_wh", (json_int_t)k->matchable,
	    "imbalance_wh", (json_int_t)(k->gin + k->gout),
	    "self_sufficiency_bp", bp(k->local, k->imp),
	    "p2p_share_bp", bp(k->bought, k->imp),
	    "matching_rate_bp", bp(k->matched, k->matchable),
	    "currency", k->currency,
	    "net", (json_int_t)k->net,
	    "baseline", (json_int_t)k->baseline,
	    "saving", (json_int_t)(k->net - k->baseline),
	    "signed", (json_int_t)k->signs, "checked", (json_int_t)k->verifies,
	    "ms", (json_int_t)k->ms);
}

static void
kwh(int64_t wh, char *out, size_t n)
{
	snprintf(out, n, "%s%lld.%03lld", wh < 0 ? "-" : "",
	    (long long)((wh < 0 ? -wh : wh) / 1000),
	    (long long)((wh < 0 ? -wh : wh) % 1000));
}

#define NFIG	12

/* Figure i of k, for people: its label and its value. */
static const char *
fig(const struct dk_sim_kpi *k, int i, char *v, size_t n, const char **name)
{
	static const char *const names[NFIG] = { "homes", "days",
		"self_sufficiency", "p2p_share", "matching_rate",
		"imbalance_wh", "bought_wh", "import_wh", "net", "baseline",
		"saving", "signatures" };
	static const char *const label[NFIG] = { "homes", "days",
		"self-sufficiency", "P2P share of consumption",
		"matching rate", "imbalance volume, kWh",
		"bought from members, kWh", "metered import, kWh",
		"net with P2P", "net without P2P", "saving",
		"signatures made, checked" };

	if (name != NULL)
		*name = names[i];
	switch (i) {
	case 0: snprintf(v, n, "%lld", k->homes); break;
	case 1: snprintf(v, n, "%lld", k->days); break;
	case 2: case 3: case 4: snprintf(v, n, "%s", k->pct[i - 2]); break;
	case 5: kwh(k->gin + k->gout, v, n); break;
	case 6: kwh(k->bought, v, n); break;
	case 7: kwh(k->imp, v, n); break;
	case 8: dk_money_str(k->net, v, n); break;
	case 9: dk_money_str(k->baseline, v, n); break;
	case 10: dk_money_str(k->net - k->baseline, v, n); break;
	default: snprintf(v, n, "%lld, %lld", k->signs, k->verifies);
	}
	return label[i];
}

/* The scenarios side by side, a figure a row. */
int
dk_sim_text(FILE *fp, const struct dk_sim_kpi *k, size_t n)
{
	char v[64];
	const char *l;
	size_t j;
	int i;

	fprintf(fp, "%-34s", "scenario");
	for (j = 0; j < n; j++)
		fprintf(fp, " %18s", k[j].name);
	fputc('\n', fp);
	for (i = 0; i < NFIG; i++) {
		l = fig(&k[0], i, v, sizeof(v), NULL);
		if (i >= 8 && i <= 10)
			fprintf(fp, "%s, %-*s", l, (int)(32 - strlen(l)),
			    k[0].currency);
		else
			fprintf(fp, "%-34s", l);
		for (j = 0; j < n; j++) {
			fig(&k[j], i, v, sizeof(v), NULL);
			fprintf(fp, " %18s", v);
		}
		fputc('\n', fp);
	}
	return ferror(fp) ? -1 : 0;
}

/* One page: the figures side by side, then each scenario's charts (the
 * community statement's, from each run's ledger). */
int
dk_sim_html(FILE *fp, const struct dk_sim_kpi *k, struct dk_report *r,
    size_t n)
{
	struct dk_stmt s;
	char v[64], idp[80];
	const char *l, *name;
	size_t j;
	int i;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "\n<title>denki simulate: ", fp);
	for (j = 0; j < n; j++) {
		fputs(j ? " and " : "", fp);
		dk_xml_text(fp, k[j].name);
	}
	fprintf(fp, "</title>\n<style>\n%s</style></head>\n<body>\n"
	    "<h1>Simulated seasons</h1>\n<p class=\"source\">Each scenario run "
	    "through the real programs into its own ledger; the figures are "
	    "read from the ledgers. Money in %s.</p>\n<table id=\"kpi\">"
	    "<thead><tr><th>scenario</th>", dk_stmt_css(), k[0].currency);
	for (j = 0; j < n; j++) {
		fputs("<th>", fp);
		dk_xml_text(fp, k[j].name);
		fputs("</th>", fp);
	}
	fputs("</tr></thead><tbody>\n", fp);
	for (i = 0; i < NFIG; i++) {
		l = fig(&k[0], i, v, sizeof(v), &name);
		fprintf(fp, "<tr data-row=\"%s\"><th>%s</th>", name, l);
		for (j = 0; j < n; j++) {
			fig(&k[j], i, v, sizeof(v), NULL);
			fprintf(fp, "<td data-col=\"s%zu\">%s</td>", j + 1, v);
		}
		fputs("</tr>\n", fp);
	}
	fputs("</tbody></table>\n", fp);
	for (j = 0; j < n; j++) {
		memset(&s, 0, sizeof(s));
		s.r = &r[j];
		s.period = k[j].name;
		s.ledger = "";
		s.checked = 1;
		s.ef = -1;
		fputs("<h2>", fp);
		dk_xml_text(fp, k[j].name);
		fputs("</h2>\n", fp);
		snprintf(idp, sizeof(idp), "s%zu-", j + 1);
		dk_stmt_charts(fp, &s, idp);
	}
	fputs("</body></html>\n", fp);
	return ferror(fp) ? -1 : 0;
}
