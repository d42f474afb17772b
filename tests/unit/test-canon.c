/* Unit tests for lib/core/canon.c: dk_canon writes the bytes of
 * json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT), whatever the value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static unsigned long long rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

/* A string of ASCII, every control character, quotes and backslashes,
 * and now and then UTF-8 (which dk_canon leaves to jansson). */
static void
rstring(char *s, size_t *len, int utf8)
{
	static const char *pick[] = { "a", "z", "_", "0", "\"", "\\", "/",
		"\x7f", " ", "{", ":", ",", "\xc3\xa9", "\xe6\x97\xa5" };
	size_t n = rnd(12), i, k = 0;
	const char *p;
	int c;

	for (i = 0; i < n; i++) {
		if (rnd(4) == 0) {
			c = (int)rnd(0x20);
			s[k++] = (char)c;
			continue;
		}
		p = pick[rnd(utf8 ? 14 : 12)];
		memcpy(s + k, p, strlen(p));
		k += strlen(p);
	}
	s[k] = '\0';
	*len = k;
}

static json_t *
rvalue(int depth, int utf8, int reals)
{
	char s[128];
	size_t len, n, i;
	json_t *v;

	switch (depth > 4 ? 2 + rnd(5) : rnd(8)) {
	case 0:
	case 1:
		v = json_object();
		n = rnd(3) == 0 ? 20 + rnd(30) : rnd(6);
		for (i = 0; i < n; i++) {
			rstring(s, &len, utf8);
			if (rnd(3) == 0)
				snprintf(s, sizeof(s), "k%u", rnd(100));
			json_object_setn_new_nocheck(v, s, strlen(s),
			    rvalue(depth + 1, utf8, reals));
		}
		return v;
	case 2:
		v = json_array();
		n = rnd(5);
		for (i = 0; i < n; i++)
			json_array_append_new(v, rvalue(depth + 1, utf8,
			    reals));
		return v;
	case 3:
		rstring(s, &len, utf8);
		return json_stringn_nocheck(s, len);
	case 4:
		switch (rnd(4)) {
		case 0: return json_integer(0);
		case 1: return json_integer(-(json_int_t)rnd(1000000));
		case 2: return json_integer(DK_MAX_SAFE_INT);
		default: return json_integer(INT64_MIN);
		}
	case 5:
		if (reals && rnd(2) == 0)
			return json_real(rnd(1000) / 7.0);
		return rnd(2) ? json_true() : json_false();
	default:
		return json_null();
	}
}

static int
same(json_t *v)
{
	char *a = dk_canon(v), *b = json_dumps(v, JSON_SORT_KEYS |
	    JSON_COMPACT);
	int ok = (a == NULL && b == NULL) || (a != NULL && b != NULL &&
	    strcmp(a, b) == 0);

	if (!ok)
		fprintf(stderr, "dk_canon:   %s\njson_dumps: %s\n",
		    a ? a : "(null)", b ? b : "(null)");
	free(a);
	free(b);
	return ok;
}

int
main(void)
{
	json_t *v, *a, *o;
	char big[200];
	int i, bad;

	/* integers as printf writes them, the extremes too */
	{
		static const long long ll[] = { 0, 1, -1, 9, 10, -10, 99,
		    1234567890123LL, -9007199254740991LL, 9223372036854775807LL,
		    -9223372036854775807LL - 1 };
		char p[32], q[24];
		size_t k;

		for (k = 0; k < sizeof(ll) / sizeof(ll[0]); k++) {
			snprintf(p, sizeof(p), "%lld", ll[k]);
			CHECK_INT(dk_lltoa(ll[k], q), strlen(p));
			CHECK_STR(q, p);
		}
	}

	/* what the ledger holds */
	v = json_pack("{s:s,s:i,s:s,s:I,s:[i,s,b,n]}", "type", "reading",
	    "v", 1, "meter", "m-1\n\"q\"\\", "import_wh",
	    (json_int_t)-9007199254740991LL, "x", 1, "", 0, 0);
	CHECK(same(v));
	json_decref(v);
	v = json_object();
	a = json_array();
	CHECK(same(v) && same(a));
	json_decref(v);
	json_decref(a);

	/* the keys sorted as bytes, a key a prefix of another first */
	v = json_object();
	json_object_set_new(v, "ab", json_integer(1));
	json_object_set_new(v, "a", json_integer(2));
	json_object_set_new(v, "B", json_integer(3));
	json_object_setn_new_nocheck(v, "a\0b", 3, json_integer(4));
	{
		char *c = dk_canon(v);
		CHECK_STR(c, "{\"B\":3,\"a\":2,\"a\\u0000b\":4,\"ab\":1}");
		free(c);
	}
	CHECK(same(v));
	json_decref(v);

	/* more keys than the stack holds */
	v = json_object();
	for (i = 0; i < 300; i++) {
		snprintf(big, sizeof(big), "k%d", (i * 7919) % 300);
		json_object_set_new(v, big, json_integer(i));
	}
	CHECK(same(v));
	json_decref(v);

	/* not an object or array: NULL, as jansson */
	v = json_string("x");
	CHECK(dk_canon(v) == NULL);
	json_decref(v);
	v = json_integer(1);
	CHECK(dk_canon(v) == NULL);
	json_decref(v);
	CHECK(dk_canon(NULL) == NULL);

	/* a real, UTF-8 and bad UTF-8: jansson's own answer */
	v = json_pack("{s:f,s:s}", "r", 0.5, "u", "\xc3\xa9t\xc3\xa9");
	CHECK(same(v));
	json_decref(v);
	v = json_pack("[o]", json_stringn_nocheck("\xff\xfe", 2));
	CHECK(same(v));
	json_decref(v);

	/* a loop: NULL, as jansson */
	a = json_array();
	o = json_object();
	json_array_append(a, o);
	json_object_set(o, "a", a);
	CHECK(dk_canon(a) == NULL);
	json_object_del(o, "a");
	json_decref(o);
	json_decref(a);

	/* deep nesting, past where dk_canon hands over */
	v = json_array();
	for (i = 0, a = v; i < 60; i++) {
		o = json_array();
		json_array_append_new(a, o);
		a = o;
	}
	CHECK(same(v));
	json_decref(v);

	/* random values, ASCII only, then with UTF-8 and reals */
	for (i = 0, bad = 0; i < 20000; i++) {
		v = rvalue(0, i >= 10000, i >= 15000);
		if (!same(v))
			bad++;
		json_decref(v);
	}
	CHECK_INT(bad, 0);
	return check_done("test-canon");
}
