/* canon.c: canonical JSON text (dk_canon), the bytes of jansson's sorted
 * compact dump written straight into one buffer: the ledger's writers
 * make one for every entry, reading and record. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/*
 * The text is json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT), byte for
 * byte: an object's keys in memcmp order (a shorter key first), no white
 * space, in strings \" \\ \b \f \n \r \t and \u00XX (upper case) for the
 * other control characters, every other byte as it is, integers in
 * decimal.  What jansson writes otherwise, or refuses, goes to jansson
 * itself: a real, a string or key with a byte above 0x7F (jansson checks
 * its UTF-8), nesting deeper than MAXDEPTH (jansson's loop check), and a
 * value that is not an object or an array (NULL).
 */

#define MAXDEPTH 32
#define SMALL 24	/* an object's keys sorted on the stack up to this */

struct buf {
	char *p;
	size_t n, cap;
	int other;	/* something for jansson: give up */
};

static int
grow(struct buf *b, size_t more)
{
	size_t cap;
	char *np;

	if (b->n + more + 1 <= b->cap)
		return 0;
	for (cap = b->cap ? b->cap : 256; cap < b->n + more + 1; cap *= 2)
		;
	if ((np = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = np;
	b->cap = cap;
	return 0;
}

static int
put(struct buf *b, const char *s, size_t n)
{
	if (grow(b, n) < 0)
		return -1;
	memcpy(b->p + b->n, s, n);
	b->n += n;
	return 0;
}

static int
putc1(struct buf *b, char c)
{
	if (grow(b, 1) < 0)
		return -1;
	b->p[b->n++] = c;
	return 0;
}

static int
str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i, run;
	unsigned char c;
	char esc[6];
	int k;

	/* at most 6 bytes a byte, and the quotes */
	if (grow(b, n + 2) < 0 || putc1(b, '"') < 0)
		return -1;
	for (i = 0; i < n; i += run) {
		for (run = 0; i + run < n; run++) {
			c = (unsigned char)s[i + run];
			if (c < 0x20 || c == '"' || c == '\\' || c > 0x7F)
				break;
		}
		if (run > 0) {
			if (put(b, s + i, run) < 0)
				return -1;
			continue;
		}
		c = (unsigned char)s[i];
		if (c > 0x7F) {
			b->other = 1;
			return -1;
		}
		k = 2;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			k = 6;
		}
		if (put(b, esc, k) < 0)
			return -1;
		run = 1;
	}
	return putc1(b, '"');
}

struct kv {
	const char *k;
	size_t len;
	json_t *v;
};

/* v in decimal, as "%lld" writes it, into out (NUL-ended): its length.
 * printf's machinery cost a settle run a tenth of its dumps. */
size_t
dk_lltoa(long long v, char out[24])
{
	char t[24], *p = t + sizeof(t);
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v :
	    (unsigned long long)v;
	size_t n;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (v < 0)
		*--p = '-';
	n = (size_t)(t + sizeof(t) - p);
	memcpy(out, p, n);
	out[n] = '\0';
	return n;
}

static int
kvcmp(const void *x, const void *y)
{
	const struct kv *a = x, *b = y;
	int c = memcmp(a->k, b->k, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int value(struct buf *, json_t *, int);

static int
object(struct buf *b, json_t *v, int depth)
{
	struct kv small[SMALL], *kv = small, t;
	size_t n = json_object_size(v), i, j;
	void *it;
	int rc = 0;

	if (n > SMALL && (kv = malloc(n * sizeof(*kv))) == NULL)
		return -1;
	for (i = 0, it = json_object_iter(v); it != NULL && i < n;
	    it = json_object_iter_next(v, it), i++) {
		kv[i].k = json_object_iter_key(it);
		kv[i].len = json_object_iter_key_len(it);
		kv[i].v = json_object_iter_value(it);
	}
	n = i;
	if (n > SMALL)
		qsort(kv, n, sizeof(*kv), kvcmp);
	else
		for (i = 1; i < n; i++)
			for (j = i; j > 0 && kvcmp(&kv[j - 1], &kv[j]) > 0;
			    j--) {
				t = kv[j];
				kv[j] = kv[j - 1];
				kv[j - 1] = t;
			}
	rc = putc1(b, '{');
	for (i = 0; rc == 0 && i < n; i++)
		if ((i > 0 && putc1(b, ',') < 0) ||
		    str(b, kv[i].k, kv[i].len) < 0 || putc1(b, ':') < 0 ||
		    value(b, kv[i].v, depth + 1) < 0)
			rc = -1;
	if (rc == 0)
		rc = putc1(b, '}');
	if (kv != small)
		free(kv);
	return rc;
}

static int
value(struct buf *b, json_t *v, int depth)
{
	char num[24];
	size_t i, n;

	if (depth > MAXDEPTH) {
		b->other = 1;
		return -1;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return object(b, v, depth);
	case JSON_ARRAY:
		if (putc1(b, '[') < 0)
			return -1;
		n = json_array_size(v);
		for (i = 0; i < n; i++)
			if ((i > 0 && putc1(b, ',') < 0) ||
			    value(b, json_array_get(v, i), depth + 1) < 0)
				return -1;
		return putc1(b, ']');
	case JSON_STRING:
		return str(b, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		n = dk_lltoa(json_integer_value(v), num);
		return put(b, num, n);
	case JSON_TRUE:
		return put(b, "true", 4);
	case JSON_FALSE:
		return put(b, "false", 5);
	case JSON_NULL:
		return put(b, "null", 4);
	default:
		b->other = 1;
		return -1;
	}
}

char *
dk_canon(json_t *v)
{
	struct buf b = { NULL, 0, 0, 0 };

	if (v == NULL || (!json_is_object(v) && !json_is_array(v)))
		return NULL;
	if (value(&b, v, 0) < 0) {
		free(b.p);
		return b.other ? dk_json_dumps(v, JSON_SORT_KEYS |
		    JSON_COMPACT) : NULL;
	}
	b.p[b.n] = '\0';
	return b.p;
}
