/*
 * rectext.c: the canonical line of a record a settle run makes (flat, of
 * members it knows) written member by member in their sorted order, and a
 * settlement's private copy in the same pass: 600,000 lines a month.
 */
#include <stdint.h>
#include <string.h>

#include "settle.h"

/* a key as a member after another begins: its comma, quotes and colon */
#define K(s) { ",\"" s "\":", sizeof(s) - 1 }

/* Every member of a settlement, transfer or true-up, as settle.c,
 * provisional.c, island.c and monthly.c make them, in dk_canon's (memcmp)
 * order. */
static const struct {
	const char *k;		/* ,"key": */
	size_t n;		/* the key's length */
} keys[] = {
	K("amount"), K("bought_wh"), K("deviation_wh"), K("export_wh"),
	K("fee_pct"), K("fees"), K("from"), K("imbalance_price"),
	K("import_wh"), K("island"), K("island_paid"), K("island_received"),
	K("meters"), K("month"), K("net"), K("p2p_paid"), K("p2p_received"),
	K("participant"), K("provisional"), K("read_wh"), K("reason"),
	K("rent"), K("slot"), K("sold_wh"), K("tax"), K("to"),
	K("tolerance_wh"), K("type"), K("utility_paid"),
	K("utility_received"), K("v"), K("wheeling")
};
#define NK (sizeof(keys) / sizeof(keys[0]))
#define EXPORT 3
#define IMPORT 8
#define PROV 18
#define TYPE 27
#define V 30

/* Each key's place in keys + 1 at its hash, (its length + 14 x its first
 * byte + its last byte) mod 128, which no two of them share (test-rectext
 * finds each key by it). */
static const unsigned char byhash[128] = {
	0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 6, 16, 0, 0, 5, 17, 0, 0, 0, 0, 0,
	0, 19, 0, 0, 0, 0, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 20,
	0, 11, 0, 9, 21, 12, 8, 0, 22, 0, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0,
	28, 23, 0, 0, 0, 0, 0, 1, 26, 0, 0, 27, 2, 0, 0, 0, 0, 0, 25, 0, 0,
	29, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, 0, 0, 14, 0, 0, 0, 0, 0, 0, 0, 31,
	3, 0, 0, 13, 0, 32, 0, 0, 0, 0, 0, 4, 0, 0, 0, 15, 0, 0, 0, 0
};

/* The place of key k (n bytes) in keys, or -1 when it is none of them. */
int
dk_record_key(const char *k, size_t n)
{
	int i;

	if (n == 0)
		return -1;
	i = byhash[(n + 14 * (unsigned char)k[0] + (unsigned char)k[n - 1]) &
	    127] - 1;
	return i >= 0 && keys[i].n == n && memcmp(keys[i].k + 2, k, n) == 0 ?
	    i : -1;
}

struct out {
	char *p, *end;
};

static int
put(struct out *o, const char *s, size_t n)
{
	if (o->p == NULL)
		return 0;
	if ((size_t)(o->end - o->p) < n)
		return -1;
	memcpy(o->p, s, n);
	o->p += n;
	return 0;
}

/* Closes the text at o (begun at buf) and, when asked, the private copy
 * at p (begun at priv, its length to *pn): the length of the text, 0
 * when either has no room. */
static size_t
close_text(struct out *o, struct out *p, const char *buf, const char *priv,
    size_t *pn)
{
	if (put(o, "}", 1) < 0 || put(p, "}", 1) < 0)
		return 0;
	*o->p = '\0';
	if (p->p != NULL) {
		*p->p = '\0';
		if (pn != NULL)
			*pn = (size_t)(p->p - priv);
	}
	return (size_t)(o->p - buf);
}

/* The bytes a string holds as they are: printable ASCII but the quote
 * and the backslash. */
static const unsigned char plain[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

/* A string in quotes when it needs no escape; -1 when it would. */
static int
qstr(struct out *o, const char *s, size_t n)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		if (dk_odd8(w, 1))
			return -1;
	}
	for (; i < n; i++)
		if (!plain[(unsigned char)s[i]])
			return -1;
	if ((size_t)(o->end - o->p) < n + 2)
		return -1;
	*o->p = '"';
	memcpy(o->p + 1, s, n);
	o->p[n + 1] = '"';
	o->p += n + 2;
	return 0;
}

/* A value as dk_canon writes it, when it is an integer, such a string,
 * true, false, null or an array of such strings; -1 otherwise. */
