/* Unit tests for lib/settle/island.c: an island slot's deviations shared
 * by the written rule: integers, the rounding, sums exact. */
#include <stdio.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define SLOT	4039408800LL	/* 2098-01-01T10:00:00Z */

static struct dk_state st;
static char zones[1][DK_ID_MAX + 1] = { "hill" };

static void
add(const char *id, const char *zone, const char *key)
{
	struct dk_err e = { 0 };
	json_t *rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[s]}",
	    "type", "participant", "v", 1, "id", id, "zone", zone, "role",
	    "prosumer", "status", "active", "key", key, "meters", id);

	if (dk_registry_apply(&st.reg, rec, &e) < 0)
		fprintf(stderr, "registry: %s: %s\n", id, e.msg);
	json_decref(rec);
}

/* a settlement as dk_settle makes it, with the utility's money */
static json_t *
settlement(const char *id, int64_t dev, int64_t up, int64_t ur, int64_t net)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I,s:I}", "type",
	    "settlement", "v", 2, "slot", "2098-01-01T10:00:00+00:00",
	    "participant", id, "deviation_wh", (json_int_t)dev,
	    "utility_paid", (json_int_t)up, "utility_received", (json_int_t)ur,
	    "net", (json_int_t)net);
}

static json_t *
transfer(const char *from, const char *to, int64_t amount, const char *why)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:s}", "type", "transfer",
	    "v", 1, "slot", "2098-01-01T10:00:00+00:00", "from", from, "to",
	    to, "amount", (json_int_t)amount, "reason", why);
}

static long long
get(json_t *out, const char *id, const char *k)
{
	json_t *x;
	size_t i;

	json_array_foreach(out, i, x)
		if (strcmp(json_string_value(json_object_get(x, "type")),
		    "settlement") == 0 && strcmp(json_string_value(
		    json_object_get(x, "participant")), id) == 0)
			return json_integer_value(json_object_get(x, k));
	return -1;
}

static void
test_rounding(void)
{
	struct dk_err e = { 0 };
	json_t *out = json_array(), *x;
	long long paid = 0, got = 0, toisland = 0;
	size_t i;

	/* a surplus of 10 Wh (a: 7, b: 3), a shortfall of 9 (c, d, e: 3
	 * each): 9 Wh matched at 200001 a kWh (retail 300001, buyback
	 * 100001: (150000 + 50000) + (1 + 1) / 2), 1800 micro-units (9 *
	 * 200001 / 1000 = 1800.009, rounded); taken 600 each; given 1800 *
	 * 7 / 10 = 1260 and 540, exact */
	json_array_append_new(out, settlement("a", 7, 0, 700, 700));
	json_array_append_new(out, settlement("b", 3, 0, 300, 300));
	json_array_append_new(out, settlement("c", -3, 900, 0, -900));
	json_array_append_new(out, settlement("d", -3, 900, 0, -900));
	json_array_append_new(out, settlement("e", -3, 900, 0, -900));
	json_array_append_new(out, settlement("f", -5, 1500, 0, -1500));
	json_array_append_new(out, transfer("utility", "a", 700, "surplus"));
	json_array_append_new(out, transfer("utility", "b", 300, "surplus"));
	json_array_append_new(out, transfer("c", "utility", 900, "shortfall"));
	json_array_append_new(out, transfer("d", "utility", 900, "shortfall"));
	json_array_append_new(out, transfer("e", "utility", 900, "shortfall"));
	json_array_append_new(out, transfer("f", "utility", 1500, "shortfall"));
	st.rules.retail = 300001;
	st.rules.buyback = 100001;
	CHECK_INT(dk_island(SLOT, &st, &st.rules, out, &e), 0);
	/* f is in town: with the utility as before */
	CHECK_INT(get(out, "f", "utility_paid"), 1500);
	CHECK(json_object_get(json_array_get(out, 5), "island") == NULL);
	CHECK_INT(get(out, "a", "island_received"), 1260);
	CHECK_INT(get(out, "b", "island_received"), 540);
	CHECK_INT(get(out, "c", "island_paid"), 600);
	CHECK_INT(get(out, "a", "utility_received"), 0);
	CHECK_INT(get(out, "a", "net"), 1260);
	CHECK_INT(get(out, "e", "net"), -600);
	json_array_foreach(out, i, x) {
		const char *from = json_string_value(json_object_get(x, "from"));
		const char *why = json_string_value(json_object_get(x, "reason"));
		if (why == NULL)
			continue;
		if (strcmp(why, "island") == 0) {
			paid += json_integer_value(json_object_get(x, "amount"));
			CHECK(strchr("cde", from[0]) != NULL);
		} else if (strcmp(from, "utility") == 0 ||
		    strcmp(json_string_value(json_object_get(x, "to")),
		    "utility") == 0)
			toisland += strcmp(from, "f") == 0 ? 0 : 1;
	}
	CHECK_INT(paid, 1800);
	CHECK_INT(toisland, 0);	/* the island's utility transfers gone */
	got = get(out, "a", "net") + get(out, "b", "net") + get(out, "c",
	    "net") + get(out, "d", "net") + get(out, "e", "net");
	CHECK_INT(got, 0);
	json_decref(out);
}

