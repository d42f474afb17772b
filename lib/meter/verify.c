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
	if (dk_verify_record(rec, k.pk, e) < 0)
		return dk_failpre(e, "meter %s", m);
	return 0;
}
