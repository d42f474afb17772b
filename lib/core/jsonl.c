/* jsonl.c: JSON lines: reading them one at a time with their line numbers,
 * parsing in the canonical profile (RFC 8785 restricted: integers, no
 * duplicates), writing canonical text, and typed field getters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int
dk_reader_open(struct dk_reader *r, const char *path, struct dk_err *e)
{
	memset(r, 0, sizeof(*r));
	if (path == NULL || strcmp(path, "-") == 0) {
		r->fp = stdin;
		r->name = "stdin";
		return 0;
	}
	r->fp = fopen(path, "r");
	if (r->fp == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", path,
		    strerror(errno));
	r->name = path;
	r->owned = 1;
	return 0;
}

/* Returns the length of the next line without its newline, -1 at the end
 * of input (e->status 0) or on a read error (e->status 74). */
long
dk_reader_next(struct dk_reader *r, char **line, struct dk_err *e)
{
	ssize_t n;

	errno = 0;
	n = getline(&r->buf, &r->cap, r->fp);
	if (n < 0) {
		if (ferror(r->fp)) {
			dk_fail(e, DK_EX_IOERR, "%s: read error: %s", r->name,
			    strerror(errno));
			return -1;
		}
		e->status = 0;
		return -1;
	}
	r->line++;
	r->torn = 0;
	if (n > 0 && r->buf[n - 1] == '\n')
		r->buf[--n] = '\0';
	else
		r->torn = 1;
	*line = r->buf;
	return n;
}

void
dk_reader_close(struct dk_reader *r)
{
	if (r->owned && r->fp != NULL)
		fclose(r->fp);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static int
key_ok(const char *k)
{
	if (*k == '\0')
		return 0;
	for (; *k != '\0'; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
		    *k == '_'))
			return 0;
	return 1;
}

/* The profile of RFC 8785 in which jansson's sorted compact output is JCS:
 * integers within +-(2^53-1), no reals, keys [a-z0-9_], and no control
 * characters but the five with short escapes. */
static int
profile(json_t *v, const char *where, int depth, struct dk_err *e)
{
	const char *k, *s;
	json_t *x;
	size_t i, len;

	if (depth > 16)
		return dk_fail(e, DK_EX_DATAERR, "%s: nested too deeply",
		    where);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		json_object_foreach(v, k, x) {
			if (!key_ok(k))
				return dk_fail(e, DK_EX_DATAERR,
				    "key \"%.40s\": must be [a-z0-9_]", k);
			if (profile(x, k, depth + 1, e) < 0)
				return -1;
		}
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, x)
			if (profile(x, where, depth + 1, e) < 0)
				return -1;
		return 0;
	case JSON_REAL:
		return dk_fail(e, DK_EX_DATAERR,
		    "%s: must be an integer, got a number with a fraction or "
		    "exponent", where);
	case JSON_INTEGER:
		if (json_integer_value(v) > DK_MAX_SAFE_INT ||
		    json_integer_value(v) < -DK_MAX_SAFE_INT)
			return dk_fail(e, DK_EX_DATAERR,
			    "%s: integer beyond +-(2^53-1)", where);
		return 0;
	case JSON_STRING:
		s = json_string_value(v);
		len = json_string_length(v);
		for (i = 0; i < len; i++) {
			unsigned char c = s[i];
			if (c < 0x20 && c != '\b' && c != '\t' && c != '\n' &&
			    c != '\f' && c != '\r')
				return dk_fail(e, DK_EX_DATAERR,
				    "%s: control character U+%04X in string",
				    where, c);
		}
		return 0;
	default:
		return 0;
	}
}

int
dk_profile_check(json_t *v, struct dk_err *e)
{
	return profile(v, "value", 0, e);
}