static int
value(struct out *o, json_t *v)
{
	char num[24];
	size_t i, n;

	switch (json_typeof(v)) {
	case JSON_INTEGER:
		n = dk_lltoa(json_integer_value(v), num);
		return put(o, num, n);
	case JSON_STRING:
		return qstr(o, json_string_value(v), json_string_length(v));
	case JSON_TRUE:
		return put(o, "true", 4);
	case JSON_FALSE:
		return put(o, "false", 5);
	case JSON_NULL:
		return put(o, "null", 4);
	case JSON_ARRAY:
		if (put(o, "[", 1) < 0)
			return -1;
		n = json_array_size(v);
		for (i = 0; i < n; i++)
			if ((i > 0 && put(o, ",", 1) < 0) ||
			    !json_is_string(json_array_get(v, i)) ||
			    qstr(o, json_string_value(json_array_get(v, i)),
			    json_string_length(json_array_get(v, i))) < 0)
				return -1;
		return put(o, "]", 1);
	default:
		return -1;
	}
}

/*
 * rec's canonical text, dk_canon's bytes, into buf (cap bytes, the text
 * NUL-ended): its length; and with priv (pcap bytes; NULL: not wanted),
 * when rec is a settlement, its private copy's (as
 * dk_settlement_private_text cuts it) into priv, its length in *pn (0
 * when rec is not a settlement).  0 when rec has a member or a value this
 * does not write, or a text does not fit: then dk_canon is the way.  In
 * *kind (NULL: not wanted) DK_RT_OUT when rec is a provisional settlement
 * or a true-up.
 */
size_t
dk_record_text(json_t *rec, char *buf, size_t cap, char *priv, size_t pcap,
    size_t *pn, int *kind)
{
	json_t *v[NK] = { NULL };
	struct out o = { buf, buf + cap - 1 }, p = { NULL, NULL }, *q;
	const char *k, *t;
	void *it;
	size_t i;
	int x, cut;

	if (pn != NULL)
		*pn = 0;
	if (cap < 2 || !json_is_object(rec))
		return 0;
	for (it = json_object_iter(rec); it != NULL;
	    it = json_object_iter_next(rec, it)) {
		k = json_object_iter_key(it);
		if ((x = dk_record_key(k, json_object_iter_key_len(it))) < 0)
			return 0;
		v[x] = json_object_iter_value(it);
	}
	t = json_string_value(v[TYPE]);
	if (kind != NULL)
		*kind = v[PROV] != NULL || (t != NULL && strcmp(t, "trueup") ==
		    0) ? DK_RT_OUT : 0;
	if (priv != NULL && t != NULL && strcmp(t, "settlement") == 0) {
		/* a provisional one is kept whole; another needs its v */
		if (v[PROV] == NULL && v[V] == NULL)
			return 0;
		p.p = priv;
		p.end = priv + pcap - 1;
	}
	cut = p.p != NULL && v[PROV] == NULL;
	if (put(&o, "{", 1) < 0 || put(&p, "{", 1) < 0)
		return 0;
	for (i = 0; i < NK; i++) {
		if (v[i] == NULL)
			continue;
		/* ,"key": (no comma first) */
		k = keys[i].k + (o.p == buf + 1);
		if (put(&o, k, keys[i].n + 4 - (k - keys[i].k)) < 0)
			return 0;
		k = keys[i].k + (p.p == priv + 1);
		if (p.p != NULL && !(cut && (i == EXPORT || i == IMPORT)) &&
		    (put(&p, k, keys[i].n + 4 - (k - keys[i].k)) < 0 ||
		    (cut && i == V && put(&p, "2", 1) < 0)))
			return 0;
		/* the value once, copied to the private text's end */
		q = p.p != NULL && !(cut && (i == EXPORT || i == IMPORT ||
		    i == V)) ? &p : NULL;
		k = o.p;
		if (value(&o, v[i]) < 0 || (q != NULL && put(q, k,
		    (size_t)(o.p - k)) < 0))
			return 0;
	}
	return close_text(&o, &p, buf, priv, pn);
}

/* A member of a plain record: its key's place in keys, and its string,
 * or (s NULL) its integer. */
struct field {
	int k;
	const char *s;
	int64_t n;
};

#define F_INT(key, v) { (key), NULL, (v) }
#define F_STR(key, v) { (key), (v), 0 }

/*
 * dk_srec_text for a settlement or a transfer: x's canonical text, as
 * dk_canon writes dk_srec_json's record of it, into buf (cap bytes,
 * NUL-ended): its length; with priv (NULL: not wanted), a settlement's
 * private copy into priv (pcap bytes), its length in *pn (0 for a
 * transfer).  0 when a text does not fit, an integer is beyond
 * +-(2^53-1) or a string would need an escape: dk_canon of the JSON
 * record is the way then.
 */
