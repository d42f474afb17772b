/*
 * coop.c: the start of the programs on the cooperative's side (see
 * prog.h): its configuration with the -D overrides, the market rules in
 * it, and the path of the ledger it names.  Apart from prog.c, so that a
 * program that reads no ledger links no ledger layer.
 */
#include "prog.h"
#include "ledger/ledger.h"

/* dk_init, coop.yaml (-c, -D), its rules when r is not NULL, and the
 * ledger's path ("ledger", ledger.jsonl by default; the caller's to
 * free). */
int
dk_prog_coop(const struct dk_prog *p, struct dk_conf *conf,
    struct dk_rules *r, char **lpath, struct dk_err *e)
{
	if (dk_init(e) < 0 || dk_prog_conf(p, conf, DK_CONF_COOP, e) < 0 ||
	    (r != NULL && dk_rules_from_conf(r, conf, e) < 0))
		return -1;
	if ((*lpath = dk_conf_path(conf, "ledger", "ledger.jsonl")) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
}
