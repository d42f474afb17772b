/*
 * html.c: denki-statement -f html: the statement as one HTML page with
 * its charts drawn here as inline SVG; no script, no fetch, printable.
 * Pixels are computed in integers, like the money they draw.
 */
#include <stdio.h>
#include <string.h>

#include "settle.h"

#define W	680	/* a chart's width and height, in px */
#define H	220
#define L	70	/* room for the axis' labels */
#define B	24
#define T	12

/* s with the five characters XML (and HTML) escapes escaped: the
 * statement's page and the bank's pain.001 file. */
void
dk_xml_text(FILE *fp, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		case '\'':
			fputs("&apos;", fp);
			break;
		default:
			fputc(*s, fp);
		}
}

static void
kwh(int64_t wh, char *out, size_t n)
{
	snprintf(out, n, "%s%lld.%03lld", wh < 0 ? "-" : "",
	    (long long)((wh < 0 ? -wh : wh) / 1000),
	    (long long)((wh < 0 ? -wh : wh) % 1000));
}

static void
amount(int64_t v, int money, char *out, size_t n)
{
	if (money)
		dk_money_str(v, out, n);
	else
		kwh(v, out, n);
}

/* y of v on a scale from lo (bottom) to hi (top), in px */
static long long
ypx(int64_t v, int64_t lo, int64_t hi)
{
	int64_t y = 0;

	dk_muldiv(hi - v, H - T - B, hi - lo, &y);
	return T + y;
}

struct series {
	const char *name, *cls;
	int64_t (*get)(const struct dk_sday *);
};

static int64_t g_sold(const struct dk_sday *x) { return x->sold; }
static int64_t g_gout(const struct dk_sday *x) { return x->gout; }
static int64_t g_bought(const struct dk_sday *x) { return x->bought; }
static int64_t g_gin(const struct dk_sday *x) { return x->gin; }
static int64_t g_net(const struct dk_sday *x) { return x->net; }
static int64_t g_base(const struct dk_sday *x) { return x->baseline; }

static void
frame(FILE *fp, const char *id, const char *title, int64_t lo, int64_t hi,
    int money, const char *unit)
{
	char a[32], b[32];

	amount(hi, money, a, sizeof(a));
	amount(lo, money, b, sizeof(b));
	fprintf(fp, "<figure><figcaption>%s (%s)</figcaption>\n"
	    "<svg id=\"%s\" class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\""
	    " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">"
	    "\n<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n"
	    "<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s"
	    "</text>\n<text class=\"tick\" x=\"%d\" y=\"%d\" text-anchor="
	    "\"end\">%s</text>\n", title, unit, id, W, H, W, H, L,
	    T, L, H - B, L - 4, T + 8, a, L - 4, H - B, b);
	if (lo < 0 && hi > 0)
		fprintf(fp, "<line class=\"zero\" x1=\"%d\" y1=\"%lld\" x2=\"%d\" "
		    "y2=\"%lld\"/>\n", L, ypx(0, lo, hi), W, ypx(0, lo, hi));
}

static void
legend(FILE *fp, const struct series *s, int ns)
{
	int k;

	fputs("<p class=\"legend\">", fp);
	for (k = 0; k < ns; k++)
		fprintf(fp, "<span class=\"key %s\"></span> %s ", s[k].cls,
		    s[k].name);
	fputs("</p></figure>\n", fp);
}

/* A day's label, 07-05, or a slot's, 10:30; at most 16 of them. */
static void
daylabel(FILE *fp, const struct dk_member *m, size_t i, long long x)
{
	size_t every = m->nd > 16 ? (m->nd + 15) / 16 : 1;

	if (i % every == 0)
		fprintf(fp, "<text class=\"tick\" x=\"%lld\" y=\"%d\" "
		    "text-anchor=\"middle\">%s</text>\n", x, H - 8,
		    m->d[i].date + (strlen(m->d[i].date) > 10 ? 11 : 5));
}

