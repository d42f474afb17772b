/*
 * reading.c: the reading record (denki-formats(5)): its fields checked.
 * Its signature is checked against the registry in verify.c.
 */
#include <string.h>

#include "meter.h"

static const char *const rfields[] = { "type", "v", "meter", "slot",
	"import_wh", "export_wh", "import_total_wh", "export_total_wh", "kind",
	"sig", NULL };

int
dk_reading_check(json_t *rec, const struct dk_rules *r, int64_t *slot,
    struct dk_err *e)
{
	const char *k, *s;
	json_t *x;
	long long v;
	int i, known;

	if (dk_check_type(rec, "reading", e) < 0)
		return -1;
	json_object_foreach(rec, k, x) {
		for (known = 0, i = 0; rfields[i] != NULL && !known; i++)
			known = strcmp(k, rfields[i]) == 0;
		if (!known)
			return dk_fail(e, DK_EX_DATAERR,
			    "%s: not a field of a reading", k);
	}
	if (dk_get_id(rec, "meter", e) == NULL)
		return -1;
	if ((s = dk_get_str(rec, "slot", e)) == NULL)
		return -1;
	if (dk_slot_parse(s, r->slot_minutes, slot, e) < 0)
		return dk_failpre(e, "slot");
	if (dk_get_int(rec, "import_wh", 0, DK_MAX_WH, &v, e) < 0 ||
	    dk_get_int(rec, "export_wh", 0, DK_MAX_WH, &v, e) < 0)
		return -1;
	if (json_object_get(rec, "import_total_wh") != NULL &&
	    dk_get_int(rec, "import_total_wh", 0, DK_MAX_SAFE_INT, &v, e) < 0)
		return -1;
	if (json_object_get(rec, "export_total_wh") != NULL &&
	    dk_get_int(rec, "export_total_wh", 0, DK_MAX_SAFE_INT, &v, e) < 0)
		return -1;
	if (json_object_get(rec, "kind") != NULL) {
		if ((s = dk_get_str(rec, "kind", e)) == NULL)
			return -1;
		if (strcmp(s, "grid") != 0 && strcmp(s, "pv") != 0 &&
		    strcmp(s, "battery") != 0)
			return dk_fail(e, DK_EX_DATAERR, "kind: must be grid, "
			    "pv or battery, got \"%.40s\"", s);
	}
	if (json_object_get(rec, "sig") != NULL &&
	    dk_get_str(rec, "sig", e) == NULL)
		return -1;
	return 0;
}
