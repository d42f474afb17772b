/*
 * coop.c: the start of the programs on the cooperative's side (see
 * prog.h): its configuration with the -D overrides, the market rules in
 * it, the path of the ledger it names and the state to replay it into.
 * Apart from prog.c, so that a program that reads no ledger links no
 * ledger layer.
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
	dk_state_free(&c->st);
	free(c->lpath);
	c->lpath = NULL;
	dk_conf_free(&c->conf);
}
