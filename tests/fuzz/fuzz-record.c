/*
 * Record lines other than orders (fuzz-order has those): the parse into
 * the profile, then the checks of the record its type names: readings,
 * participants, rules (read back from what dk_rules_json writes: the
 * same rules), and the meter store's samples and walks; any record's
 * signature under a fixed key.
 */
#include "fuzz.h"

/* tests/golden/a1.pub */
static const char a1key[] =
    "RWTL3qkXIHwLRziugjnhIY0mCX5pHdCw6clOCJJyEMsj28C2x0Md0Nen";
static const char a1text[] = "{\"id\":\"a1\",\"key\":\"RWTL3qkXIHwLRziugjnh"
    "IY0mCX5pHdCw6clOCJJyEMsj28C2x0Md0Nen\",\"meters\":[\"a1-m\"],"
    "\"role\":\"prosumer\",\"status\":\"active\",\"type\":\"participant\","
    "\"v\":1,\"zone\":\"z1\"}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_registry reg;
	static struct dk_rules rules;
	static struct dk_key key;
	static int init;
	struct dk_err e = { 0 };
	struct dk_registry r2;
	struct dk_rules ru, ru2;
	struct dk_sample smp;
	struct dk_walk w;
	const char *type;
	int64_t slot;
	json_t *v, *x;
	char *c1, *c2;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT(dk_key_from_b64(&key, a1key, &e) == 0);
		FZ_ASSERT((v = dk_parse(a1text, strlen(a1text), &e)));
		FZ_ASSERT(dk_registry_apply(&reg, v, &e) == 0);
		json_decref(v);
		memset(&rules, 0, sizeof(rules));
		strcpy(rules.tz, "UTC");
		rules.slot_minutes = 30;
		init = 1;
	}
	if ((v = dk_parse((const char *)data, size, &e)) == NULL)
		return 0;
	dk_verify_record(v, key.pk, &e);
	type = json_string_value(json_object_get(v, "type"));
	if (type == NULL)
		type = "";
	if (strcmp(type, "reading") == 0) {
		if (dk_reading_check(v, &rules, &slot, &e) == 0)
			dk_reading_verify(v, dk_registry_find(&reg, "a1"), &e);
	} else if (strcmp(type, "participant") == 0) {
		memset(&r2, 0, sizeof(r2));
		if (dk_participant_check(v, &e) == 0) {
			dk_registry_apply(&r2, v, &e);
			dk_registry_apply(&r2, v, &e);	/* again: an update */
		}
		dk_registry_free(&r2);
	} else if (strcmp(type, "rules") == 0) {
		memset(&ru, 0, sizeof(ru));
		if (dk_rules_from_json(&ru, v, &e) == 0) {
			/* what is written reads back as the same rules */
			x = dk_rules_json(&ru);
			memset(&ru2, 0, sizeof(ru2));
			FZ_ASSERT(dk_rules_from_json(&ru2, x, &e) == 0);
			c1 = dk_canon(x);
			json_decref(x);
			x = dk_rules_json(&ru2);
			c2 = dk_canon(x);
			FZ_ASSERT(strcmp(c1, c2) == 0);
			free(c1);
			free(c2);
			json_decref(x);
		}
	} else if (strcmp(type, "sample") == 0 ||
	    json_object_get(v, "kind") != NULL) {
		if (dk_sample_from_json(&smp, v, &e) == 0)
			json_decref(dk_sample_json(&smp, "UTC"));
	} else {
		/* as the spool does: the walk's meter and kind first */
		dk_walk_init(&w, "m1", "grid", 30, 0);
		dk_walk_from_json(&w, v, &e);
	}
	json_decref(v);
	return 0;
}
