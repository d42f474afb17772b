/* Unit tests for lib/core/jsonl.c: the canonical JSON profile and line reading. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static const char *jcs = "tests/fixtures/jcs";

static json_t *
parse(const char *s, struct dk_err *e)
{
	memset(e, 0, sizeof(*e));
	return dk_parse(s, strlen(s), e);
}

/* Parses s, which must be accepted, and returns its canonical form. */
static char *
canon_of(const char *s)
{
	struct dk_err e;
	json_t *v = parse(s, &e);
	char *c;

	if (v == NULL) {
		fprintf(stderr, "unexpected reject of %s: %s\n", s, e.msg);
		return NULL;
	}
	c = dk_canon(v);
	json_decref(v);
	return c;
}

static void
check_rejects(const char *s, const char *msgpart, int line)
{
	struct dk_err e;
	json_t *v = parse(s, &e);

	CHECKF(v == NULL, "line %d: %s was accepted", line, s);
	CHECKF(e.status == DK_EX_DATAERR, "line %d: %s: status %d", line, s,
	    e.status);
	if (msgpart != NULL)
		CHECKF(strstr(e.msg, msgpart) != NULL,
		    "line %d: %s: message \"%s\" lacks \"%s\"", line, s, e.msg,
		    msgpart);
	json_decref(v);
}
#define REJECTS(s, m) check_rejects((s), (m), __LINE__)

static void
check_accepts(const char *s, const char *want, int line)
{
	char *c = canon_of(s);

	CHECKF(c != NULL && strcmp(c, want) == 0,
	    "line %d: canon of %s\n  got  %s\n  want %s", line, s,
	    c ? c : "(rejected)", want);
	free(c);
}
#define ACCEPTS(s, w) check_accepts((s), (w), __LINE__)

