/*
 * Ledger entries: the scanner (frame, hash links, genesis, checkpoints)
 * and the replay of the records into the state, as ledger-verify and the
 * writers read a ledger.  An input that starts with "rechain\n" has each
 * line's prev set to the hash of the line before, as the writers set it,
 * so that the fuzzer reaches the records past the first changed line.
 */
#include "fuzz.h"

struct ctx {
	struct dk_state st;
	struct dk_scaninfo *si;
};

/* Each entry as the replay gets it: the bytes of its record in the line
 * are the canonical form of the record read (else two lines would share
 * one record), then the state takes it. */
static int
entry(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct ctx *c = ctx;
	char *t;

	if (c->si->rec_text != NULL) {
		FZ_ASSERT((t = dk_canon(rec)) != NULL);
		FZ_ASSERT(strlen(t) == c->si->rec_len &&
		    memcmp(t, c->si->rec_text, c->si->rec_len) == 0);
		free(t);
	}
	return dk_state_apply(&c->st, seq, line, rec, e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct dk_err e = { 0 };
	struct dk_scaninfo si;
	struct ctx c;
	char path[64], *s;
	int fd;

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		init = 1;
	}
	fd = fz_ledger(data, size, &s, path, sizeof(path));
	memset(&si, 0, sizeof(si));
	si.want_leaves = 1;
	dk_state_init(&c.st);
	c.si = &si;
	if (dk_ledger_scan_fd(fd, path, NULL, entry, &c, &si, &e) == 0)
		FZ_ASSERT(si.nleaves == (size_t)si.entries);
	dk_state_free(&c.st);
	dk_scaninfo_free(&si);
	close(fd);
	free(s);
	return 0;
}
