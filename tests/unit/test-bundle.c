/* Unit tests of lib/settle/bundle.c: a dispute's bundle written from the
 * unit community's ledger, checked alone, and refused with a byte changed
 * or a case that does not exist. */
#include <sys/stat.h>

#include "check.h"
#include "community.h"

#define ORIGIN "unit.test/bundle"

/* bob's dispute against his contract of slot 1, appended: its entry */
static long long
open_dispute(const char *path, struct dk_disputes *d, struct dk_state *st)
{
	struct dk_err e = { 0 };
	struct dk_dreplay R = { st, d };
	struct dk_ledger l;
	long long c = -1, seq = -1;
	json_t *rec;
	size_t i;

	if (dk_ledger_open(&l, path, &cm_op, dk_dispute_replay, &R, &e) < 0) {
		fprintf(stderr, "open: %s\n", e.msg);
		return -1;
	}
	for (i = 0; i < d->nt; i++)
		if (d->t[i].kind == 'c' && strcmp(d->t[i].b, "bob") == 0) {
			c = d->t[i].seq;
			break;
		}
	rec = dk_dispute_make(d, &st->reg, &cm_key[1], "bob", c, "short",
	    1800000000, l.next, &e);
	CHECKF(rec != NULL, "%s", e.msg);
	if (rec != NULL && dk_ledger_add(&l, rec, &e) == 0 &&
	    dk_dispute_entry(d, &st->reg, l.next - 1, rec, NULL, &e) == 0 &&
	    dk_ledger_checkpoint(&l, &e) == 0 && dk_ledger_commit(&l, &e) == 0)
		seq = l.next - 2;
	CHECKF(seq > 0, "%s", e.msg);
	json_decref(rec);
	dk_ledger_close(&l);
	return seq;
}

/* A claim made from the inclusion proof of bob's contract, with no
 * ledger: bob's, not carol's; not under another operator's key. */
static void
test_claim(const char *path, const struct dk_disputes *d)
{
	struct dk_err e = { 0 };
	struct dk_scaninfo si;
	json_t *proof, *r;
	long long c = -1;
	size_t i;

	for (i = 0; i < d->nt; i++)
		if (d->t[i].kind == 'c' && strcmp(d->t[i].b, "bob") == 0)
			c = d->t[i].seq;
	memset(&si, 0, sizeof(si));
	si.want_leaves = 1;
	CHECK(dk_ledger_scan_info(path, NULL, NULL, NULL, &si, &e) == 0);
	proof = dk_proof_inclusion(&si, path, c, &e);
	CHECKF(proof != NULL, "%s", e.msg);
	r = dk_dispute_claim(proof, cm_op.pk, "bob", &cm_key[1], "short",
	    1800000000, &e);
	CHECKF(r != NULL && json_integer_value(json_object_get(r, "entry")) ==
	    c, "%s", e.msg);
	json_decref(r);
	CHECK(dk_dispute_claim(proof, cm_op.pk, "carol", &cm_key[2], "x",
	    1800000000, &e) == NULL);
	CHECKF(strstr(e.msg, "a contract of alice and bob, not carol's") !=
	    NULL, "%s", e.msg);
	CHECK(dk_dispute_claim(proof, cm_key[0].pk, "bob", &cm_key[1], "x",
	    1800000000, &e) == NULL);
	json_decref(proof);
	dk_scaninfo_free(&si);
}

/* One byte of file name in dir changed: from to to, the first time. */
static void
change(const char *dir, const char *name, const char *from, const char *to)
{
	char path[1100], *buf = NULL, *p;
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	if (getdelim(&buf, &n, '\0', fp) < 0)
		buf[0] = '\0';
	fclose(fp);
	CHECK((p = strstr(buf, from)) != NULL);
	if (p != NULL)
		memcpy(p, to, strlen(to));
	if ((fp = fopen(path, "w")) != NULL) {
		fputs(buf, fp);
		fclose(fp);
	}
	free(buf);
}

int
main(void)
{
	struct dk_err e = { 0 };
	struct dk_disputes d;
	struct dk_state st;
	char tmp[] = "/tmp/test-bundle.XXXXXX", path[512], dir[512], cmd[1100];
	char *out = NULL;
	size_t n = 0;
	long long ds;
	FILE *fp;

	community_keys();
	if (mkdtemp(tmp) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/ledger.jsonl", tmp);
	snprintf(dir, sizeof(dir), "%s/case", tmp);
	CHECKF(community_ledger(path, ORIGIN, CM_GOOD, &e) == 0, "%s", e.msg);
	dk_disputes_init(&d);
	dk_state_init(&st);
	ds = open_dispute(path, &d, &st);
	test_claim(path, &d);
	/* no dispute there; then the bundle; then again: the folder exists */
	CHECK(dk_bundle_write(path, "none", &d, &st.reg, 1, dir, &e) < 0);
	CHECK(strstr(e.msg, "opened no dispute") != NULL);
	memset(&e, 0, sizeof(e));
	CHECKF(dk_bundle_write(path, "none", &d, &st.reg, ds, dir, &e) == 0,
	    "%s", e.msg);
	CHECK(dk_bundle_write(path, "none", &d, &st.reg, ds, dir, &e) < 0 &&
	    e.status == DK_EX_CANTCREAT);
	memset(&e, 0, sizeof(e));
	fp = open_memstream(&out, &n);
	CHECKF(dk_bundle_verify(dir, fp, &e) == 0, "%s", e.msg);
	fclose(fp);
	CHECKF(out != NULL &&
	    strstr(out, "by bob against the contract") != NULL &&
	    strstr(out, "settlement made again from its contracts and "
	    "readings: the same") != NULL, "%s", out ? out : "");
	free(out);
	out = NULL;
	/* one byte of the claim changed */
	change(dir, "proofs.jsonl", "short", "Short");
	fp = open_memstream(&out, &n);
	memset(&e, 0, sizeof(e));
	CHECK(dk_bundle_verify(dir, fp, &e) < 0 && e.status == DK_EX_NO);
	CHECKF(strstr(e.msg, "proofs.jsonl:") != NULL, "%s", e.msg);
	fclose(fp);
	free(out);
	/* a bundle not there */
	memset(&e, 0, sizeof(e));
	CHECK(dk_bundle_verify("/nonexistent/case", stderr, &e) < 0 &&
	    e.status == DK_EX_NOINPUT);
	dk_disputes_free(&d);
	dk_state_free(&st);
	community_free_keys();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmp);
	return check_done("test-bundle");
}