/* Grouped bars, a group a day, a bar a series; a bar has class "bar". */
static void
bars(FILE *fp, const char *id, const char *title, const struct dk_member *m,
    const struct series *s, int ns, int money, const char *unit)
{
	int64_t lo = 0, hi = 0, v;
	long long gw, bw, x, y0, y;
	char a[32];
	size_t i;
	int k;

	for (i = 0; i < m->nd; i++)
		for (k = 0; k < ns; k++) {
			v = s[k].get(&m->d[i]);
			lo = v < lo ? v : lo;
			hi = v > hi ? v : hi;
		}
	if (hi == lo)
		hi = lo + 1;
	frame(fp, id, title, lo, hi, money, unit);
	gw = (W - L - 8) / (long long)(m->nd ? m->nd : 1);
	bw = gw * 8 / 10 / ns;
	bw = bw < 1 ? 1 : bw > 28 ? 28 : bw;
	y0 = ypx(0, lo, hi);
	for (i = 0; i < m->nd; i++) {
		x = L + 4 + (long long)i * gw + (gw - ns * bw) / 2;
		for (k = 0; k < ns; k++) {
			v = s[k].get(&m->d[i]);
			y = ypx(v, lo, hi);
			amount(v, money, a, sizeof(a));
			fprintf(fp, "<rect class=\"bar %s\" x=\"%lld\" y=\"%lld\" "
			    "width=\"%lld\" height=\"%lld\"><title>%s %s: %s"
			    "</title></rect>\n", s[k].cls, x + k * bw,
			    y < y0 ? y : y0, bw, y < y0 ? y0 - y : y - y0,
			    m->d[i].date, s[k].name, a);
		}
		daylabel(fp, m, i, x + ns * bw / 2);
	}
	fputs("</svg>\n", fp);
	legend(fp, s, ns);
}

/* The saving summed day by day: a line through a point a day. */
static void
savings(FILE *fp, const char *id, const struct dk_member *m,
    const char *unit)
{
	static const struct series s[] = { { "saved so far", "save", NULL } };
	int64_t lo = 0, hi = 0, c = 0;
	long long gw, x;
	char a[32];
	size_t i;

	for (i = 0; i < m->nd; i++) {
		c += m->d[i].net - m->d[i].baseline;
		lo = c < lo ? c : lo;
		hi = c > hi ? c : hi;
	}
	if (hi == lo)
		hi = lo + 1;
	frame(fp, id, "The saving against the same meters without "
	    "P2P, summed", lo, hi, 1, unit);
	gw = (W - L - 8) / (long long)(m->nd ? m->nd : 1);
	fputs("<polyline class=\"line\" points=\"", fp);
	for (i = 0, c = 0; i < m->nd; i++) {
		c += m->d[i].net - m->d[i].baseline;
		fprintf(fp, "%s%lld,%lld", i ? " " : "", L + 4 +
		    (long long)i * gw + gw / 2, ypx(c, lo, hi));
	}
	fputs("\"/>\n", fp);
	for (i = 0, c = 0; i < m->nd; i++) {
		c += m->d[i].net - m->d[i].baseline;
		x = L + 4 + (long long)i * gw + gw / 2;
		dk_money_str(c, a, sizeof(a));
		fprintf(fp, "<circle class=\"point\" cx=\"%lld\" cy=\"%lld\" "
		    "r=\"3\"><title>%s: %s</title></circle>\n", x,
		    ypx(c, lo, hi), m->d[i].date, a);
		daylabel(fp, m, i, x);
	}
	fputs("</svg>\n", fp);
	legend(fp, s, 1);
}

static void
td(FILE *fp, const char *col, const char *v)
{
	fprintf(fp, "<td data-col=\"%s\">", col);
	dk_xml_text(fp, v);
	fputs("</td>", fp);
}

static void
dayrow(FILE *fp, const char *row, const char *date, const struct dk_sday *x)
{
	char v[32];

	fprintf(fp, "<tr data-row=\"%s\">", row);
	td(fp, "date", date);
	kwh(x->sold, v, sizeof(v)), td(fp, "sold_p2p_kwh", v);
	kwh(x->gout, v, sizeof(v)), td(fp, "sold_grid_kwh", v);
	kwh(x->bought, v, sizeof(v)), td(fp, "bought_p2p_kwh", v);
	kwh(x->gin, v, sizeof(v)), td(fp, "bought_grid_kwh", v);
	dk_money_str(x->net, v, sizeof(v)), td(fp, "net", v);
	dk_money_str(x->baseline, v, sizeof(v)), td(fp, "without_p2p", v);
	dk_money_str(x->net - x->baseline, v, sizeof(v)), td(fp, "saved", v);
	fputs("</tr>\n", fp);
}

