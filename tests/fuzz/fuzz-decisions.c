/*
 * Issue 16's decisions in a ledger: halt, halt_lift and cancel records
 * (dk_state_apply's dk_halt_apply), pending and review records with the
 * contracts they approve (dk_revq_entry, the registry as of each entry),
 * dispute and dispute_resolution records (dk_dispute_replay), each entry
 * read as ledger-verify and the programs read them.  An input that starts
 * with "rechain\n" has each line's prev set as the writers set it.
 */
#include "fuzz.h"

struct ctx {
	struct dk_state st;
	struct dk_disputes d;
	struct dk_dreplay r;
	struct dk_revq q;
};

static int
entry(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct ctx *c = ctx;

	if (dk_revq_entry(&c->q, seq, line, rec, e) < 0)
		return -1;
	return dk_dispute_replay(&c->r, seq, line, rec, e);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct dk_err e = { 0 };
	struct ctx c;
	char path[64], *s;
	size_t i;
	int fd;

	if (null == NULL) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT((null = fopen("/dev/null", "w")) != NULL);
	}
	fd = fz_ledger(data, size, &s, path, sizeof(path));
	memset(&c, 0, sizeof(c));
	dk_state_init(&c.st);
	dk_disputes_init(&c.d);
	dk_revq_init(&c.q, &c.st.reg);
	c.r.st = &c.st;
	c.r.d = &c.d;
	if (dk_ledger_scan_fd(fd, path, NULL, entry, &c, NULL, &e) == 0) {
		/* a halt names its zones or none (every zone); a trade
		 * decided or expired was pending, once */
		for (i = 0; i < c.st.halts.n; i++)
			FZ_ASSERT(c.st.halts.v[i].nz == 0 ||
			    c.st.halts.v[i].zones != NULL);
		FZ_ASSERT(c.q.napproved + c.q.nrejected +
		    dk_revq_expired(&c.q) <= c.q.npending);
		dk_disputes_print(null, &c.d);
	}
	dk_revq_free(&c.q);
	dk_disputes_free(&c.d);
	dk_state_free(&c.st);
	close(fd);
	free(s);
	return 0;
}
