/*
 * coop-write.c: a writer's start (see prog.h): the operator's key, the
 * ledger locked and opened for appending, and its witnesses (coop.yaml
 * witness.*), asked over HTTP at each commit.  Apart from coop.c so that
 * only the writers link lib/meter's libcurl caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "prog.h"
#include "meter/meter.h"

/* witness.NAME.url and witness.NAME.vkey, in the order the file gives
 * them, with witness.timeout. */
int
dk_coop_witnesses(struct dk_coop *c, struct dk_err *e)
{
	const struct dk_conf *f = &c->conf;
	char name[128], key[160];
	const char *k, *dot, *url, *vkey;
	long long v;
	size_t i, j;

	if (dk_conf_int(f, "witness.timeout", 5, 1, 600, &v, e) < 0)
		return -1;
	c->wtimeout = v;
	if (dk_conf_int(f, "witness.quorum", -1, -1, DK_WITNESS_MAX, &v,
	    e) < 0)
		return -1;
	c->wp.quorum = v;
	/* a writer checks its witnesses' lines, whatever their clocks */
	c->wp.skew = DK_MAX_SAFE_INT;
	for (i = 0; i < f->n; i++) {
		k = f->key[i];
		if (strncmp(k, "witness.", 8) != 0 ||
		    (dot = strchr(k + 8, '.')) == NULL ||
		    (size_t)(dot - k - 8) >= sizeof(name))
			continue;
		memcpy(name, k + 8, dot - k - 8);
		name[dot - k - 8] = '\0';
		for (j = 0; j < i; j++)
			if (strncmp(f->key[j], k, dot + 1 - k) == 0)
				break;
		if (j < i)
			continue;	/* its other setting came first */
		snprintf(key, sizeof(key), "witness.%s.url", name);
		url = dk_conf_str(f, key, NULL);
		snprintf(key, sizeof(key), "witness.%s.vkey", name);
		vkey = dk_conf_str(f, key, NULL);
		if (url == NULL || vkey == NULL)
			return dk_fail(e, DK_EX_CONFIG, "witness.%s: needs "
			    "both url and vkey", name);
		if (dk_wpolicy_add(&c->wp, vkey, url, e) < 0) {
			e->status = DK_EX_CONFIG;
			return dk_failpre(e, "witness.%s.vkey", name);
		}
	}
	return 0;
}

/* The C2SP tlog-witness request: "old N", the consistency proof from N to
 * the checkpoint's size in base64 lines, a blank line, the note. */
