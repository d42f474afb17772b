/*
 * order.c: an order read and checked against the rules and the registry,
 * from its JSON record or, fast, from a line already in canonical form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "market.h"

static const char *const fields[] = { "type", "v", "participant", "slot",
	"side", "wh", "price", "sig", NULL };

static int
unit(struct dk_err *e, const char *what)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", what);
	return -1;
}

static int order_read(struct dk_order *, json_t *, const struct dk_rules *,
    const struct dk_registry *, int, const char *, struct dk_err *);

/* Every check, the participant's signature included. */
int
dk_order_check(struct dk_order *o, json_t *rec, const struct dk_rules *r,
    const struct dk_registry *reg, struct dk_err *e)
{
	return order_read(o, rec, r, reg, 1, NULL, e);
}

/* The same without the signature, for an order already verified. */
int
dk_order_read(struct dk_order *o, json_t *rec, const struct dk_rules *r,
    const struct dk_registry *reg, struct dk_err *e)
{
	return order_read(o, rec, r, reg, 0, NULL, e);
}

/* And with its id already known (a replay reads each order twice). */
int
dk_order_read_id(struct dk_order *o, json_t *rec, const char *id,
    const struct dk_rules *r, const struct dk_registry *reg,
    struct dk_err *e)
{
	return order_read(o, rec, r, reg, 0, id, e);
}

/* dk_order_check of a record read from line (len bytes, rec's text).
 * When the line is canonical, dk_order_line has made every check of
 * order_read but the signature's (it passes none that order_read would
 * refuse), so the order is its reading and only the signature is left;
 * any other line is checked as a record, with its messages. */
int
dk_order_check_line(struct dk_order *o, json_t *rec, const char *line,
    size_t len, const struct dk_rules *r, const struct dk_registry *reg,
    struct dk_err *e)
{
	const struct dk_participant *p;

	if (line == NULL || dk_order_line(o, line, len, r, reg, NULL) != 1 ||
	    (p = dk_registry_find(reg, o->participant)) == NULL)
		return order_read(o, rec, r, reg, 1, NULL, e);
	o->rec = rec;
	if (dk_ahead_good(line, p->pk))	/* dk_order_ahead_line's */
		return 0;
	return dk_verify_record_ahead(rec, p->pk, e);
}

static int
order_read(struct dk_order *o, json_t *rec, const struct dk_rules *r,
    const struct dk_registry *reg, int verify, const char *id,
    struct dk_err *e)
{
	const struct dk_participant *p;
	const char *k, *s;
	json_t *x;
	long long v;
	char *c;
	int i, known;

