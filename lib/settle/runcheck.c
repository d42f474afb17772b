/*
 * runcheck.c: the meters' signatures on a settlement run's readings checked
 * ahead on every core (lib/crypto/ahead.c), so that settle.c's checks, one
 * reading at a time in slot order, find them done; verdicts and errors stay.
 */
#include <stdlib.h>
#include <string.h>

#include "settle.h"

void
dk_settle_run_precheck(struct dk_settle_run *run,
    const struct dk_registry *reg, int threads)
{
	const struct dk_participant *p;
	const char *m, *key;
	struct dk_err e = { 0 };
	struct dk_key k;
	unsigned char sig[64];
	char *msg;
	size_t i, n;

	dk_ahead_forget();
	for (i = 0; i < run->n; i++) {
		if (run->v[i].rec == NULL || (m = json_string_value(
		    json_object_get(run->v[i].rec, "meter"))) == NULL ||
		    (p = dk_registry_meter(reg, m)) == NULL ||
		    (key = dk_participant_meter_key(p, m)) == NULL ||
		    dk_key_from_b64(&k, key, &e) < 0)
			continue;
		/* the message from the reading's canonical line, held */
		if (dk_record_sig_text(run->v[i].rec, run->v[i].canon,
		    strlen(run->v[i].canon), &msg, &n, sig, &e) < 0) {
			memset(&e, 0, sizeof(e));
			continue;	/* left to the check made later */
		}
		dk_ahead_add_msg(run->v[i].rec, msg, n, sig, k.pk, threads);
	}
	dk_ahead_done();
}
