/*
 * verify.c: a reading's signature checked against the meter key the
 * registry holds (settle's side); apart from reading.c so that the
 * household's programs, which check readings, link no registry.
 */
#include "meter.h"

/*
 * A reading of a meter whose key is registered must be signed by that key;
 * a signed reading must verify, so a meter without a registered key cannot
 * sign.  Unsigned readings of meters without a key pass here (settle's
 * settle.signed: required refuses them too).
 */
int
dk_reading_verify(json_t *rec, const struct dk_participant *p,
    struct dk_err *e)
{
	const char *m = json_string_value(json_object_get(rec, "meter"));
	const char *key = dk_participant_meter_key(p, m);
	struct dk_key k;

	if (json_object_get(rec, "sig") == NULL) {
		if (key != NULL)
			return dk_fail(e, DK_EX_DATAERR, "meter %s has a "
			    "registered key; its readings must be signed", m);
		return 0;
	}
	if (key == NULL)
		return dk_fail(e, DK_EX_DATAERR, "sig: signed, but the "
		    "registry has no key for meter %s", m);
	if (dk_key_from_b64(&k, key, e) < 0)
		return dk_failpre(e, "meter %s's key", m);
	if (dk_verify_record_ahead(rec, k.pk, e) < 0)
		return dk_failpre(e, "meter %s", m);
	return 0;
}

/*
 * A reading as the cooperative's intake admits it: its fields, its slot
 * (in slot), its meter registered, and its signature by the meter's
 * registered key; with require, a reading must be signed (settle.signed:
 * required).  The same checks settle makes of it.
 */
int
dk_reading_admit(json_t *rec, const struct dk_rules *r,
    const struct dk_registry *reg, int require, int64_t *slot,
    struct dk_err *e)
{
	const struct dk_participant *p;
	const char *m;

	if (dk_reading_check(rec, r, slot, e) < 0)
		return -1;
	m = json_string_value(json_object_get(rec, "meter"));
	if ((p = dk_registry_meter(reg, m)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "meter: %s is not in the "
		    "registry", m);
	if (require && json_object_get(rec, "sig") == NULL)
		return dk_fail(e, DK_EX_DATAERR, "meter %s: unsigned, and "
		    "settle.signed is required", m);
	return dk_reading_verify(rec, p, e);
}
