/*
 * Issue 14's receipts and intake records: a receipt checked against the
 * intake key of the corpus's receipts (one that checks checks again when
 * read back from its canonical form), an intake record, and a line's id.
 */
#include "fuzz.h"

/* the intake key of the corpus's receipts (tests/fuzz/SOURCES.md) */
static const char ikey[] = "RWTpEiMCWeK7FucFrxBAYZMXJuqYQb8LJTnDbiIhJuexTkdbXSshUyHz";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_key key;
	static int init;
	struct dk_err e = { 0 };
	struct dk_key k;
	long long gate;
	char id[65], *c;
	json_t *v, *w;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT(dk_key_from_b64(&key, ikey, &e) == 0);
		init = 1;
	}
	if ((v = dk_parse((const char *)data, size, &e)) == NULL)
		return 0;
	/* a receipt that checks is signed over its canonical form: the
	 * same object parsed again from that form checks too */
	if (dk_receipt_check(v, key.pk, &e) == 0) {
		FZ_ASSERT((c = dk_canon(v)) != NULL);
		FZ_ASSERT((w = dk_parse(c, strlen(c), &e)) != NULL);
		FZ_ASSERT(dk_receipt_check(w, key.pk, &e) == 0);
		json_decref(w);
		free(c);
	}
	if (dk_intake_check(v, &k, &gate, &e) == 0)
		FZ_ASSERT(gate >= 0 && gate <= 10080);
	if (json_is_object(v))
		FZ_ASSERT(dk_line_id(v, id) == 0 && strlen(id) == 64);
	json_decref(v);
	return 0;
}
