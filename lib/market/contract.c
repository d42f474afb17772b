/*
 * contract.c: trades become contracts under the rules in force, and the
 * work of denki-contract-sign: a cleared slot's records checked by a
 * replay, then written to the ledger.
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

/* What a contract adds to its trade under the rules in force: firm
 * delivery, the deviations of each party settled with the utility. */
json_t *
dk_contract_extra(const struct dk_rules *r)
{
	json_t *c = json_object();

	if (c == NULL)
		return NULL;
	json_object_set_new(c, "type", json_string("contract"));
	json_object_set_new(c, "currency", json_string(r->currency));
	json_object_set_new(c, "terms", json_string(r->terms));
	json_object_set_new(c, "delivery", json_string("firm"));
	json_object_set_new(c, "fee", json_integer(r->fee));
	json_object_set_new(c, "retail", json_integer(r->retail));
	json_object_set_new(c, "buyback", json_integer(r->buyback));
	/* rules of version 2: what the parties pay besides, in their own
	 * contract (the monthly fee is no contract's) */
	if (r->fee_bps > 0) {
		json_object_set_new(c, "fee_bps", json_integer(r->fee_bps));
		json_object_set_new(c, "fee_payer",
		    json_string(dk_fee_payer_name(r->fee_payer)));
	}
	if (r->tax_bps > 0)
		json_object_set_new(c, "tax_bps", json_integer(r->tax_bps));
	if (r->imbalance[0] != '\0')
		json_object_set_new(c, "imbalance", json_string(r->imbalance));
	return c;
}

/* A trade becomes a contract: its members and extra's (dk_contract_extra:
 * made once for many, its values shared, not copied). */
json_t *
dk_contract_with(json_t *trade, json_t *extra)
{
	json_t *c;

	/* the trade's values shared too (no record is changed once made):
	 * contract-sign makes one for every trade of a month */
	if (extra == NULL)
		return NULL;
	if (!json_is_object(trade))
		c = json_deep_copy(trade);
	else if ((c = json_object()) != NULL &&
	    json_object_update(c, trade) < 0) {
		json_decref(c);
		return NULL;
	}
	if (c != NULL && json_object_update(c, extra) < 0) {
		json_decref(c);
		return NULL;
	}
	return c;
}

/* The same under the rules in force. */
json_t *
dk_contract_json(json_t *trade, const struct dk_rules *r)
{
	json_t *x = dk_contract_extra(r), *c = dk_contract_with(trade, x);

	json_decref(x);
	return c;
}

/* Where a record of clear's output goes: 1 when it is the clearing that
 * completes its slot, 0 when more are to come, -1 when it does not
 * belong (rec is taken in every case). */
int
dk_cleared_add(struct dk_cleared *g, json_t *rec, const struct dk_rules *r,
    struct dk_err *e)
{
	return dk_cleared_add_line(g, rec, NULL, 0, r, NULL, e);
}

/* Keeps line (n bytes) as the k-th of *v (*cap: its room). */
static int
keep_line(struct dk_span **v, size_t *cap, size_t k, const char *line,
    size_t n)
{
	struct dk_span *nv;

	if (k >= *cap) {
		*cap = *cap ? 2 * *cap : 64;
		if ((nv = realloc(*v, *cap * sizeof(*nv))) == NULL)
			return -1;
		*v = nv;
	}
	(*v)[k].s = line;
	(*v)[k].n = n;
	return 0;
}

/* An order (rec, NULL: not made, o its reading) and its line, the slot's
 * next. */
static int
keep_order(struct dk_cleared *g, json_t *rec, const struct dk_order *o,
    const char *line, size_t n)
{
	size_t cap = g->capo;
	struct dk_order *b;
	json_t **v;

	if (keep_line(&g->oline, &g->capo, g->no, line, n) < 0)
		return -1;
	if (g->capo != cap || g->orders == NULL) {
		if ((v = realloc(g->orders, g->capo * sizeof(*v))) == NULL)
			return -1;
		g->orders = v;
		if ((b = realloc(g->ob, g->capo * sizeof(*b))) == NULL)
			return -1;
		g->ob = b;
	}
	if (rec == NULL)
		g->ob[g->no] = *o;
	g->orders[g->no++] = rec;
	return 0;
}

/*
 * The same with the line rec was read from (line, n; NULL: none), which
 * must outlive g and end in a NUL at n: canonical lines spare the replay
 * its JSON (dumps of the orders, trades read back) and the ledger its
 * dumps of the orders.  rec NULL: made here of line, unless the line is
 * an order dk_order_line reads under reg (then none is made: the replay
 * and the ledger take its line, and a slot of 4,000 orders costs no
 * 4,000 objects made, walked and freed).
 */