static char *
request(const struct dk_ledger *l, uint64_t old, uint64_t size,
    const char *note, size_t *len, struct dk_err *e)
{
	unsigned char p[64][32];
	char b[64], *out = NULL;
	size_t np = 0, i, n;
	FILE *fp;

	if (old > 0 && old < size && dk_merkle_consistency(
	    (const unsigned char (*)[32])l->info.leaves, size, old, p, &np,
	    e) < 0)
		return NULL;
	if ((fp = open_memstream(&out, &n)) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	fprintf(fp, "old %llu\n", (unsigned long long)old);
	for (i = 0; i < np; i++) {
		sodium_bin2base64(b, sizeof(b), p[i], 32,
		    sodium_base64_VARIANT_ORIGINAL);
		fprintf(fp, "%s\n", b);
	}
	fprintf(fp, "\n%s", note);
	fclose(fp);
	*len = n;
	return out;
}

/*
 * Witness w's cosignature of note (a tree of size entries): its lines
 * (malloc'd), or NULL after a warning.  A 409 (the witness holds another
 * old size) is asked again once, from the size it gives.
 */
static char *
ask(struct dk_coop *c, struct dk_wkey *w, const char *note, uint64_t size)
{
	struct dk_err e = { 0 };
	uint64_t old = w->size, t;
	char url[1024], *req, *ans = NULL, *full;
	size_t len, alen;
	long status = 0;
	int tries, ok;

	snprintf(url, sizeof(url), "%s/add-checkpoint", w->url);
	for (tries = 0; tries < 2; tries++) {
		if (old > size) {
			dk_warnx(c->pname, "witness %s: it cosigned a tree of "
			    "%llu entries, this one has %llu: the ledger was "
			    "cut back", w->k.name, (unsigned long long)old,
			    (unsigned long long)size);
			return NULL;
		}
		if ((req = request(&c->l, old, size, note, &len, &e)) == NULL)
			break;
		free(ans);
		ans = NULL;
		ok = dk_http_post(url, req, len, c->wtimeout, &status, &ans,
		    &alen, &e);
		free(req);
		if (ok < 0)
			break;
		if (status != 409)
			break;
		/* the size it holds, as text/x.tlog.size */
		old = strtoull(ans, NULL, 10);
	}
	if (e.status == 0 && status == 200) {
		if (asprintf(&full, "%s%s", note, ans) < 0)
			full = NULL;
		ok = full != NULL && dk_cosig_find(full, strlen(full), &w->k,
		    &t, &e) == 1;
		free(full);
		if (ok) {
			w->size = size;
			return ans;
		}
		if (e.status == 0)
			dk_fail(&e, DK_EX_UNAVAILABLE, "no cosignature of its key "
			    "in its answer");
	} else if (e.status == 0)
		dk_fail(&e, DK_EX_UNAVAILABLE, "%s: HTTP status %ld: %.200s",
		    url, status, ans != NULL ? strtok(ans, "\n") : "");
	dk_warnx(c->pname, "witness %s: %s; the checkpoint of %llu entries "
	    "goes without its cosignature", w->k.name, e.msg,
	    (unsigned long long)size);
	free(ans);
	return NULL;
}

/* The ledger's cosign function: every witness asked in turn, their lines
 * gathered; a witness that fails is named and left out. */
static char *
cosign(void *ctx, const struct dk_ledger *l, const char *note,
    struct dk_err *e)
{
	struct dk_coop *c = ctx;
	struct dk_checkpoint cp;
	char *out = strdup(""), *a, *n;
	size_t i, got = 0;

	(void)l;
	if (out == NULL || dk_checkpoint_parse(note, strlen(note), &cp, e) < 0) {
		free(out);
		return NULL;
	}
	for (i = 0; i < c->wp.n; i++) {
		if ((a = ask(c, &c->wp.w[i], note, cp.size)) == NULL)
			continue;
		got++;
		if (asprintf(&n, "%s%s", out, a) < 0)
			n = NULL;
		free(a);
		free(out);
		if ((out = n) == NULL) {
			dk_fail(e, DK_EX_SOFTWARE, "out of memory");
			return NULL;
		}
	}
	if (got < dk_wpolicy_quorum(&c->wp))
		dk_warnx(c->pname, "the checkpoint of %llu entries has %zu of "
		    "the %zu cosignatures witness.quorum asks",
		    (unsigned long long)cp.size, got,
		    dk_wpolicy_quorum(&c->wp));
	return out;
}

/* The witnesses, asked at each commit of the ledger c->l (when any). */
void
dk_coop_witness_on(struct dk_coop *c)
{
	if (c->wp.n > 0)
		dk_ledger_witnesses(&c->l, cosign, c, c->wp.n);
}

/*
 * A writer's start: the operator's secret key (only now, when it is about
 * to sign), the witnesses, the ledger locked and replayed into the state
 * (what each witness cosigned read from it), and its genesis entry when
 * it is new.
 */
int
dk_coop_open(struct dk_coop *c, struct dk_err *e)
{
	int committed;
	struct dk_scache sc;	/* the state from LEDGER.state on */
	struct dk_key rk;
	json_t *x = NULL;
	char *b;
	int rc;

	dk_scache_init(&sc, &c->st);
	if (dk_readings_conf(&c->conf, &committed, e) < 0 ||
	    dk_conf_key(&c->conf, "operator.key", 1, &c->op, e) < 0 ||
	    dk_coop_witnesses(c, e) < 0 ||
	    dk_ledger_open_w(&c->l, c->lpath, &c->op, dk_scache_apply, &sc,
	    &c->wp, e) < 0) {
		dk_scache_free(&sc);
		return -1;
	}
	dk_scache_free(&sc);
	c->lopen = 1;
	dk_coop_witness_on(c);
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
