/*
 * verify.c: a reading's signature checked against the meter key the
 * registry holds (settle's side); apart from reading.c so that the
 * household's programs, which check readings, link no registry.
 */
#include <stdint.h>
#include <string.h>

#include "meter.h"

/* Meters' keys decoded, by their text (a copy, so that a text at an
 * address used again is not mistaken): a month's settle run checked its
 * 200 meters' 144,000 readings and decoded a key for each; 1,000 homes'
 * meters in 256 places still missed most of the time, and decoded. */
#define NKC 4096
static _Thread_local struct {
	char b64[64];
	unsigned char pk[32];
} kc[NKC];

static int
meter_pk(const char *key, unsigned char pk[32], struct dk_err *e)
{
	size_t h = ((uintptr_t)key >> 3) * 0x9E3779B97F4A7C15ULL >> 52;
	size_t n = strlen(key);
	struct dk_key k;

	/* an unused slot's text is empty: an empty key is never cached */
	if (n > 0 && n < sizeof(kc[h].b64) && strcmp(kc[h].b64, key) == 0) {
		memcpy(pk, kc[h].pk, 32);
		return 0;
	}
	if (dk_key_from_b64(&k, key, e) < 0)
		return -1;
	memcpy(pk, k.pk, 32);
	if (n < sizeof(kc[h].b64)) {
		memcpy(kc[h].b64, key, n + 1);
		memcpy(kc[h].pk, k.pk, 32);
	}
	return 0;
}

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
	unsigned char pk[32];

	if (json_object_get(rec, "sig") == NULL) {
		if (key != NULL)
			return dk_fail(e, DK_EX_DATAERR, "meter %s has a "
			    "registered key; its readings must be signed", m);
		return 0;
	}
	if (key == NULL)
		return dk_fail(e, DK_EX_DATAERR, "sig: signed, but the "
		    "registry has no key for meter %s", m);
	if (meter_pk(key, pk, e) < 0)
		return dk_failpre(e, "meter %s's key", m);
	if (dk_verify_record_ahead(rec, pk, e) < 0)
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
