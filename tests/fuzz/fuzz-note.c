/* Checkpoint notes (C2SP signed notes): the parser of the checkpoint text,
 * the note's signature lines under a fixed key, and verifier keys. */
#include "fuzz.h"

/* the golden ledger's operator (tests/golden/operator.pub) */
static const char vkeytext[] = "denki.local/ledger+1c0aa76c+"
    "AViPETrAOgqW8qBtDErAqgcWz6oPLAYJu1OHikj3dByc";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_vkey vk;
	static int init;
	struct dk_err e = { 0 };
	struct dk_checkpoint cp;
	struct dk_vkey k2;
	char *s = fz_str(data, size);
	long tl;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT(dk_vkey_parse(vkeytext, &vk, &e) == 0);
		init = 1;
	}
	dk_checkpoint_parse(s, size, &cp, &e);
	if ((tl = dk_note_open(s, size, &vk, 1, &e)) >= 0) {
		FZ_ASSERT((size_t)tl <= size);
		dk_checkpoint_parse(s, tl, &cp, &e);
	}
	dk_vkey_parse(s, &k2, &e);
	free(s);
	return 0;
}