static void
test_fixtures(void)
{
	/* jansson's sorted compact output is byte for byte RFC 8785 here */
	static const char *same[] = { "arrays.json", "french.json",
		"unicode.json", NULL };
	/* and each fixture is outside denki's profile, for its own reason */
	static const struct {
		const char *file, *msg;
	} rej[] = {
		{ "arrays.json", "must be a JSON object" },
		{ "french.json", "must be [a-z0-9_]" },
		{ "unicode.json", "key \"Unnormalized Unicode\": must be "
		    "[a-z0-9_]" },
		{ "structures.json", "must be [a-z0-9_]" },
		{ "values.json", "numbers: must be an integer, got a number "
		    "with a fraction or exponent" },
		{ "weird.json", "must be [a-z0-9_]" },
		{ NULL, NULL }
	};
	char path[512], *in, *out, *c;
	size_t inlen = 0, outlen = 0;
	json_error_t je;
	struct dk_err e;
	json_t *v;
	int i;

	for (i = 0; same[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/input/%s", jcs, same[i]);
		in = slurp(path, &inlen);
		snprintf(path, sizeof(path), "%s/output/%s", jcs, same[i]);
		out = slurp(path, &outlen);
		CHECKF(in != NULL && out != NULL, "%s: fixture missing",
		    same[i]);
		if (in == NULL || out == NULL) {
			free(in);
			free(out);
			continue;
		}
		v = json_loadb(in, inlen, JSON_REJECT_DUPLICATES, &je);
		CHECKF(v != NULL, "%s: %s", same[i], je.text);
		c = v ? dk_canon(v) : NULL;
		CHECKF(c != NULL && strlen(c) == outlen &&
		    memcmp(c, out, outlen) == 0, "%s: canon\n  got  %s\n"
		    "  want %s", same[i], c ? c : "(null)", out);
		free(c);
		json_decref(v);
		free(in);
		free(out);
	}
	for (i = 0; rej[i].file != NULL; i++) {
		snprintf(path, sizeof(path), "%s/input/%s", jcs, rej[i].file);
		in = slurp(path, &inlen);
		if (in == NULL) {
			CHECKF(0, "%s: fixture missing", rej[i].file);
			continue;
		}
		memset(&e, 0, sizeof(e));
		v = dk_parse(in, inlen, &e);
		CHECKF(v == NULL, "%s: dk_parse accepted it", rej[i].file);
		CHECK_INT(e.status, DK_EX_DATAERR);
		CHECKF(strstr(e.msg, rej[i].msg) != NULL,
		    "%s: message \"%s\" lacks \"%s\"", rej[i].file, e.msg,
		    rej[i].msg);
		json_decref(v);
		free(in);
	}
}

static void
test_canon_profile(void)
{
	/* RFC 8785 output for inputs inside the profile, written by hand */
	ACCEPTS("{ \"b\" : [1, -2, {\"z\": \"\\u00e9\\ud83d\\ude02\", "
	    "\"a\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}],\n \"a_1\": "
	    "9007199254740991, \"a\": -9007199254740991, \"0\": true, "
	    "\"e\": null, \"c\": \"\\u007f\\u0041\", \"f\": false}",
	    "{\"0\":true,\"a\":-9007199254740991,\"a_1\":9007199254740991,"
	    "\"b\":[1,-2,{\"a\":\"\\\"\\\\/\\b\\f\\n\\r\\t\","
	    "\"z\":\"\xc3\xa9\xf0\x9f\x98\x82\"}],\"c\":\"\x7f" "A\","
	    "\"e\":null,\"f\":false}");
	/* -0 is the integer 0, written "0" */
	ACCEPTS("{\"n\":-0}", "{\"n\":0}");
	/* U+2028 and U+2029 stay raw in JCS */
	ACCEPTS("{\"s\":\"\\u2028\\u2029\"}",
	    "{\"s\":\"\xe2\x80\xa8\xe2\x80\xa9\"}");
	ACCEPTS("{}", "{}");
	ACCEPTS("{\"a\":{},\"b\":[]}", "{\"a\":{},\"b\":[]}");
	/* byte order of [a-z0-9_] keys: digits < '_' < letters */
	ACCEPTS("{\"z\":1,\"_\":2,\"a\":3,\"9\":4,\"a_\":5,\"aa\":6,"
	    "\"a9\":7}",
	    "{\"9\":4,\"_\":2,\"a\":3,\"a9\":7,\"a_\":5,\"aa\":6,\"z\":1}");
	/* nesting up to the limit, and beyond */
	ACCEPTS("{\"a\":{\"b\":[[{\"c\":[]}]]}}",
	    "{\"a\":{\"b\":[[{\"c\":[]}]]}}");
	{
		char deep[256];
		int i, n = 0;

		/* the object at depth 0 plus 16 arrays: depth 16 is fine */
		n += snprintf(deep + n, sizeof(deep) - n, "{\"a\":");
		for (i = 0; i < 16; i++)
			deep[n++] = '[';
		for (i = 0; i < 16; i++)
			deep[n++] = ']';
		snprintf(deep + n, sizeof(deep) - n, "}");
		ACCEPTS(deep, deep);
		n = snprintf(deep, sizeof(deep), "{\"a\":");
		for (i = 0; i < 17; i++)
			deep[n++] = '[';
		for (i = 0; i < 17; i++)
			deep[n++] = ']';
		snprintf(deep + n, sizeof(deep) - n, "}");
		REJECTS(deep, "nested too deeply");
	}
}

static void
test_parse_rejects(void)
{
	struct dk_err e;
	json_t *v;

	REJECTS("{\"a\":1,\"a\":2}", "malformed JSON");
	REJECTS("{\"a\":{\"b\":1,\"b\":1}}", "malformed JSON");
	REJECTS("{\"a\":1.0}", "a: must be an integer, got a number with a "
	    "fraction or exponent");
	REJECTS("{\"a\":1e3}", "must be an integer");
	REJECTS("{\"a\":[1,2.5]}", "must be an integer");
	REJECTS("{\"a\":{\"b\":0.5}}", "b: must be an integer");
	REJECTS("{\"a\":9007199254740992}", "a: integer beyond +-(2^53-1)");
	REJECTS("{\"a\":-9007199254740992}", "integer beyond +-(2^53-1)");
	REJECTS("{\"a\":[9223372036854775807]}", "integer beyond");
	REJECTS("{\"a\":99999999999999999999}", NULL);	/* beyond int64 */
	ACCEPTS("{\"a\":9007199254740991}", "{\"a\":9007199254740991}");
	ACCEPTS("{\"a\":-9007199254740991}", "{\"a\":-9007199254740991}");
	/* control characters: only the five with short escapes */
	ACCEPTS("{\"s\":\"\\b\\t\\n\\f\\r\"}", "{\"s\":\"\\b\\t\\n\\f\\r\"}");
	REJECTS("{\"s\":\"\\u0001\"}", "s: control character U+0001 in "
	    "string");
	REJECTS("{\"s\":\"a\\u001fb\"}", "control character U+001F");
	REJECTS("{\"s\":\"\\u000b\"}", "control character U+000B");
	REJECTS("{\"s\":[\"ok\",\"\\u0000\"]}", NULL);
	REJECTS("{\"s\":\"raw\ttab\"}", NULL);	/* unescaped: bad JSON */
	/* keys */
	REJECTS("{\"Type\":1}", "key \"Type\": must be [a-z0-9_]");
	REJECTS("{\"a\":{\"B\":1}}", "key \"B\": must be [a-z0-9_]");
	REJECTS("{\"a\":[{\"x-y\":1}]}", "key \"x-y\"");
	REJECTS("{\"\":1}", "must be [a-z0-9_]");
	REJECTS("{\"a b\":1}", "must be [a-z0-9_]");
	REJECTS("{\"\\u00e9\":1}", "must be [a-z0-9_]");
	/* non-objects, and not JSON */
	REJECTS("[]", "must be a JSON object");
	REJECTS("[{\"a\":1}]", "must be a JSON object");
	REJECTS("1", NULL);
	REJECTS("\"s\"", NULL);
	REJECTS("null", NULL);
	REJECTS("", "malformed JSON");
	REJECTS("{\"a\":1} {}", "malformed JSON");
	REJECTS("{\"a\":1,}", "malformed JSON");
	REJECTS("{\"s\":\"\xff\"}", "malformed JSON");	/* not UTF-8 */
	REJECTS("{\"s\":\"\\ud800\"}", "malformed JSON");	/* lone surrogate */

	/* the length is honoured: what follows it is not read */
	memset(&e, 0, sizeof(e));
	v = dk_parse("{\"a\":1}garbage", 7, &e);
	CHECK(v != NULL);
	CHECK_INT(json_integer_value(json_object_get(v, "a")), 1);
	json_decref(v);

	/* dk_profile_check on values built in memory */
	v = json_pack("{s:f}", "x", 1.5);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_profile_check(v, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	json_decref(v);
	v = json_pack("{s:I}", "x", (json_int_t)DK_MAX_SAFE_INT);
	CHECK_INT(dk_profile_check(v, &e), 0);
	json_decref(v);
}

static void
test_get(void)
{
	struct dk_err e;
	long long x = 42;
	const char *s;
	json_t *o;

	o = json_pack("{s:i,s:s,s:i,s:s,s:s,s:I,s:s}", "wh", 0, "str", "x",
	    "n", 5, "id", "kn1.meter-2", "badid", "-x", "big",
	    (json_int_t)DK_MAX_SAFE_INT, "type", "order");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_get_int(o, "wh", 1, DK_MAX_WH, &x, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_STR(e.msg, "wh: must be from 1 to 100000000, got 0");
	CHECK_INT(x, 42);	/* untouched on failure */
	CHECK_INT(dk_get_int(o, "n", -5, 4, &x, &e), -1);
	CHECK_STR(e.msg, "n: must be from -5 to 4, got 5");
	CHECK_INT(dk_get_int(o, "n", 5, 5, &x, &e), 0);
	CHECK_INT(x, 5);
	CHECK_INT(dk_get_int(o, "big", 0, DK_MAX_SAFE_INT, &x, &e), 0);
	CHECK_INT(x, DK_MAX_SAFE_INT);
	CHECK_INT(dk_get_int(o, "nope", 0, 1, &x, &e), -1);
	CHECK_STR(e.msg, "nope: missing");
	CHECK_INT(dk_get_int(o, "str", 0, 1, &x, &e), -1);
	CHECK_HAS(e.msg, "str: must be an integer");

	memset(&e, 0, sizeof(e));
	s = dk_get_str(o, "str", &e);
	CHECK_STR(s, "x");
	CHECK(dk_get_str(o, "n", &e) == NULL);
	CHECK_HAS(e.msg, "n: must be a string");
	CHECK(dk_get_str(o, "nope", &e) == NULL);
	CHECK_STR(e.msg, "nope: missing");
	CHECK_STR(dk_get_id(o, "id", &e), "kn1.meter-2");
	CHECK(dk_get_id(o, "badid", &e) == NULL);
	CHECK_STR(e.msg, "badid: must be 1 to 32 of [A-Za-z0-9._-], got "
	    "\"-x\"");

	/* dk_check_type: type and v == 1 */
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_check_type(o, "order", &e), -1);	/* no "v" */
	CHECK_STR(e.msg, "v: missing");
	json_object_set_new(o, "v", json_integer(1));
	CHECK_INT(dk_check_type(o, "order", &e), 0);
	CHECK_INT(dk_check_type(o, "trade", &e), -1);
	CHECK_STR(e.msg, "type: must be \"trade\", got \"order\"");
	json_object_set_new(o, "v", json_integer(2));
	CHECK_INT(dk_check_type(o, "order", &e), -1);
	CHECK_STR(e.msg, "v: must be from 1 to 1, got 2");
	json_decref(o);

	/* ids: 1..32 of [A-Za-z0-9._-], not starting with '.' or '-' */
	CHECK_INT(dk_valid_id("a"), 1);
	CHECK_INT(dk_valid_id("A.b_c-9"), 1);
	CHECK_INT(dk_valid_id("abcdefghijklmnopqrstuvwxyz012345"), 1);
	CHECK_INT(dk_valid_id("abcdefghijklmnopqrstuvwxyz0123456"), 0);
	CHECK_INT(dk_valid_id(""), 0);
	CHECK_INT(dk_valid_id(".a"), 0);
	CHECK_INT(dk_valid_id("-a"), 0);
	CHECK_INT(dk_valid_id("a b"), 0);
	CHECK_INT(dk_valid_id("a/b"), 0);
	CHECK_INT(dk_valid_id(NULL), 0);
}

static void
test_canon_without_and_emit(void)
{
	const char *dir = tmpdir_make("test-jsonl");
	char path[512], *s, *c;
	json_t *v;
	FILE *fp;

	v = json_pack("{s:s,s:i,s:s}", "type", "x", "v", 1, "sig", "abc");
	c = dk_canon_without(v, "sig");
	CHECK_STR(c, "{\"type\":\"x\",\"v\":1}");
	free(c);
	/* the original keeps its sig */
	CHECK_STR(json_string_value(json_object_get(v, "sig")), "abc");
	c = dk_canon_without(v, "absent");
	CHECK_STR(c, "{\"sig\":\"abc\",\"type\":\"x\",\"v\":1}");
	free(c);

	snprintf(path, sizeof(path), "%s/emit.jsonl", dir);
	fp = fopen(path, "w");
	CHECK_INT(dk_emit(fp, v), 0);
	json_object_set_new(v, "a", json_string("\xc3\xa9\n"));
	CHECK_INT(dk_emit(fp, v), 0);
	fclose(fp);
	s = slurp(path, NULL);
	CHECK_STR(s, "{\"sig\":\"abc\",\"type\":\"x\",\"v\":1}\n"
	    "{\"a\":\"\xc3\xa9\\n\",\"sig\":\"abc\",\"type\":\"x\",\"v\":1}\n");
	free(s);
	json_decref(v);
	tmpdir_remove();
}

static void
test_reader(void)
{
	const char *dir = tmpdir_make("test-jsonl");
	struct dk_reader r;
	struct dk_err e;
	char path[512], *line;
	long n;

	snprintf(path, sizeof(path), "%s/r.jsonl", dir);
	{ const char *t = "{\"a\":1}\n\nxyz\n{\"b\":2}"; spit(path, t, strlen(t)); }
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_reader_open(&r, path, &e), 0);
	CHECK_STR(r.name, path);
	n = dk_reader_next(&r, &line, &e);
	CHECK_INT(n, 7);
	CHECK_STR(line, "{\"a\":1}");
	CHECK_INT(r.line, 1);
	CHECK_INT(r.torn, 0);
	n = dk_reader_next(&r, &line, &e);
	CHECK_INT(n, 0);
	CHECK_STR(line, "");
	CHECK_INT(r.line, 2);
	CHECK_INT(r.torn, 0);
	n = dk_reader_next(&r, &line, &e);
	CHECK_INT(n, 3);
	CHECK_STR(line, "xyz");
	CHECK_INT(r.torn, 0);
	n = dk_reader_next(&r, &line, &e);
	CHECK_INT(n, 7);
	CHECK_STR(line, "{\"b\":2}");
	CHECK_INT(r.line, 4);
	CHECK_INT(r.torn, 1);	/* no newline: an append was cut off */
	e.status = 99;
	n = dk_reader_next(&r, &line, &e);
	CHECK_INT(n, -1);
	CHECK_INT(e.status, 0);	/* the end, not an error */
	CHECK_INT(r.line, 4);
	dk_reader_close(&r);

	/* a file ending in a newline has no torn line */
	spit(path, "a\nb\n", 4);
	CHECK_INT(dk_reader_open(&r, path, &e), 0);
	CHECK_INT(dk_reader_next(&r, &line, &e), 1);
	CHECK_INT(dk_reader_next(&r, &line, &e), 1);
	CHECK_STR(line, "b");
	CHECK_INT(r.torn, 0);
	CHECK_INT(dk_reader_next(&r, &line, &e), -1);
	CHECK_INT(e.status, 0);
	dk_reader_close(&r);

	/* a long line, and an embedded NUL counted in the length */
	{
		char big[10002];
		memset(big, 'x', 10000);
		big[5] = '\0';
		big[10000] = '\n';
		spit(path, big, 10001);
		CHECK_INT(dk_reader_open(&r, path, &e), 0);
		CHECK_INT(dk_reader_next(&r, &line, &e), 10000);
		CHECK_INT(r.torn, 0);
		CHECK_INT(line[10000], '\0');
		dk_reader_close(&r);
	}

	/* an empty file: the end at once */
	spit(path, "", 0);
	CHECK_INT(dk_reader_open(&r, path, &e), 0);
	CHECK_INT(dk_reader_next(&r, &line, &e), -1);
	CHECK_INT(e.status, 0);
	CHECK_INT(r.line, 0);
	dk_reader_close(&r);

	/* a missing file: 66, the path in the message */
	snprintf(path, sizeof(path), "%s/none.jsonl", dir);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_reader_open(&r, path, &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
	CHECK_HAS(e.msg, path);

	/* "-" and NULL are stdin */
	CHECK_INT(dk_reader_open(&r, "-", &e), 0);
	CHECK(r.fp == stdin);
	CHECK_STR(r.name, "stdin");
	dk_reader_close(&r);
	tmpdir_remove();
}

/* dk_is_canonical(text) must say what comparing dk_canon's output with
 * the text says, for every text the parser accepts. */
static int
agrees(const char *s, size_t n)
{
	struct dk_err e = { 0 };
	json_t *v = dk_parse_member(s, n, "x", &e);
	char *c;
	int canon;

	if (v == NULL)
		return -1;	/* not a value in the profile: not asked */
	c = dk_canon(v);
	canon = strlen(c) == n && memcmp(c, s, n) == 0;
	free(c);
	json_decref(v);
	CHECKF(dk_is_canonical(s, n) == canon, "%.*s: dk_canon says %d",
	    (int)n, s, canon);
	return canon;
}

static void
test_is_canonical(void)
{
	static const char *yes[] = {
		"{}", "[]", "{\"a\":1}", "{\"a\":1,\"b\":2}", "{\"a\":{},\"b\":[]}",
		"{\"a\":-1,\"ab\":0,\"b\":[1,-2,{\"x\":\"y\"}]}",
		"{\"a\":\"\\\" \\\\ \\b \\f \\n \\r \\t\"}",
		"{\"a\":\"caf\xc3\xa9 / \xe2\x80\xa8\",\"b\":true,\"c\":null}",
		"{\"a\":[{\"b\":1,\"c\":2},{\"a\":1}],\"b\":\"}\"}",
		"{\"a_1\":1,\"a_2\":{\"z\":[[],[{}]]}}",
	};
	static const char *no[] = {
		"{ }", "{\"a\": 1}", "{\"b\":1,\"a\":2}", "{\"ab\":1,\"a\":2}",
		"{\"a\":1 }", "[1, 2]", "{\"a\":-0}", "{\"a\":\"\\/\"}",
		"{\"a\":\"\\u0041\"}", "{\"a\":\"\\u00e9\"}", "\n{\"a\":1}",
		"{\"a\":{\"c\":1,\"b\":2}}", "{\"a\":[{\"c\":1,\"b\":2}]}",
		"{\"a\":1}\n", "{\"a\":\"\\u2028\"}",
	};
	const char *line = "{\"participant\":\"alice\",\"price\":120000,"
	    "\"side\":\"sell\",\"sig\":\"M0rs9TV0kOZjNd91NBMC82fnHRFU+IMD/5asl2"
	    "L8TgbsiAalNjwGAvK4Iwhuhhh2OK3cxO6DofP71G+5JK1FDQ==\",\"slot\":"
	    "\"2026-01-01T10:00:00+00:00\",\"tags\":[\"a\",{\"k\":\"v\\n\"}],"
	    "\"type\":\"order\",\"v\":1,\"wh\":-800}";
	static const char ins[] = " \t\n\\\"-0,:{}[]aZ/u";
	char buf[512];
	size_t i, j, n, len = strlen(line), asked = 0, canon = 0;
	int r;

	for (i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		CHECKF(agrees(yes[i], strlen(yes[i])) == 1, "%s", yes[i]);
		CHECK(dk_is_canonical(yes[i], strlen(yes[i])) == 1);
	}
	for (i = 0; i < sizeof(no) / sizeof(*no); i++) {
		CHECKF(agrees(no[i], strlen(no[i])) == 0, "%s", no[i]);
		CHECK(dk_is_canonical(no[i], strlen(no[i])) == 0);
	}
	/* every one-byte insertion, deletion and change of a real record:
	 * whatever still parses, the two must agree on */
	for (i = 0; i <= len; i++)
		for (j = 0; j < sizeof(ins) - 1; j++) {
			memcpy(buf, line, i);
			buf[i] = ins[j];
			memcpy(buf + i + 1, line + i, len - i);
			if ((r = agrees(buf, len + 1)) >= 0) {
				asked++;
				canon += r;
			}
			if (i < len) {
				memcpy(buf, line, len);
				buf[i] = ins[j];
				if ((r = agrees(buf, len)) >= 0) {
					asked++;
					canon += r;
				}
			}
		}
	for (i = 0; i < len; i++) {
		n = 0;
		memcpy(buf, line, i);
		memcpy(buf + i, line + i + 1, len - i - 1);
		n = len - 1;
		if ((r = agrees(buf, n)) >= 0) {
			asked++;
			canon += r;
		}
	}
	/* the mutations exercised both answers */
	CHECKF(asked > 500 && canon > 100 && asked - canon > 100,
	    "%zu parsed, %zu canonical", asked, canon);
}

/* A control byte outside a string (jansson's parser stops at a NUL after
 * a number or a literal, and accepts the value) is never canonical: else
 * two byte strings would pass as one canonical form. */
static void
test_is_canonical_nul(void)
{
	static const struct { const char *s; size_t n; } t[] = {
		{ "{\"a\":1\0}", 8 }, { "{\"a\":1\0\0}", 9 },
		{ "{\"a\":true\0}", 11 }, { "{\"a\":[1\0]}", 10 },
		{ "{\"a\":1,\"b\":2\0}", 14 }, { "{\"a\":1\x01}", 8 },
	};
	struct dk_err e = { 0 };
	json_t *v;
	char *c;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(*t); i++) {
		CHECKF(dk_is_canonical(t[i].s, t[i].n) == 0, "case %zu", i);
		/* what the parser makes of it is canonical without the byte */
		if ((v = dk_parse(t[i].s, t[i].n, &e)) != NULL) {
			c = dk_canon(v);
			CHECKF(strlen(c) < t[i].n, "case %zu: %s", i, c);
			free(c);
			json_decref(v);
		}
	}
	CHECK(dk_is_canonical("{\"a\":1}", 7) == 1);
	CHECK(dk_is_canonical("{\"a\":\"x\ty\"}", 11) == 0);
}

/* dk_parse_flat: the tree dk_parse makes, members in the same order, of
 * a flat canonical line; NULL for every other line.  dk_profile_flat
 * says yes to the same lines, every one in the profile, no to the
 * others. */
static void
test_parse_flat(void)
{
	static const char *const yes[] = {
		"{}", "{\"a\":1}", "{\"a\":0,\"b\":\"\"}",
		"{\"a_1\":\"x y/z~\",\"b\":999999999999999}",
		"{\"participant\":\"p1\",\"price\":120000,\"side\":\"sell\","
		    "\"sig\":\"AAAA+/==\",\"slot\":\"2016-07-05T00:00+02:00\","
		    "\"type\":\"order\",\"v\":1,\"wh\":1010}",
		"{\"a\":-1,\"b\":null,\"c\":true,\"d\":false}",
		"{\"deviation_wh\":-148,\"net\":-999999999999999,"
		    "\"price\":null,\"type\":\"settlement\"}",
	};
	static const char *const no[] = {
		"", "{", "[]", "{\"b\":1,\"a\":2}", "{\"a\":1,\"a\":2}",
		"{\"a\": 1}", "{ \"a\":1}", "{\"a\":\"x\\ny\"}",
		"{\"a\":-0}", "{\"a\":01}", "{\"a\":1000000000000000}",
		"{\"a\":-01}", "{\"a\":-}", "{\"a\":-1000000000000000}",
		"{\"a\":--1}", "{\"a\":1-}", "{\"a\":nul}",
		"{\"a\":nullx}", "{\"a\":True}", "{\"a\":fals}",
		"{\"a\":null1}", "{\"a\":falsey}", "{\"a\":null",
		"{\"a\":1.5}", "{\"a\":1e3}", "{\"a\":-1.5}",
		"{\"a\":{}}", "{\"a\":[1]}", "{\"A\":1}",
		"{\"\":1}", "{\"a\":\"\xc3\xa9\"}", "{\"a\":1,}",
		"{\"a\":\"x\ty\"}", "{\"a\":1}x", "{\"a\":\"x}",
		"{\"a\"1}", "{\"a\":}", "{,}",
	};
	struct dk_err e;
	json_t *f, *p;
	const char *k1, *k2;
	void *i1, *i2;
	char *c;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
		f = dk_parse_flat(yes[i], strlen(yes[i]));
		p = parse(yes[i], &e);
		CHECKF(f != NULL && p != NULL, "yes %zu", i);
		CHECKF(dk_profile_flat(yes[i], strlen(yes[i])), "yes %zu", i);
		if (f == NULL || p == NULL)
			continue;
		CHECKF(json_equal(f, p), "yes %zu", i);
		c = dk_canon(f);
		CHECKF(strcmp(c, yes[i]) == 0, "yes %zu: %s", i, c);
		free(c);
		for (i1 = json_object_iter(f), i2 = json_object_iter(p);
		    i1 != NULL && i2 != NULL; i1 = json_object_iter_next(f, i1),
		    i2 = json_object_iter_next(p, i2)) {
			k1 = json_object_iter_key(i1);
			k2 = json_object_iter_key(i2);
			CHECKF(strcmp(k1, k2) == 0, "yes %zu: %s %s", i, k1,
			    k2);
		}
		CHECKF(i1 == NULL && i2 == NULL, "yes %zu: sizes", i);
		json_decref(f);
		json_decref(p);
	}
	for (i = 0; i < sizeof(no) / sizeof(*no); i++) {
		f = dk_parse_flat(no[i], strlen(no[i]));
		CHECKF(f == NULL, "no %zu: %s", i, no[i]);
		CHECKF(!dk_profile_flat(no[i], strlen(no[i])), "no %zu: %s",
		    i, no[i]);
		json_decref(f);
	}
}

int
main(int argc, char *argv[])
{
	if (argc > 1)
		jcs = argv[1];
	test_fixtures();
	test_canon_profile();
	test_parse_rejects();
	test_get();
	test_canon_without_and_emit();
	test_reader();
	test_is_canonical();
	test_is_canonical_nul();
	test_parse_flat();
	return check_done("test-jsonl");
}
