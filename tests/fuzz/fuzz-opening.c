/*
 * Committed readings (issue 13): an openings file as ledger-verify -O
 * loads it, and an opening or a commitment record as their checks read
 * them, against a commitment of the demo's ledger.
 */
#include "fuzz.h"

/* entry 449 of the demo's ledger and its opening (make demo) */
static const char commitment[] = "{\"hash\":\"dd84ecd4a706f084026b1e5dd80930"
    "3951caedd2d15b44a6e5ccf597656c99ba\",\"meter\":\"kn1-m\",\"slot\":"
    "\"2016-07-05T00:00:00+02:00\",\"type\":\"commitment\",\"v\":1}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static json_t *rec;
	static int init;
	struct dk_err e = { 0 };
	json_t *byseq, *v, *op;
	const char *k;
	char path[64];
	int fd;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT((rec = dk_parse(commitment, strlen(commitment), &e)));
		FZ_ASSERT(dk_commitment_check(rec, &e) == 0);
		init = 1;
	}
	fd = fz_file(data, size, path, sizeof(path));
	if (dk_openings_load(path, &byseq, &e) == 0) {
		FZ_ASSERT(byseq != NULL);
		json_object_foreach(byseq, k, op) {
			FZ_ASSERT(dk_openings_get(byseq, atoll(k)) == op);
			/* what matches the commitment is of its slot and meter */
			if (dk_opening_check(op, rec, 449, &e) == 0)
				FZ_ASSERT(json_equal(json_object_get(json_object_get(
				    op, "reading"), "meter"), json_object_get(rec,
				    "meter")));
		}
		json_decref(byseq);
	} else
		FZ_ASSERT(byseq == NULL && e.status != 0);
	close(fd);
	memset(&e, 0, sizeof(e));
	if ((v = dk_parse((const char *)data, size, &e)) != NULL) {
		dk_commitment_check(v, &e);
		dk_opening_check(v, rec, 449, &e);
		json_decref(v);
	}
	return 0;
}