int
dk_cleared_add_line(struct dk_cleared *g, json_t *rec, const char *line,
    size_t n, const struct dk_rules *r, const struct dk_registry *reg,
    struct dk_err *e)
{
	const char *type, *ss;
	struct dk_order o;
	struct dk_span **v;
	size_t *cap;
	int64_t t;
	char buf[64];

	if (rec == NULL && reg != NULL && line != NULL &&
	    dk_order_line_noid(&o, line, n, r, reg, NULL) == 1) {
		/* its slot's text, for a message: the one "slot":" in a
		 * line whose strings hold no quote */
		ss = (const char *)memmem(line, n, "\"slot\":\"", 8) + 8;
		snprintf(buf, sizeof(buf), "%.*s", (int)(strchr(ss, '"') -
		    ss), ss);
		type = "order";
		t = o.slot;
		ss = buf;
		goto slot;
	}
	if (rec == NULL && line != NULL && (rec = dk_parse_flat(line, n)) ==
	    NULL && (rec = dk_parse(line, n, e)) == NULL)
		return -1;
	type = json_string_value(json_object_get(rec, "type"));
	if (type == NULL || (strcmp(type, "order") != 0 &&
	    strcmp(type, "trade") != 0 && strcmp(type, "clearing") != 0)) {
		json_decref(rec);
		return dk_fail(e, DK_EX_DATAERR, "type: must be order, trade "
		    "or clearing (the output of denki-clear)");
	}
	if ((ss = dk_get_str(rec, "slot", e)) == NULL ||
	    dk_slot_parse(ss, r->slot_minutes, &t, e) < 0) {
		json_decref(rec);
		return -1;
	}
slot:
	if (g->trades == NULL) {
		g->slot = t;
		g->trades = json_array();
	} else if (t != g->slot) {
		dk_fail(e, DK_EX_DATAERR, "slot %s: the slot before it has no "
		    "clearing record", ss);
		json_decref(rec);
		dk_cleared_free(g);
		return -1;
	}
	if (strcmp(type, "clearing") == 0) {
		g->clearing = rec;
		return 1;
	}
	if (strcmp(type, "order") == 0) {
		if (keep_order(g, rec, &o, line, n) < 0)
			goto oom;
		return 0;
	}
	v = &g->tline;
	cap = &g->capt;
	if (keep_line(v, cap, json_array_size(g->trades), line, n) < 0)
		goto oom;
	json_array_append_new(g->trades, rec);
	return 0;
oom:
	json_decref(rec);
	dk_cleared_free(g);
	return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
}

/* Replays the market on the slot's orders and requires the same trades
 * and clearing, byte for byte; then g->contracts holds the contracts and
 * g->orders the book in id order, as the clearing hashed it. */
static int
replay(struct dk_cleared *g, const struct dk_rules *r, struct dk_state *st,
    struct dk_err *e)
{
	size_t n = g->no, i;
	struct dk_order *book = calloc(n + 1, sizeof(*book));
	const struct dk_participant *p;
	struct dk_replay rp;
	const char *s;
	int rc = -1;

	if (book == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < n; i++) {
		s = g->oline[i].s;
		/* an order not made (dk_cleared_add_line read it, with the
		 * registry as it is still): what dk_order_check_line does
		 * with its record, while its signature is one
		 * dk_order_ahead_line found good */
		if (g->orders[i] == NULL && (p = dk_registry_find(&st->reg,
		    g->ob[i].participant)) != NULL && dk_ahead_good(s, p->pk)) {
			book[i] = g->ob[i];
			dk_sha256_hex(s, g->oline[i].n, book[i].id);
			continue;
		}
		if (g->orders[i] == NULL && (g->orders[i] = dk_parse_flat(s,
		    g->oline[i].n)) == NULL && (g->orders[i] = dk_parse(s,
		    g->oline[i].n, e)) == NULL)
			goto bad;
		if (dk_order_check_line(&book[i], g->orders[i], s,
		    g->oline[i].n, r, &st->reg, e) < 0)
			goto bad;
	}
	if (dk_replay_given(&rp, book, n, g->slot, st, r, g->trades, g->tline,
	    e) != 0)
		goto out;
	if (dk_replay_match(&rp, g->trades, g->clearing, e) == 0) {
		/* the orders and their canonical lines (NULL: none) in
		 * the book's order (each order once: theirs to free) */
		for (i = 0; i < rp.n; i++) {
			g->orders[i] = rp.book[i].rec;
			g->oline[i].s = rp.book[i].line;
			g->oline[i].n = rp.book[i].len;
		}
		json_decref(g->contracts);
		g->contracts = json_incref(rp.contracts);
		/* the trades taken as they were given: each line is its
		 * trade's text (dk_trade_is), and its contract's is made
		 * from it (contract_text) */
		g->tcanon = rp.trades == g->trades && g->tline != NULL;
		rc = 0;
	}
	dk_replay_free(&rp);
out:
	free(book);
	return rc;
bad:
	dk_failpre(e, "order %zu of the slot", i + 1);
	goto out;
}