static void
test_remainders(void)
{
	struct dk_err e = { 0 };
	json_t *out = json_array();

	/* 100 micro-units over three equal takers: 34, 33, 33, the odd one
	 * to the lowest id; 1 Wh at 100000 over 1 Wh: a: 100 */
	st.rules.retail = 150000;
	st.rules.buyback = 50000;
	json_array_append_new(out, settlement("a", 1, 0, 0, 0));
	json_array_append_new(out, settlement("b", -1, 0, 0, 0));
	json_array_append_new(out, settlement("c", -1, 0, 0, 0));
	json_array_append_new(out, settlement("d", -1, 0, 0, 0));
	CHECK_INT(dk_island(SLOT, &st, &st.rules, out, &e), 0);
	/* 1 Wh matched: 100 micro-units, split 34 33 33 */
	CHECK_INT(get(out, "a", "island_received"), 100);
	CHECK_INT(get(out, "b", "island_paid"), 34);
	CHECK_INT(get(out, "c", "island_paid"), 33);
	CHECK_INT(get(out, "d", "island_paid"), 33);
	json_decref(out);
	/* no shortfall: nothing matched, nothing paid, the surplus unpaid */
	out = json_array();
	json_array_append_new(out, settlement("a", 5, 0, 500, 500));
	CHECK_INT(dk_island(SLOT, &st, &st.rules, out, &e), 0);
	CHECK_INT(get(out, "a", "island_received"), 0);
	CHECK_INT(get(out, "a", "net"), 0);
	CHECK_INT(json_array_size(out), 1);
	json_decref(out);
}

int
main(void)
{
	struct dk_err e = { 0 };
	struct dk_key k;
	char *b64;
	const char *id;

	dk_init(&e);
	dk_key_generate(&k, &e);
	b64 = dk_key_pub_b64(&k);
	dk_state_init(&st);
	for (id = "abcde"; *id != '\0'; id++) {
		char s[2] = { *id, '\0' };
		add(s, "hill", b64);
	}
	add("f", "town", b64);
	st.rules.slot_minutes = 30;
	st.halts.v = calloc(1, sizeof(*st.halts.v));
	st.halts.n = st.halts.cap = 1;
	st.halts.v[0].island = 1;
	st.halts.v[0].zones = zones;
	st.halts.v[0].nz = 1;
	st.halts.v[0].from = SLOT;
	st.halts.v[0].until = SLOT + 1800;
	test_rounding();
	test_remainders();
	st.halts.v[0].zones = NULL;
	dk_state_free(&st);
	free(b64);
	dk_key_free(&k);
	return check_done("test-island");
}
