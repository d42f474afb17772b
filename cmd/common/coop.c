/*
 * coop.c: the start of the programs on the cooperative's side (see
 * prog.h): its configuration with the -D overrides, the market rules in
 * it, the path of the ledger it names and the state to replay it into;
 * for a writer, the operator's key and the ledger opened for appending.
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

/*
 * A writer's start: the operator's secret key (only now, when it is about
 * to sign), the ledger locked and replayed into the state, and its
 * genesis entry when it is new.
 */
int
dk_coop_open(struct dk_coop *c, struct dk_err *e)
{
	int committed;
	struct dk_key rk;
	json_t *x = NULL;
	char *b;
	int rc;

	if (dk_readings_conf(&c->conf, &committed, e) < 0 ||
	    dk_conf_key(&c->conf, "operator.key", 1, &c->op, e) < 0 ||
	    dk_ledger_open(&c->l, c->lpath, &c->op, dk_state_apply, &c->st,
	    e) < 0)
		return -1;
	c->lopen = 1;
	/* the second authority for a lost member key, named once */
	if (c->l.next == 0 && dk_conf_str(&c->conf, "recovery_key", NULL) !=
	    NULL) {
		if (dk_conf_key(&c->conf, "recovery_key", 0, &rk, e) < 0)
			return -1;
		b = dk_key_pub_b64(&rk);
		x = json_pack("{s:s}", "recovery", b);
		free(b);
	}
	rc = dk_ledger_genesis_with(&c->l, dk_conf_str(&c->conf, "origin",
	    DK_ORIGIN), committed, x, e);
	if (rc == 0 && x != NULL) {
		memcpy(c->st.reg.rpk, rk.pk, 32);
		c->st.reg.has_rpk = 1;
	}
	json_decref(x);
	return rc;
}

void
dk_coop_free(struct dk_coop *c)
{
	if (c->lopen)
		dk_ledger_close(&c->l);
	c->lopen = 0;
	dk_key_free(&c->op);
	dk_state_free(&c->st);
	free(c->lpath);
	c->lpath = NULL;
	dk_conf_free(&c->conf);
}