/* A complete slot, checked against the ledger's state: not cleared yet,
 * and its records those a replay of the market makes. */
int
dk_cleared_check(struct dk_cleared *g, const struct dk_rules *r,
    struct dk_state *st, struct dk_err *e)
{
	const char *ss = json_string_value(json_object_get(g->clearing, "slot"));
	json_t *t, *x;

	if (dk_state_slot(st, g->slot) != NULL)
		return dk_fail(e, DK_EX_DATAERR, "slot %s: already in the ledger",
		    ss);
	if (replay(g, r, st, e) < 0)
		return dk_failpre(e, "slot %s", ss);
	/* what a contract adds to its trade, as dk_canon writes it */
	if (g->tcanon && g->extra == NULL && (t = json_object()) != NULL) {
		if ((x = dk_contract_json(t, r)) != NULL)
			g->extra = dk_canon(x);
		json_decref(x);
		json_decref(t);
	}
	return 0;
}

/* The members of s (n bytes), canonical text of a flat object, each a
 * span from its key's quote to its value's end, at most max: how many,
 * or 0 for any other text (an escape, a nested value). */
static size_t
members(const char *s, size_t n, struct dk_span *m, size_t max)
{
	const char *p = s + 1, *end = s + n - 1, *q;
	size_t k = 0;

	if (n < 3 || s[0] != '{' || *end != '}')
		return 0;
	while (p < end) {
		if (k == max || *p != '"' ||
		    (q = memchr(p + 1, '"', (size_t)(end - p - 1))) == NULL ||
		    memchr(p + 1, '\\', (size_t)(q - p - 1)) != NULL ||
		    q + 2 >= end || q[1] != ':')
			return 0;
		m[k].s = p;
		q += 2;
		if (*q == '"') {
			p = q + 1;
			if ((q = memchr(p, '"', (size_t)(end - p))) == NULL ||
			    memchr(p, '\\', (size_t)(q - p)) != NULL)
				return 0;
			q++;
		} else if (*q == '{' || *q == '[')
			return 0;
		else
			while (q < end && *q != ',')
				q++;
		m[k].n = (size_t)(q - m[k].s);
		k++;
		if (q == end)
			break;
		if (*q != ',')
			return 0;
		p = q + 1;
	}
	return p < end ? k : 0;
}

/* A member's key (its text between the quotes), ordered as dk_canon
 * orders keys: bytes, a shorter key first. */
static int
keycmp(const struct dk_span *a, const struct dk_span *b)
{
	const char *x = a->s + 1, *y = b->s + 1;
	size_t m = (size_t)((const char *)memchr(x, '"', a->n) - x);
	size_t n = (size_t)((const char *)memchr(y, '"', b->n) - y);
	int c = memcmp(x, y, m < n ? m : n);

	return c ? c : (m > n) - (m < n);
}

/*
 * Contract i's canonical text with room for a newline after it, made
 * from its trade's line (canonical: tcanon) and the members of g->extra
 * (x, nx; xn: its length), merged in key order (the extra's where both
 * have one: "type"): what dk_canon makes of dk_contract_json, byte for
 * byte, without walking, sorting and escaping it again.  NULL: made by
 * dk_canon.
 */
static char *
contract_text(const struct dk_cleared *g, size_t i, const struct dk_span *x,
    size_t nx, size_t xn)
{
	struct dk_span t[32];
	size_t nt, a = 0, b = 0, len = 1;
	char *out;
	int c;

	if (nx == 0 ||
	    (nt = members(g->tline[i].s, g->tline[i].n, t, 32)) == 0 ||
	    (out = malloc(g->tline[i].n + xn + 2)) == NULL)
		return NULL;
	out[0] = '{';
	while (a < nt || b < nx) {
		c = a == nt ? 1 : b == nx ? -1 : keycmp(&t[a], &x[b]);
		if (c == 0)
			a++;
		else if (c < 0) {
			memcpy(out + len, t[a].s, t[a].n);
			len += t[a++].n;
			out[len++] = ',';
			continue;
		}
		memcpy(out + len, x[b].s, x[b].n);
		len += x[b++].n;
		out[len++] = ',';
	}
	out[len - 1] = '}';
	out[len] = '\0';
	return out;
}

/* A contract's text in l's pending lines (the last record added, n
 * bytes) noted in at. */
static int
note_at(struct dk_pendtexts *at, const struct dk_ledger *l, size_t n)
{
	if (dk_grow(&at->v, at->n, &at->cap, sizeof(*at->v), 1024) < 0)
		return -1;
	at->v[at->n].off = dk_ledger_last_text(l);
	at->v[at->n++].n = n;
	return 0;
}

