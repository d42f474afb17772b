/* Checkpoint notes (C2SP signed notes): the parser of the checkpoint text,
 * the note's signature lines under a fixed key, a witness's cosignature
 * lines under a fixed key, and verifier keys. */
#include "fuzz.h"

/* the golden ledger's operator (tests/golden/operator.pub) */
static const char vkeytext[] = "denki.local/ledger+1c0aa76c+"
    "AViPETrAOgqW8qBtDErAqgcWz6oPLAYJu1OHikj3dByc";
/* the witness of tests/unit/test-cosig.c */
static const char cosigtext[] = "witness.example/w1+20324abe+"
    "BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_vkey vk, wk;
	static int init;
	struct dk_err e = { 0 };
	struct dk_checkpoint cp;
	struct dk_vkey k2;
	char *s = fz_str(data, size);
	long tl, form;
	uint64_t t = 0;
	int rc;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT(dk_vkey_parse(vkeytext, &vk, &e) == 0);
		FZ_ASSERT(dk_cosig_vkey_parse(cosigtext, &wk, &e) == 0);
		init = 1;
	}
	dk_checkpoint_parse(s, size, &cp, &e);
	form = dk_note_text(s, size, &e);
	if ((tl = dk_note_open(s, size, &vk, 1, &e)) >= 0) {
		FZ_ASSERT((size_t)tl <= size);
		FZ_ASSERT(tl == form);
		dk_checkpoint_parse(s, tl, &cp, &e);
	}
	/* a cosignature is found only in a note of the right form */
	rc = dk_cosig_find(s, size, &wk, &t, &e);
	FZ_ASSERT(rc < 0 || form >= 0);
	FZ_ASSERT(rc != 1 || (t >= 1 && t <= 0x7fffffffffffffffULL));
	dk_vkey_parse(s, &k2, &e);
	dk_cosig_vkey_parse(s, &k2, &e);
	free(s);
	return 0;
}
