/*
 * coop.c: the start of the programs on the cooperative's side (see
 * prog.h): its configuration with the -D overrides, the market rules in
 * it, the path of the ledger it names and the state to replay it into
 * (a writer's start is coop-write.c).  Apart from prog.c, so that a
 * program that reads no ledger links no ledger layer.
 */
#include <stdlib.h>
#include <string.h>

#include "prog.h"

/* dk_init, coop.yaml (-c, -D), its rules with DK_COOP_RULES, the ledger's
 * path ("ledger", ledger.jsonl by default) and an empty state. */
int
dk_prog_coop(const struct dk_prog *p, struct dk_coop *c, int flags,
    struct dk_err *e)
{
	memset(c, 0, sizeof(*c));
	dk_state_init(&c->st);
	dk_wpolicy_init(&c->wp);
	c->pname = p->name;
	if (dk_init(e) < 0 || dk_prog_conf(p, &c->conf, DK_CONF_COOP, e) < 0 ||
	    ((flags & DK_COOP_RULES) &&
	    dk_rules_from_conf(&c->rules, &c->conf, e) < 0))
		return -1;
	if ((c->lpath = dk_conf_path(&c->conf, "ledger",
	    "ledger.jsonl")) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
}

void
dk_coop_free(struct dk_coop *c)
{
	if (c->lopen)
		dk_ledger_close(&c->l);
	c->lopen = 0;
	dk_key_free(&c->op);
	dk_state_free(&c->st);
	dk_wpolicy_free(&c->wp);
	free(c->lpath);
	c->lpath = NULL;
	dk_conf_free(&c->conf);
}

/*
 * A witness policy option (DK_WOPTS): 1 when opt was one, 0 when not; a
 * bad value ends the program (64, or 65/66 for a policy file).
 */
int
dk_prog_wopt(const struct dk_prog *p, struct dk_wpolicy *w, int opt,
    const char *arg)
{
	struct dk_err e = { 0 };
	char *end;
	long long v;

	switch (opt) {
	case 'w':
		if (dk_wpolicy_add(w, arg, NULL, &e) < 0)
			break;
		return 1;
	case 'W':
		if (dk_wpolicy_file(w, arg, &e) < 0)
			break;
		return 1;
	case 'Q':
	case 'S':
		v = strtoll(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || v < 0 || v > (opt == 'Q' ?
		    DK_WITNESS_MAX : 86400 * 366)) {
			dk_fail(&e, DK_EX_USAGE, "-%c %s: must be 0 to %d", opt,
			    arg, opt == 'Q' ? DK_WITNESS_MAX : 86400 * 366);
			break;
		}
		if (opt == 'Q')
			w->quorum = v;
		else
			w->skew = v;
		return 1;
	default:
		return 0;
	}
	if (e.status == DK_EX_DATAERR && opt == 'w')
		e.status = DK_EX_USAGE;
	exit(dk_prog_fail(p, &e));
}