/* Who paid whom: the flows of money, a row each. */
static void
flows(FILE *fp, const struct dk_stmt *s, const struct dk_member *m)
{
	char v[32];
	size_t i;

	if (m->nf == 0)
		return;
	fprintf(fp, "<h2>%s</h2>\n<table id=\"flows\"><thead><tr>"
	    "<th>counterparty</th><th>reason</th><th>paid</th>"
	    "<th>received</th><th>transfers</th></tr></thead><tbody>\n",
	    s->id ? "Who paid whom" : "Money moved, by reason");
	for (i = 0; i < m->nf; i++) {
		const struct dk_sflow *f = &m->f[i];

		fputs("<tr data-row=\"transfer\">", fp);
		td(fp, "counterparty", f->party);
		fprintf(fp, "<td data-col=\"reason\" title=\"%s\">%s</td>",
		    f->reason, dk_stmt_reason(f->reason));
		dk_money_str(f->paid, v, sizeof(v)), td(fp, "paid", v);
		dk_money_str(f->received, v, sizeof(v)), td(fp, "received", v);
		snprintf(v, sizeof(v), "%lld", f->n);
		td(fp, "slots", v);
		fputs("</tr>\n", fp);
	}
	fputs("</tbody></table>\n", fp);
}

static const char css[] =
    "body{font:14px/1.4 sans-serif;max-width:720px;margin:1em auto;"
    "color:#222}\nh1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.5em}\n"
    "table{border-collapse:collapse;width:100%}td,th{padding:2px 6px;"
    "border-bottom:1px solid #ddd;text-align:right}td:first-child,"
    "th:first-child{text-align:left}\n.axis,.zero{stroke:#444}"
    ".tick{font-size:10px;fill:#444}\n.p2p-out{fill:#2a9d8f}"
    ".grid-out{fill:#8ecae6}.p2p-in{fill:#e76f51}.grid-in{fill:#f4a261}\n"
    ".net{fill:#264653}.base{fill:#adb5bd}.save{fill:#2a9d8f}\n"
    ".line{fill:none;stroke:#2a9d8f;stroke-width:2}.point{fill:#2a9d8f}\n"
    "span.key{display:inline-block;width:10px;height:10px}"
    "span.p2p-out{background:#2a9d8f}span.grid-out{background:#8ecae6}"
    "span.p2p-in{background:#e76f51}span.grid-in{background:#f4a261}"
    "span.net{background:#264653}span.base{background:#adb5bd}"
    "span.save{background:#2a9d8f}\nfigure{margin:1em 0;"
    "break-inside:avoid}svg{max-width:100%;height:auto}\n"
    "@page{size:A4;margin:15mm}\n@media print{body{margin:0;max-width:none;"
    "font-size:11pt}h2{break-after:avoid}tr{break-inside:avoid}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

static void
figures(FILE *fp, const struct dk_stmt *s)
{
	struct dk_stmt_fig f[DK_STMT_FIGS];
	int i;

	dk_stmt_figures(s, f);
	fputs("<h2>Community</h2>\n<table id=\"community\"><tbody>\n", fp);
	for (i = 0; i < DK_STMT_FIGS; i++)
		fprintf(fp, "<tr data-row=\"figure\"><th>%s</th><td "
		    "data-col=\"%s\">%s</td></tr>\n", f[i].label, f[i].name,
		    f[i].v);
	fputs("</tbody></table>\n", fp);
}

/* The page's style, for another page of the same charts. */
const char *
dk_stmt_css(void)
{
	return css;
}

/* The charts of the statement's page, their ids starting with idp (two
 * scenarios of denki-simulate on one page). */