json_t *
dk_parse(const char *buf, size_t len, struct dk_err *e)
{
	json_error_t je;
	json_t *v;

	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		dk_fail(e, DK_EX_DATAERR, "malformed JSON at column %d: %s",
		    je.column, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		json_decref(v);
		dk_fail(e, DK_EX_DATAERR, "must be a JSON object");
		return NULL;
	}
	if (profile(v, "value", 0, e) < 0) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/*
 * A line that is a flat object already in canonical form: keys
 * [a-z0-9_] in strictly rising order, values strings of printable ASCII
 * without escapes, integers of at most 15 digits (well inside the
 * profile; no -0), null, true or false: each member set in o (NULL: only
 * checked).  -1 for any other line.
 */
static int
flat(const char *s, size_t n, json_t *o)
{
	const char *k, *p, *pk = NULL;
	size_t i, kl, pkl = 0;
	long long x;
	json_t *v = NULL;
	int c, neg;

	if (n < 2 || s[0] != '{' || s[n - 1] != '}')
		return -1;
	for (i = 1; i < n - 1;) {
		if (s[i] != '"')
			return -1;
		for (k = s + ++i; (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'; i++)
			;
		kl = (size_t)(s + i - k);
		if (kl == 0 || s[i] != '"' || s[i + 1] != ':')
			return -1;
		if (pk != NULL && ((c = memcmp(pk, k, pkl < kl ? pkl : kl)) > 0 ||
		    (c == 0 && pkl >= kl)))
			return -1;
		pk = k;
		pkl = kl;
		i += 2;
		if (s[i] == '"') {
			for (p = s + ++i; i < n - 1 && s[i] != '"' &&
			    s[i] != '\\' && (unsigned char)s[i] >= 0x20 &&
			    (unsigned char)s[i] < 0x7f; i++)
				;
			if (s[i] != '"')
				return -1;
			if (o != NULL)
				v = json_stringn_nocheck(p, (size_t)(s + i - p));
			i++;
		} else if (i + 4 <= n - 1 && (memcmp(s + i, "null", 4) == 0 ||
		    memcmp(s + i, "true", 4) == 0)) {
			if (o != NULL)
				v = s[i] == 'n' ? json_null() : json_true();
			i += 4;
		} else if (i + 5 <= n - 1 && memcmp(s + i, "false", 5) == 0) {
			if (o != NULL)
				v = json_false();
			i += 5;
		} else {
			neg = s[i] == '-';
			for (p = s + (i += neg), x = 0; s[i] >= '0' &&
			    s[i] <= '9' && s + i - p < 16; i++)
				x = x * 10 + (s[i] - '0');
			if (s + i == p || s + i - p > 15 || (*p == '0' &&
			    (s + i - p > 1 || neg)))
				return -1;
			if (o != NULL)
				v = json_integer(neg ? -x : x);
		}
		if (o != NULL && json_object_setn_new_nocheck(o, k, kl, v) < 0)
			return -1;
		if (s[i] == ',' && i + 1 < n - 1)
			i++;
		else if (i != n - 1)
			return -1;
	}
	return 0;
}

/* dk_parse's tree of a flat line (flat()), built without the parser;
 * NULL for any other line, which dk_parse then reads and judges. */
json_t *
dk_parse_flat(const char *s, size_t n)
{
	json_t *o;

	if (n < 2 || s[0] != '{' || (o = json_object()) == NULL)
		return NULL;
	if (flat(s, n, o) < 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Whether s (n bytes) is a flat line (flat()), which is in the profile:
 * the ledger checks the text it writes so rather than walk its record's
 * tree (0: not such a line; dk_profile_check then judges). */
int
dk_profile_flat(const char *s, size_t n)
{
	return flat(s, n, NULL) == 0;
}

/* One member's value alone, checked as dk_parse checks it inside its
 * object: for a reader that knows the bytes around it. */
json_t *
dk_parse_member(const char *buf, size_t len, const char *key,
    struct dk_err *e)
{
	json_error_t je;
	json_t *v;

	v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (v == NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: malformed JSON at column %d: %s",
		    key, je.column, je.text);
		return NULL;
	}
	if (profile(v, key, 1, e) < 0) {
		json_decref(v);
		return NULL;
	}
	return v;
}

/*
 * Whether the bytes of a value that dk_parse or dk_parse_member accepted
 * (valid JSON, in the profile) are its canonical form, what dk_canon would
 * write, without writing it: no white space outside strings, each object's
 * keys in strictly rising byte order, no "-0", and in strings no escape
 * but the seven jansson writes (\" \\ \b \f \n \r \t).  Keys are
 * [a-z0-9_], so they hold no escape and compare as bytes.
 */
int
dk_is_canonical(const char *s, size_t n)
{
	const char *key[18];	/* each open object's last key */
	size_t klen[18], i = 0, kl, m;
	int depth = 0, is_obj[18], want_key[18], c;

	is_obj[0] = want_key[0] = 0;
	while (i < n) {
		switch (s[i]) {
		case '{':
		case '[':
			if (depth >= 17)
				return 0;
			depth++;
			is_obj[depth] = want_key[depth] = s[i] == '{';
			key[depth] = NULL;
			klen[depth] = 0;
			i++;
			break;
		case '}':
		case ']':
			if (depth > 0)
				depth--;
			i++;
			break;
		case ',':
			want_key[depth] = is_obj[depth];
			i++;
			break;
		case '"':
			if (want_key[depth]) {
				/* a key: its bytes up to the quote */
				const char *k = s + i + 1;
				for (kl = 0; i + 1 + kl < n && k[kl] != '"'; kl++)
					if (k[kl] == '\\' ||
					    (unsigned char)k[kl] < 0x20)
						return 0;
				if (key[depth] != NULL) {
					m = kl < klen[depth] ? kl : klen[depth];
					c = memcmp(key[depth], k, m);
					if (c > 0 || (c == 0 && klen[depth] >= kl))
						return 0;
				}
				key[depth] = k;
				klen[depth] = kl;
				want_key[depth] = 0;
				i += kl + 2;
				break;
			}
			for (i++; i < n && s[i] != '"'; i++)
				if ((unsigned char)s[i] < 0x20)
					return 0;
				else if (s[i] == '\\') {
					char e = ++i < n ? s[i] : 0;
					if (e != '"' && e != '\\' && e != 'b' &&
					    e != 'f' && e != 'n' && e != 'r' &&
					    e != 't')
						return 0;
				}
			i++;
			break;
		case '-':
			if (i + 1 < n && s[i + 1] == '0')
				return 0;
			i++;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			return 0;
		default:
			/* a control byte (a NUL after a number, which the
			 * parser stops at) is never in what dk_canon writes */
			if ((unsigned char)s[i] < 0x20)
				return 0;
			i++;
			break;
		}
	}
	return 1;
}

char *
dk_canon_without(json_t *obj, const char *key)
{
	json_t *c;
	char *s;

	c = json_copy(obj);
	if (c == NULL)
		return NULL;
	json_object_del(c, key);
	s = dk_canon(c);
	json_decref(c);
	return s;
}

/* One record, one line, one fwrite: never a partial record. */
int
dk_emit(FILE *fp, json_t *v)
{
	char *s;
	size_t n;
	int rc = 0;

	s = dk_canon(v);
	if (s == NULL)
		return -1;
	n = strlen(s);
	s[n] = '\n';
	if (fwrite(s, 1, n + 1, fp) != n + 1)
		rc = -1;
	free(s);
	return rc;
}

int
dk_get_int(json_t *obj, const char *key, long long min, long long max,
    long long *out, struct dk_err *e)
{
	json_t *v = json_object_get(obj, key);
	long long x;

	if (v == NULL)
		return dk_fail(e, DK_EX_DATAERR, "%s: missing", key);
	if (!json_is_integer(v)) {
		char *g = dk_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		dk_fail(e, DK_EX_DATAERR, "%s: must be an integer, got %.40s",
		    key, g ? g : "?");
		free(g);
		return -1;
	}
	x = json_integer_value(v);
	if (x < min || x > max)
		return dk_fail(e, DK_EX_DATAERR,
		    "%s: must be from %lld to %lld, got %lld", key, min, max,
		    x);
	*out = x;
	return 0;
}

const char *
dk_get_str(json_t *obj, const char *key, struct dk_err *e)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL) {
		dk_fail(e, DK_EX_DATAERR, "%s: missing", key);
		return NULL;
	}
	if (!json_is_string(v)) {
		char *g = dk_json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		dk_fail(e, DK_EX_DATAERR, "%s: must be a string, got %.40s",
		    key, g ? g : "?");
		free(g);
		return NULL;
	}
	return json_string_value(v);
}

const char *
dk_get_id(json_t *obj, const char *key, struct dk_err *e)
{
	const char *s = dk_get_str(obj, key, e);

	if (s == NULL)
		return NULL;
	if (!dk_valid_id(s)) {
		dk_fail(e, DK_EX_DATAERR,
		    "%s: must be 1 to 32 of [A-Za-z0-9._-], got \"%.40s\"",
		    key, s);
		return NULL;
	}
	return s;
}

int
dk_check_type(json_t *obj, const char *type, struct dk_err *e)
{
	const char *t;
	long long v;

	if ((t = dk_get_str(obj, "type", e)) == NULL)
		return -1;
	if (strcmp(t, type) != 0)
		return dk_fail(e, DK_EX_DATAERR,
		    "type: must be \"%s\", got \"%.40s\"", type, t);
	if (dk_get_int(obj, "v", 1, 1, &v, e) < 0)
		return -1;
	return 0;
}

/* The first field in which two records differ ("type" when one is not an
 * object), for a message. */
const char *
dk_first_diff(json_t *a, json_t *b)
{
	const char *k;
	json_t *v;

	if (!json_is_object(a) || !json_is_object(b))
		return "type";
	json_object_foreach(a, k, v)
		if (!json_equal(v, json_object_get(b, k)))
			return k;
	json_object_foreach(b, k, v)
		if (json_object_get(a, k) == NULL)
			return k;
	return "(none)";
}