	memset(o, 0, sizeof(*o));
	if (dk_check_type(rec, "order", e) < 0)
		return -1;
	json_object_foreach(rec, k, x) {
		for (known = 0, i = 0; fields[i] != NULL; i++)
			if (strcmp(k, fields[i]) == 0)
				known = 1;
		if (!known)
			return dk_fail(e, DK_EX_DATAERR,
			    "%s: not a field of an order", k);
	}
	if ((s = dk_get_id(rec, "participant", e)) == NULL)
		return -1;
	strcpy(o->participant, s);
	if ((s = dk_get_str(rec, "slot", e)) == NULL)
		return -1;
	if (dk_slot_parse(s, r->slot_minutes, &o->slot, e) < 0)
		return dk_failpre(e, "slot");
	if ((s = dk_get_str(rec, "side", e)) == NULL)
		return -1;
	if (strcmp(s, "sell") == 0)
		o->side = DK_SELL;
	else if (strcmp(s, "buy") == 0)
		o->side = DK_BUY;
	else
		return dk_fail(e, DK_EX_DATAERR,
		    "side: must be \"sell\" or \"buy\", got \"%.40s\"", s);
	if (dk_get_int(rec, "wh", 1, DK_MAX_WH, &v, e) < 0)
		return unit(e, "energy in Wh");
	o->wh = v;
	if (dk_get_int(rec, "price", 0, DK_MAX_PRICE, &v, e) < 0)
		return unit(e, "a limit price in micro-units per kWh");
	o->price = v;
	if (json_object_get(rec, "sig") == NULL)
		return dk_fail(e, DK_EX_DATAERR, "unsigned order (no sig)");
	p = dk_registry_find(reg, o->participant);
	if (p == NULL)
		return dk_fail(e, DK_EX_DATAERR,
		    "participant: %s is not in the registry", o->participant);
	if (!p->active)
		return dk_fail(e, DK_EX_DATAERR,
		    "participant: %s is revoked", o->participant);
	if (!dk_role_trades(p->role))
		return dk_fail(e, DK_EX_DATAERR, "participant: %s is a %s: "
		    "reviewers and grid operators place no orders",
		    o->participant, p->role);
	strcpy(o->zone, p->zone);
	if (verify && dk_verify_record_ahead(rec, p->pk, e) < 0)
		return -1;
	if (id != NULL && strlen(id) == 64)
		memcpy(o->id, id, 65);
	else {
		if ((c = dk_canon(rec)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		dk_sha256_hex(c, strlen(c), o->id);
		free(c);
	}
	o->rec = rec;
	return 0;
}

/*
 * The fast path for a line that is already an order in canonical form:
 * one flat object, keys in order, no blanks, ASCII strings without
 * escapes, integers.  Such a line is its own canonical form, so its id is
 * its hash and the signed message is the line without its "sig" member.
 * Returns 1 with the order filled, or 0 for anything else, which the
 * caller gives to dk_parse and dk_order_check for the full checks and
 * their messages.  The line must outlive the order.
 */
struct member {
	const char *k, *v;	/* v: a string's first byte, or a number's */
	size_t klen, vlen;
	int str;
};

/* The quote that ends the string at i of s (n bytes): its index, or n
 * when a byte before it is not printable ASCII or is a backslash (an
 * escape), or there is none.  The quote found by memchr, the bytes
 * before it checked eight at a time: contract-sign reads each order's
 * line three times this way, clear once. */
static size_t
plain(const char *s, size_t i, size_t n)
{
	const char *q = memchr(s + i, '"', n - i);
	uint64_t v;
	unsigned char c;
	size_t end;

	if (q == NULL)
		return n;
	for (end = (size_t)(q - s); i + 8 <= end; i += 8) {
		memcpy(&v, s + i, 8);
		if (dk_odd8(v, 0))
			return n;
	}
	for (; i < end; i++)
		if ((c = (unsigned char)s[i]) < 0x20 || c > 0x7e || c == '\\')
			return n;
	return end;
}

static int
scan(const char *s, size_t n, struct member *m, size_t max, size_t *nm)
{
	size_t i = 0, j;

	*nm = 0;
	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return 0;
	for (i = 1; i < n - 1;) {
		if (*nm == max || s[i] != '"')
			return 0;
		m[*nm].k = s + ++i;
		if ((i = plain(s, i, n)) >= n)
			return 0;
		m[*nm].klen = (size_t)(s + i - m[*nm].k);
		if (*nm > 0) {	/* strictly increasing keys */
			size_t a = m[*nm - 1].klen, b = m[*nm].klen;
			int c = memcmp(m[*nm - 1].k, m[*nm].k, a < b ? a : b);
			if (c > 0 || (c == 0 && a >= b))
				return 0;
		}
		if (++i >= n || s[i] != ':')
			return 0;
		i++;
		if (s[i] == '"') {
			m[*nm].v = s + ++i;
			m[*nm].str = 1;
			if ((i = plain(s, i, n)) >= n)
				return 0;
			m[*nm].vlen = (size_t)(s + i - m[*nm].v);
			i++;
		} else {
			m[*nm].v = s + i;
			m[*nm].str = 0;
			j = i;
			if (s[i] == '0')
				i++;
			else
				while (i < n && s[i] >= '0' && s[i] <= '9' &&
				    i - j < 16)
					i++;
			if (i == j || (s[j] == '0' && i < n && s[i] >= '0' &&
			    s[i] <= '9'))
				return 0;
			m[*nm].vlen = i - j;
		}
		(*nm)++;
		if (s[i] == ',' && i + 1 < n - 1)
			i++;
		else if (i != n - 1)
			return 0;
	}
	return *nm > 0;
}

/* Whether line (n bytes) is a flat object in canonical form, as an order
 * or a trade of clear's output is: keys in order, ASCII strings without
 * escapes, integers of 15 digits at most (as dk_parse_flat takes them: a
 * 16th may pass 2^53 - 1); such a line parses (dk_parse), with no
 * message. */
int
dk_line_flat(const char *line, size_t n)
{
	struct member m[32];
	size_t nm, i;

	if (!scan(line, n, m, 32, &nm))
		return 0;
	for (i = 0; i < nm; i++)
		if (!m[i].str && m[i].vlen > 15)
			return 0;
	return 1;
}

static int
is(const struct member *m, const char *s)
{
	return m->klen == strlen(s) && memcmp(m->k, s, m->klen) == 0;
}

static int
num(const struct member *m, long long lo, long long hi, int64_t *out)
{
	long long v = 0;
	size_t i;

	if (m->str || m->vlen > 15)
		return 0;
	for (i = 0; i < m->vlen; i++)
		v = v * 10 + (m->v[i] - '0');
	if (v < lo || v > hi)
		return 0;
	*out = v;
	return 1;
}

static int line_read(struct dk_order *, const char *, size_t,
    const struct dk_rules *, const struct dk_registry *,
    struct dk_ordersig *, int);

int
dk_order_line(struct dk_order *o, const char *line, size_t len,
    const struct dk_rules *r, const struct dk_registry *reg,
    struct dk_ordersig *sg)
{
	return line_read(o, line, len, r, reg, sg, 1);
}

/* The same without the id (its hash), for a caller that needs only the
 * signed message (ahead.c). */
int
dk_order_line_noid(struct dk_order *o, const char *line, size_t len,
    const struct dk_rules *r, const struct dk_registry *reg,
    struct dk_ordersig *sg)
{
	return line_read(o, line, len, r, reg, sg, 0);
}

static int
line_read(struct dk_order *o, const char *line, size_t len,
    const struct dk_rules *r, const struct dk_registry *reg,
    struct dk_ordersig *sg, int id)
{
	/* canonical order: participant price side sig slot type v wh */
	static const char *const keys[] = { "participant", "price", "side",
	    "sig", "slot", "type", "v", "wh" };
	static _Thread_local char lastslot[64];
	static _Thread_local int64_t lastt;
	static _Thread_local int lastmin;
	struct member m[8];
	const struct dk_participant *p;
	struct dk_err e;
	char buf[64];
	size_t nm, i;
	int64_t v;

	memset(o, 0, sizeof(*o));
	if (!scan(line, len, m, 8, &nm) || nm != 8)
		return 0;
	for (i = 0; i < 8; i++)
		if (!is(&m[i], keys[i]) || m[i].str != (i != 1 && i < 6))
			return 0;
	if (m[5].vlen != 5 || memcmp(m[5].v, "order", 5) != 0 ||
	    !num(&m[6], 1, 1, &v) || !num(&m[7], 1, DK_MAX_WH, &o->wh) ||
	    !num(&m[1], 0, DK_MAX_PRICE, &o->price))
		return 0;
	if (m[0].vlen > DK_ID_MAX || m[0].vlen == 0)
		return 0;
	memcpy(o->participant, m[0].v, m[0].vlen);
	o->participant[m[0].vlen] = '\0';
	if (!dk_valid_id(o->participant))
		return 0;
	if (m[2].vlen == 4 && memcmp(m[2].v, "sell", 4) == 0)
		o->side = DK_SELL;
	else if (m[2].vlen == 3 && memcmp(m[2].v, "buy", 3) == 0)
		o->side = DK_BUY;
	else
		return 0;
	if (m[4].vlen >= sizeof(buf))
		return 0;
	memcpy(buf, m[4].v, m[4].vlen);
	buf[m[4].vlen] = '\0';
	if (lastmin == r->slot_minutes && strcmp(buf, lastslot) == 0)
		o->slot = lastt;
	else {
		if (dk_slot_parse(buf, r->slot_minutes, &o->slot, &e) < 0)
			return 0;
		strcpy(lastslot, buf);
		lastt = o->slot;
		lastmin = r->slot_minutes;
	}
	if ((p = dk_registry_find(reg, o->participant)) == NULL || !p->active ||
	    !dk_role_trades(p->role))
		return 0;
	if (sg != NULL) {	/* NULL: the signature is not checked */
		if (dk_unb64(m[3].v, m[3].vlen, sg->sig, 64) < 0)
			return 0;
		sg->pk = p->pk;
		/* the member "sig":"...", and the comma after it */
		sg->sigat = (size_t)(m[3].k - 1 - line);
		sg->siglen = (size_t)(m[4].k - 1 - line) - sg->sigat;
	}
	strcpy(o->zone, p->zone);
	if (id)
		dk_sha256_hex(line, len, o->id);
	o->line = line;
	o->len = len;
	return 1;
}

/* Checks the signature of an order read by dk_order_line. */
int
dk_order_line_verify(const struct dk_order *o, const struct dk_ordersig *sg)
{
	char buf[512], *msg = buf;
	size_t n = o->len - sg->siglen;
	int ok;

	if (n > sizeof(buf) && (msg = malloc(n)) == NULL)
		return -1;
	memcpy(msg, o->line, sg->sigat);
	memcpy(msg + sg->sigat, o->line + sg->sigat + sg->siglen,
	    o->len - sg->sigat - sg->siglen);
	ok = dk_verify_bytes(sg->sig, msg, n, sg->pk) == 0;
	if (msg != buf)
		free(msg);
	return ok ? 0 : -1;
}

/*
 * A line of input as an order, by the one way in: the fast path when the
 * line is canonical, else parsed and checked in full (then o->rec is the
 * parsed record, the caller's to free).  verify: the participant's
 * signature is checked too.
 */
int
dk_order_parse(struct dk_order *o, const char *line, size_t len,
    const struct dk_rules *r, const struct dk_registry *reg, int verify,
    struct dk_err *e)
{
	struct dk_ordersig sg;
	json_t *rec;

	if (dk_order_line(o, line, len, r, reg, verify ? &sg : NULL) == 1) {
		if (verify && dk_order_line_verify(o, &sg) != 0)
			return dk_fail(e, DK_EX_DATAERR, "sig: bad signature: "
			    "the record was not signed by this key, or was "
			    "changed after signing");
		return 0;
	}
	if ((rec = dk_parse(line, len, e)) == NULL)
		return -1;
	if (order_read(o, rec, r, reg, verify, NULL, e) < 0) {
		json_decref(rec);
		return -1;
	}
	return 0;
}