void
dk_stmt_charts(FILE *fp, const struct dk_stmt *s, const char *idp)
{
	static const struct series energy[] = {
		{ "sold to members", "p2p-out", g_sold },
		{ "sold to the grid", "grid-out", g_gout },
		{ "bought from members", "p2p-in", g_bought },
		{ "bought from the grid", "grid-in", g_gin },
	}, money[] = {
		{ "with P2P", "net", g_net },
		{ "without P2P", "base", g_base },
	};
	const struct dk_member *m = dk_stmt_member(s);
	const char *unit = dk_stmt_unit(s);
	char title[128], v[32], id[64];

	snprintf(title, sizeof(title), "Energy sold and bought each %s, P2P "
	    "and the grid", unit);
	snprintf(id, sizeof(id), "%senergy", idp);
	bars(fp, id, title, m, energy, 4, 0, "kWh");
	snprintf(v, sizeof(v), "%s", s->r->rules.currency);
	snprintf(title, sizeof(title), "Money each %s, with P2P and without",
	    unit);
	snprintf(id, sizeof(id), "%smoney", idp);
	bars(fp, id, title, m, money, 2, 1, v);
	snprintf(id, sizeof(id), "%ssavings", idp);
	savings(fp, id, m, v);
}

int
dk_stmt_html(FILE *fp, const struct dk_stmt *s)
{
	const struct dk_member *m = dk_stmt_member(s);
	const char *cur = s->r->rules.currency, *unit = dk_stmt_unit(s);
	char title[128];
	struct dk_sday tot;
	size_t i;

	snprintf(title, sizeof(title), "Statement of %s for %s", s->id ?
	    s->id : "the community", s->period);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	    "\n<title>", fp);
	dk_xml_text(fp, title);
	fprintf(fp, "</title>\n<style>\n%s</style></head>\n<body>\n<h1>", css);
	dk_xml_text(fp, title);
	fputs("</h1>\n<p class=\"source\">From the ledger ", fp);
	dk_xml_text(fp, s->ledger);
	fprintf(fp, ", %s. Energy in kWh, money in %s (received less paid)."
	    "</p>\n", s->checked ? "its checkpoints checked against the "
	    "operator's key" : "<strong>not checked against the operator's "
	    "key</strong>", cur);
	if (s->r->cp_size > 0) {
		fputs("<p class=\"source\">Its checkpoint: ", fp);
		dk_xml_text(fp, s->r->cp_origin);
		fprintf(fp, ", <span id=\"size\">%lld</span> entries, root "
		    "<code>", s->r->cp_size);
		dk_xml_text(fp, s->r->cp_root);
		fputs("</code>.</p>\n", fp);
	}
	if (m->slots == 0) {
		fprintf(fp, "<p class=\"empty\">No trades in %s: %s no settled "
		    "slot in the period.</p>\n", s->period, s->id ?
		    "this member has" : "the ledger has");
		flows(fp, s, m);
		fputs("</body></html>\n", fp);
		return ferror(fp) ? -1 : 0;
	}
	if (s->id == NULL)
		figures(fp, s);
	fputs("<h2>Charts</h2>\n", fp);
	dk_stmt_charts(fp, s, "");
	fprintf(fp, "<h2>Each %s</h2>\n<table id=\"days\"><thead><tr><th>%s"
	    "</th>", unit, strcmp(unit, "day") == 0 ? "date" : "slot");
	fputs(
	    "<th>sold P2P</th><th>to grid</th><th>bought P2P</th>"
	    "<th>from grid</th><th>with P2P</th><th>without</th><th>saved</th>"
	    "</tr></thead><tbody>\n", fp);
	for (i = 0; i < m->nd; i++)
		dayrow(fp, unit, m->d[i].date, &m->d[i]);
	memset(&tot, 0, sizeof(tot));
	tot.sold = m->sold, tot.gout = m->gout, tot.bought = m->bought;
	tot.gin = m->gin, tot.net = m->net, tot.baseline = m->baseline;
	dayrow(fp, "total", "total", &tot);
	fputs("</tbody></table>\n", fp);
	flows(fp, s, m);
	fputs("</body></html>\n", fp);
	return ferror(fp) ? -1 : 0;
}