size_t
dk_srec_text(const struct dk_srec *x, const char *ts, char *buf, size_t cap,
    char *priv, size_t pcap, size_t *pn)
{
	struct field f[24];
	struct out o = { buf, buf + cap - 1 }, p = { NULL, NULL }, *q;
	char num[24];
	const char *k;
	size_t i, nf = 0;
	int set = x->type == DK_SR_SETTLEMENT;
	unsigned fl = x->flags;

	if (pn != NULL)
		*pn = 0;
	if (cap < 2 || (x->type != DK_SR_SETTLEMENT &&
	    x->type != DK_SR_TRANSFER))
		return 0;
	/* the members in keys' order */
	if (set) {
		f[nf++] = (struct field)F_INT(1, x->bought);
		f[nf++] = (struct field)F_INT(2, x->dev);
		f[nf++] = (struct field)F_INT(EXPORT, x->exp);
		if (fl & DK_SR_FEE_PCT)
			f[nf++] = (struct field)F_INT(4, x->feepct);
		f[nf++] = (struct field)F_INT(5, x->fees);
		if (fl & DK_SR_IMB)
			f[nf++] = (struct field)F_INT(7, x->imb);
		f[nf++] = (struct field)F_INT(IMPORT, x->imp);
		f[nf++] = (struct field)F_INT(14, x->net);
		f[nf++] = (struct field)F_INT(15, x->paid);
		f[nf++] = (struct field)F_INT(16, x->received);
		f[nf++] = (struct field)F_STR(17, x->p->id);
		if (fl & DK_SR_SPLIT)
			f[nf++] = (struct field)F_INT(21, x->rent);
		f[nf++] = (struct field)F_STR(22, ts);
		f[nf++] = (struct field)F_INT(23, x->sold);
		if (fl & DK_SR_TAX)
			f[nf++] = (struct field)F_INT(24, x->tax);
		if (fl & DK_SR_TOL)
			f[nf++] = (struct field)F_INT(26, x->tol);
		f[nf++] = (struct field)F_STR(TYPE, "settlement");
		f[nf++] = (struct field)F_INT(28, x->upaid);
		f[nf++] = (struct field)F_INT(29, x->ureceived);
		f[nf++] = (struct field)F_INT(V, 1);
		if (fl & DK_SR_SPLIT)
			f[nf++] = (struct field)F_INT(31, x->wheeling);
		if (priv != NULL) {
			p.p = priv;
			p.end = priv + pcap - 1;
		}
	} else {
		f[nf++] = (struct field)F_INT(0, x->amount);
		f[nf++] = (struct field)F_STR(6, x->from);
		f[nf++] = (struct field)F_STR(20, x->reason);
		f[nf++] = (struct field)F_STR(22, ts);
		f[nf++] = (struct field)F_STR(25, x->to);
		f[nf++] = (struct field)F_STR(TYPE, "transfer");
		f[nf++] = (struct field)F_INT(V, 1);
	}
	if (put(&o, "{", 1) < 0 || put(&p, "{", 1) < 0)
		return 0;
	for (i = 0; i < nf; i++) {
		/* ,"key": (no comma first) */
		k = keys[f[i].k].k + (i == 0);
		if (put(&o, k, keys[f[i].k].n + 4 - (i == 0)) < 0)
			return 0;
		/* the private copy: no metered energy, v 2 */
		k = keys[f[i].k].k + (p.p == priv + 1);
		if (p.p != NULL && f[i].k != EXPORT && f[i].k != IMPORT &&
		    (put(&p, k, keys[f[i].k].n + 4 - (k - keys[f[i].k].k)) <
		    0 || (f[i].k == V && put(&p, "2", 1) < 0)))
			return 0;
		q = p.p != NULL && f[i].k != EXPORT && f[i].k != IMPORT &&
		    f[i].k != V ? &p : NULL;
		k = o.p;
		if (f[i].s != NULL) {
			if (qstr(&o, f[i].s, strlen(f[i].s)) < 0)
				return 0;
		} else if (f[i].n > DK_MAX_SAFE_INT ||
		    f[i].n < -DK_MAX_SAFE_INT ||
		    put(&o, num, dk_lltoa(f[i].n, num)) < 0)
			return 0;
		if (q != NULL && put(q, k, (size_t)(o.p - k)) < 0)
			return 0;
	}
	return close_text(&o, &p, buf, priv, pn);
}
