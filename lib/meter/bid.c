/*
 * bid.c: denki-bid's work: the household's grid readings kept as the
 * history its forecast is made from, and a signed order for a slot made
 * from the forecast of forecast-bid.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

/* The bidder of the household conf describes: its rules, participant,
 * meters, bid.* limits, key and state database.  b is zeroed by the
 * caller, who may set force and dry and warn first. */
int
dk_bidder_open(struct dk_bidder *b, const struct dk_conf *conf,
    struct dk_err *e)
{
	const char *where = conf->path ? conf->path : "config";
	char *tok;

	b->latest = INT64_MIN;
	if (dk_rules_from_conf(&b->rules, conf, e) < 0)
		return -1;
	b->participant = dk_conf_str(conf, "participant", NULL);
	if (b->participant == NULL || !dk_valid_id(b->participant))
		return dk_fail(e, DK_EX_CONFIG, "%s: participant: must be the "
		    "household's id", where);
	b->meterlist = dk_conf_str(conf, "meters", dk_conf_str(conf,
	    "meter.id", NULL));
	if (b->meterlist == NULL)
		return dk_fail(e, DK_EX_CONFIG, "%s: meters: the household's "
		    "meter ids are missing", where);
	if ((b->mbuf = strdup(b->meterlist)) == NULL ||
	    (b->meters = calloc(strlen(b->meterlist) + 1,
	    sizeof(char *))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (tok = strtok(b->mbuf, ", "); tok != NULL; tok = strtok(NULL,
	    ", "))
		b->meters[b->nmeters++] = tok;
	if (dk_conf_int(conf, "bid.min_wh", 1, 1, DK_MAX_WH, &b->min_wh,
	    e) < 0 ||
	    dk_conf_int(conf, "bid.sell_markup", 20, 0, 100,
	    &b->sell_markup, e) < 0 ||
	    dk_conf_int(conf, "bid.buy_markdown", 20, 0, 100,
	    &b->buy_markdown, e) < 0)
		return -1;
	if (dk_conf_key(conf, "key", 1, &b->key, e) < 0 ||
	    dk_bidder_fc_conf(b, conf, e) < 0)
		return -1;
	if ((b->db = dk_home_db(conf, e)) == NULL)
		return -1;
	if (dk_strategy_open(&b->strat, conf, b->db, e) < 0)
		return -1;
	return dk_bidbatt_open(b, conf, e);
}

static int
ours(const struct dk_bidder *b, const char *m)
{
	size_t i;

	for (i = 0; i < b->nmeters; i++)
		if (strcmp(b->meters[i], m) == 0)
			return 1;
	return 0;
}

/* A reading of meter m into the state database and the history held. */
static int
keep(struct dk_bidder *b, const char *m, int64_t t, int64_t imp,
    int64_t exp, struct dk_err *e)
{
	if (dk_db_put_reading(b->db, m, t, imp, exp, e) < 0 ||
	    dk_bidder_hist_put(b, m, t, imp, exp, e) < 0)
		return -1;
	dk_bidder_fc_free(b);	/* the forecasts fed before it */
	if (t > b->latest)
		b->latest = t;
	return 0;
}

/*
 * A reading record into the history: 0 when kept, or skipped (a gap
 * record, no reading, and pv readings are not the grid's net; a
 * battery's are kept apart, battery-db.c); 1 when refused (e says why:
 * not a reading, not our meter); -1 when it cannot be kept.
 */
int
dk_bidder_reading(struct dk_bidder *b, json_t *rec, struct dk_err *e)
{
	const char *tp, *kd, *m;
	int64_t t, imp, exp;

	tp = json_string_value(json_object_get(rec, "type"));
	kd = json_string_value(json_object_get(rec, "kind"));
	if (kd != NULL && strcmp(kd, "battery") == 0 &&
	    (tp == NULL || strcmp(tp, "gap") != 0))
		return dk_bidbatt_reading(b, rec, e);
	if ((tp != NULL && strcmp(tp, "gap") == 0) ||
	    (kd != NULL && strcmp(kd, "grid") != 0 &&
	    dk_reading_check(rec, &b->rules, &t, e) == 0))
		return 0;
	if (dk_reading_check(rec, &b->rules, &t, e) < 0)
		return 1;
	m = json_string_value(json_object_get(rec, "meter"));
	if (!ours(b, m)) {
		dk_fail(e, DK_EX_DATAERR, "meter: %s is not one of this "
		    "household's meters (%s)", m, b->meterlist);
		return 1;
	}
	imp = json_integer_value(json_object_get(rec, "import_wh"));
	exp = json_integer_value(json_object_get(rec, "export_wh"));
	return keep(b, m, t, imp, exp, e);
}

/* s at *i: the bytes of lit, stepped over; 0 when they are not there */
static int
lit(const char *s, size_t n, size_t *i, const char *lit, size_t len)
{
	if (n - *i < len || memcmp(s + *i, lit, len) != 0)
		return 0;
	*i += len;
	return 1;
}

/* s at *i: a whole Wh of dk_reading_check's range, digits without a
 * leading zero (as flat() takes an integer), and the byte after it */
static int
wh(const char *s, size_t n, size_t *i, int64_t *v)
{
	size_t j = *i;

	for (*v = 0; j < n && s[j] >= '0' && s[j] <= '9' && j - *i < 16; j++)
		*v = *v * 10 + (s[j] - '0');
	if (j == *i || j - *i > 15 || (s[*i] == '0' && j - *i > 1) ||
	    *v > DK_MAX_WH)
		return 0;
	*i = j;
	return 1;
}

/* s at *i: a string's bytes up to its closing quote (printable ASCII, no
 * escape, as flat() takes a string) into out (len bytes with its NUL;
 * NULL: only passed over), and the quote */
static int
str(const char *s, size_t n, size_t *i, char *out, size_t len)
{
	size_t j;

	for (j = *i; j < n && s[j] != '"' && s[j] != '\\' &&
	    (unsigned char)s[j] >= 0x20 && (unsigned char)s[j] < 0x7f; j++)
		;
	if (j >= n || s[j] != '"' || (out != NULL && j - *i >= len))
		return 0;
	if (out != NULL) {
		memcpy(out, s + *i, j - *i);
		out[j - *i] = '\0';
	}
	*i = j + 1;
	return 1;
}

/*
 * A reading line (n bytes, no newline) exactly as denki-meter-read writes
 * one of the grid's, canonical: export_wh, import_wh, meter, sig, slot,
 * type "reading" and v 1, with no other member, every one as
 * dk_reading_check takes it, of one of the household's meters: 1 with r
 * filled (its slot as dk_record_slot reads it, in r->slot), read without
 * the JSON tree dk_parse_flat would build of it; 0 for any other line,
 * which dk_parse and dk_bidder_reading then read and judge as before.
 */
int
dk_bidder_flat(const struct dk_bidder *b, const char *s, size_t n,
    struct dk_flatreading *r)
{
	char ts[64];
	size_t i = 0;
	struct dk_err e = { 0 };

	if (!lit(s, n, &i, "{\"export_wh\":", 13) || !wh(s, n, &i, &r->exp) ||
	    !lit(s, n, &i, ",\"import_wh\":", 13) || !wh(s, n, &i, &r->imp) ||
	    !lit(s, n, &i, ",\"meter\":\"", 10) ||
	    !str(s, n, &i, r->meter, sizeof(r->meter)) ||
	    !lit(s, n, &i, ",\"sig\":\"", 8) || !str(s, n, &i, NULL, 0) ||
	    !lit(s, n, &i, ",\"slot\":\"", 9) || !str(s, n, &i, ts, sizeof(ts)) ||
	    !lit(s, n, &i, ",\"type\":\"reading\",\"v\":1}", 24) || i != n)
		return 0;
	if (!dk_valid_id(r->meter) || !ours(b, r->meter) ||
	    dk_slot_parse(ts, b->rules.slot_minutes, &r->slot, &e) < 0)
		return 0;
	return 1;
}

/* A reading dk_bidder_flat has read, kept as dk_bidder_reading keeps it. */
int
dk_bidder_put(struct dk_bidder *b, const struct dk_flatreading *r,
    struct dk_err *e)
{
	return keep(b, r->meter, r->slot, r->imp, r->exp, e);
}

/* The slot a record names (a reading's, a gap's, a battery's), or
 * INT64_MIN when it names none: the day a run of -r has reached. */
int64_t
dk_record_slot(json_t *rec)
{
	const char *s = json_string_value(json_object_get(rec, "slot"));
	struct dk_err e = { 0 };
	int64_t t;

	if (s == NULL || dk_time_parse(s, &t, &e) < 0)
		return INT64_MIN;
	return t;
}

/* What one run of bid does not leave to the next (-r bids each day as a
 * fresh run would): the forecasters fed, the slots wanted, the battery's
 * plan, the newest reading of the run. */
void
dk_bidder_fresh(struct dk_bidder *b)
{
	dk_bidder_fc_free(b);
	dk_bidbatt_fresh(b);
	b->ntargets = 0;
	b->latest = INT64_MIN;
}

/* A slot to bid for, once. */
int
dk_bidder_want(struct dk_bidder *b, int64_t t, struct dk_err *e)
{
	int64_t *n;
	size_t i;

	for (i = 0; i < b->ntargets; i++)
		if (b->targets[i] == t)
			return 0;
	n = reallocarray(b->targets, b->ntargets + 1, sizeof(*n));
	if (n == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	b->targets = n;
	b->targets[b->ntargets++] = t;
	return 0;
}

static void
warn_slot(const struct dk_bidder *b, const char *msg)
{
	if (b->warn != NULL)
		b->warn(b->ctx, msg);
}

/* The limit price: between buyback and retail, both at most
 * DK_MAX_PRICE, as the rules and the percentages are in range. */
static int
limit(const struct dk_bidder *b, int64_t net, int64_t *price,
    struct dk_err *e)
{
	const struct dk_rules *r = &b->rules;
	int64_t top;

	if (net > 0) {
		if (dk_muldiv(r->retail - r->buyback, b->sell_markup, 100,
		    price) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "price: overflow");
		*price += r->buyback;
		return 0;
	}
	top = r->retail - r->fee;
	if (top < r->buyback)
		top = r->buyback;
	if (dk_muldiv(top - r->buyback, b->buy_markdown, 100, price) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "price: overflow");
	*price = top - *price;
	return 0;
}

/* s's bytes at p: where they end */
static char *
cat(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

/*
 * The signed order's line, without its newline: the canonical form of the
 * record (denki-formats(5): keys in byte order, and nothing in it that
 * is escaped: the participant is an id, the slot a time, the signature
 * base64) written and signed without building it, the bytes dk_emit
 * writes of the record dk_sign_record signs (test-bid holds them to it):
 * the message signed, then the line, the same bytes with the signature
 * put in after the side (no printf: it was a tenth of bid's work outside
 * the signatures).
 */
static int
order_line(const struct dk_bidder *b, const char *ts, const char *side,
    int64_t wh, int64_t price, char *line, struct dk_err *e)
{
	static const char k1[] = "{\"participant\":\"", k2[] = "\",\"price\":",
	    k3[] = ",\"side\":\"", k4[] = "\",\"slot\":\"",
	    k5[] = "\",\"type\":\"order\",\"v\":1,\"wh\":", ks[] = "\",\"sig\":\"";
	char msg[DK_ORDER_MAX], sig[DK_SIG_B64], pr[24], w[24], *p = msg;
	size_t np = dk_lltoa(price, pr), nw = dk_lltoa(wh, w), a, n;
	size_t lp = strlen(b->participant), ls = strlen(side), lt = strlen(ts);

	/* the line's length (each sizeof one more than its piece, as
	 * DK_SIG_B64 than the signature; the '}'), short of its NUL */
	if (sizeof(k1) + lp + sizeof(k2) + np + sizeof(k3) + ls + sizeof(k4) +
	    lt + sizeof(k5) + nw + sizeof(ks) + DK_SIG_B64 - 6 >=
	    DK_ORDER_MAX)
		return dk_fail(e, DK_EX_SOFTWARE, "order: too long a line");
	p = cat(p, k1, sizeof(k1) - 1);
	p = cat(p, b->participant, lp);
	p = cat(p, k2, sizeof(k2) - 1);
	p = cat(p, pr, np);
	p = cat(p, k3, sizeof(k3) - 1);
	p = cat(p, side, ls);
	a = (size_t)(p - msg);
	p = cat(p, k4, sizeof(k4) - 1);
	p = cat(p, ts, lt);
	p = cat(p, k5, sizeof(k5) - 1);
	p = cat(p, w, nw);
	*p++ = '}';
	n = (size_t)(p - msg);
	dk_sign_b64(msg, n, &b->key, sig);
	p = cat(line, msg, a);
	p = cat(p, ks, sizeof(ks) - 1);
	p = cat(p, sig, DK_SIG_B64 - 1);
	p = cat(p, msg + a, n - a);
	*p = '\0';
	return 0;
}

/*
 * The signed order for slot target, its line in line (see order_line):
 * 1, or 0 when there is none (warn says why when it is not just too
 * little energy); unless dry, the slot is marked bid for, and is not bid
 * for again without force.  The forecast is forecast-bid.c's (the same
 * slot yesterday until the history allows a backtest to choose); the
 * limits sit inside the spread between buyback and retail: a seller asks
 * buyback plus sell_markup percent of the spread, a buyer bids retail
 * minus the fee minus buy_markdown percent of what is left above
 * buyback.  sent: 1 or 0, whether it is bid for already, as a query of
 * a run's slots found; -1: asked here.
 */
static int
line_of(struct dk_bidder *b, int64_t target, int sent, char *line,
    struct dk_err *e)
{
	const struct dk_rules *r = &b->rules;
	int64_t net, wh, price;
	char ts[40], why[100], msg[200], id[65];
	int rc;

	dk_time_format(target, r->tz, ts, sizeof(ts));
	if (!b->force && !b->dry) {
		if ((rc = sent >= 0 ? sent : dk_db_order_sent(b->db, target,
		    e)) < 0)
			return -1;
		if (rc == 1) {
			snprintf(msg, sizeof(msg), "slot %s: already bid for; "
			    "-f bids again", ts);
			warn_slot(b, msg);
			return 0;
		}
	}
	if ((rc = dk_bidder_forecast(b, target, &net, why, sizeof(why),
	    e)) < 0)
		return -1;
	if (rc == 1) {
		snprintf(msg, sizeof(msg), "slot %s: %s; no order", ts, why);
		warn_slot(b, msg);
		return 0;
	}
	if (dk_bidbatt_net(b, target, &net, e) < 0)
		return -1;
	wh = net < 0 ? -net : net;
	if (wh < b->min_wh || wh == 0)
		return 0;
	if (wh > DK_MAX_WH)
		wh = DK_MAX_WH;
	if (limit(b, net, &price, e) < 0 ||
	    dk_strategy_price(b, target, net, &price, e) < 0 ||
	    order_line(b, ts, net > 0 ? "sell" : "buy", wh, price, line,
	    e) < 0)
		return -1;
	if (!b->dry) {
		dk_sha256_hex(line, strlen(line), id);
		if (dk_db_mark_sent(b->db, target, id, e) < 0)
			return -1;
	}
	return 1;
}

int
dk_bidder_line(struct dk_bidder *b, int64_t target, char *line,
    struct dk_err *e)
{
	return line_of(b, target, -1, line, e);
}

/* Whether slot t is among the n slots of v (in order) */
static int
among(const int64_t *v, size_t n, int64_t t)
{
	size_t lo = 0, hi = n, m;

	while (lo < hi) {
		m = lo + (hi - lo) / 2;
		if (v[m] < t)
			lo = m + 1;
		else
			hi = m;
	}
	return lo < n && v[lo] == t;
}

/*
 * The orders for the slots wanted, their lines each with its newline in
 * *text (*len bytes; malloc'd), made in one transaction: their slots are
 * marked sent together and committed before they are returned, so that
 * an order bid has printed is never lost nor bid again, and no synced
 * commit is paid per slot.  On error nothing is marked and nothing
 * returned.
 */
int
dk_bidder_orders(struct dk_bidder *b, char **text, size_t *len,
    struct dk_err *e)
{
	char line[DK_ORDER_MAX], *t;
	int64_t lo = INT64_MAX, hi = INT64_MIN, *sent = NULL;
	size_t i, n, ns = 0, cap = 0;
	int rc;

	*text = NULL;
	*len = 0;
	if (dk_db_begin(b->db, e) < 0)
		return -1;
	/* the slots already bid for among them, asked once (the slots are
	 * distinct: marking one sent does not answer for another) */
	for (i = 0; i < b->ntargets; i++) {
		lo = b->targets[i] < lo ? b->targets[i] : lo;
		hi = b->targets[i] > hi ? b->targets[i] : hi;
	}
	if (!b->force && !b->dry && b->ntargets > 0 &&
	    dk_db_sent_in(b->db, lo, hi, &sent, &ns, e) < 0)
		goto fail;
	for (i = 0; i < b->ntargets; i++) {
		if ((rc = line_of(b, b->targets[i], among(sent, ns,
		    b->targets[i]), line, e)) < 0)
			goto fail;
		if (rc == 0)
			continue;
		n = strlen(line);
		if (*len + n + 1 > cap) {
			cap = cap ? 2 * cap : 64 * DK_ORDER_MAX;
			if ((t = realloc(*text, cap)) == NULL) {
				dk_fail(e, DK_EX_SOFTWARE, "out of memory");
				goto fail;
			}
			*text = t;
		}
		memcpy(*text + *len, line, n);
		(*text)[*len + n] = '\n';
		*len += n + 1;
	}
	free(sent);
	if (dk_db_commit(b->db, e) == 0)
		return 0;
	goto out;
fail:
	free(sent);
	dk_db_rollback(b->db);
out:
	free(*text);
	*text = NULL;
	*len = 0;
	return -1;
}

/*
 * One run's bid, after its readings: what happened to the orders before
 * (the ledger, the feed) into the memory the strategy prices from, then
 * the orders of count slots from first (INT64_MIN: the slot after the
 * newest reading of the run) in *text, as dk_bidder_orders makes them;
 * what the run held is forgotten, as by a fresh run for the next day.
 * With keep, a bad record of the memory is only reported (b->warn), and
 * 1 returned once the orders are made.
 */
int
dk_bidder_run(struct dk_bidder *b, const char *ledger, const char *feed,
    int keep, int64_t first, long count, char **text, size_t *len,
    struct dk_err *e)
{
	int64_t slot = b->rules.slot_minutes * 60LL;
	struct dk_memcount mc;
	char msg[sizeof(e->msg) + 40];
	int bad = 0;
	long i;

	if (dk_mem_read(b, ledger, feed, &mc, e) < 0) {
		if (e->status != DK_EX_DATAERR || !keep)
			return -1;
		snprintf(msg, sizeof(msg), "%s; bidding from the memory as it "
		    "was", e->msg);
		warn_slot(b, msg);
		memset(e, 0, sizeof(*e));
		bad = 1;
	}
	if (first == INT64_MIN && b->latest != INT64_MIN &&
	    dk_bidder_want(b, b->latest + slot, e) < 0)
		return -1;
	for (i = 0; first != INT64_MIN && i < count; i++)
		if (dk_bidder_want(b, first + i * slot, e) < 0)
			return -1;
	if (dk_bidder_orders(b, text, len, e) < 0)
		return -1;
	dk_bidder_fresh(b);
	return bad;
}

void
dk_bidder_close(struct dk_bidder *b)
{
	dk_bidder_fc_free(b);
	dk_bidder_hist_free(b);
	dk_bidbatt_close(b);
	dk_db_close(b->db);
	dk_strategy_free(&b->strat);
	dk_key_free(&b->key);
	free(b->meters);
	free(b->mbuf);
	free(b->targets);
	b->db = NULL;
	b->meters = NULL;
	b->mbuf = NULL;
	b->targets = NULL;
}