static int append(struct dk_cleared *, struct dk_ledger *, struct dk_state *,
    FILE *, struct dk_pendtexts *, struct dk_err *);

/* A checked slot into the ledger: its orders, its clearing, its contracts
 * (each written to out too, a line each), and a checkpoint. */
int
dk_cleared_append(struct dk_cleared *g, struct dk_ledger *l,
    struct dk_state *st, FILE *out, struct dk_err *e)
{
	return append(g, l, st, out, NULL, e);
}

/* The same, each contract's text noted in at rather than written: where
 * it lies in l's pending lines, which keep it after the commit (a month's
 * contracts not held twice, 250 MB at 1,000 homes). */
int
dk_cleared_append_at(struct dk_cleared *g, struct dk_ledger *l,
    struct dk_state *st, struct dk_pendtexts *at, struct dk_err *e)
{
	return append(g, l, st, NULL, at, e);
}

static int
append(struct dk_cleared *g, struct dk_ledger *l, struct dk_state *st,
    FILE *out, struct dk_pendtexts *at, struct dk_err *e)
{
	struct dk_span m[32];
	size_t i, n, nm = 0, xn = 0;
	json_t *x;
	const char *ty;
	char *c;
	int rc;

	/* an order's line, when canonical, is the entry's text (replay) */
	for (i = 0; i < g->no; i++)
		if ((g->orders[i] == NULL ? dk_ledger_add_order(l,
		    g->oline[i].s, e) : dk_ledger_add_canon(l, g->orders[i],
		    g->oline[i].s, e)) < 0)
			return -1;
	if (dk_state_apply(st, 0, 0, g->clearing, e) < 0 ||
	    dk_ledger_add(l, g->clearing, e) < 0)
		return -1;
	/* a contract's text made once, for the ledger and for out */
	if (g->tcanon && g->extra != NULL)
		nm = members(g->extra, xn = strlen(g->extra), m, 32);
	json_array_foreach(g->contracts, i, x) {
		if (dk_state_apply(st, 0, 0, x, e) < 0)
			return -1;
		/* a trade held for review is a pending record in its
		 * contract's place (dk_review_hold): written as it is */
		ty = json_string_value(json_object_get(x, "type"));
		c = ty != NULL && strcmp(ty, "contract") == 0 ?
		    contract_text(g, i, m, nm, xn) : NULL;
		if (c == NULL && (c = dk_canon(x)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		rc = dk_ledger_add_canon(l, x, c, e);
		n = strlen(c);
		c[n] = '\n';
		if (rc == 0 && (out != NULL ? fwrite(c, 1, n + 1, out) !=
		    n + 1 : note_at(at, l, n) < 0))
			rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		free(c);
		if (rc < 0)
			return -1;
	}
	return dk_ledger_checkpoint(l, e);
}

void
dk_cleared_free(struct dk_cleared *g)
{
	size_t i;

	for (i = 0; i < g->no; i++)
		json_decref(g->orders[i]);
	free(g->orders);
	free(g->ob);
	json_decref(g->trades);
	json_decref(g->clearing);
	json_decref(g->contracts);
	free(g->oline);
	free(g->tline);
	free(g->extra);
	memset(g, 0, sizeof(*g));
}

/* The rules in force into the ledger, once, before the first contract
 * under them, and the text of their terms (text) before them when the
 * ledger has not got it. */
int
dk_contract_rules(struct dk_ledger *l, struct dk_state *st,
    const struct dk_rules *rules, const char *text, struct dk_err *e)
{
	json_t *x = dk_rules_json(rules), *old, *tr;
	char *a = dk_canon(x), *b = NULL;
	int rc = -1;

	if (st->have_rules) {
		old = dk_rules_json(&st->rules);
		b = dk_canon(old);
		json_decref(old);
	}
	if (b != NULL && strcmp(a, b) == 0)
		rc = 0;
	else if (text != NULL &&
	    json_object_get(st->terms, rules->terms) == NULL) {
		tr = json_pack("{s:s,s:i,s:s}", "type", "terms", "v", 1,
		    "text", text);
		if (tr == NULL)
			dk_fail(e, DK_EX_CONFIG, "terms: the file is not UTF-8 "
			    "text");
		else if (dk_profile_check(tr, e) < 0) {
			dk_failpre(e, "terms");
			e->status = DK_EX_CONFIG;
		} else if (dk_state_apply(st, 0, 0, tr, e) == 0 &&
		    dk_ledger_add(l, tr, e) == 0)
			rc = 1;
		json_decref(tr);
	} else
		rc = 1;
	if (rc == 1)
		rc = dk_state_apply(st, 0, 0, x, e) < 0 ||
		    dk_ledger_add(l, x, e) < 0 ? -1 : 0;
	free(a);
	free(b);
	json_decref(x);
	return rc;
}
