/*
 * bundle.c: a dispute's evidence for a mediator with no ledger: the
 * entries of its slot that concern its parties, each with its inclusion
 * proof under the latest checkpoint, and their checks offline.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "settle.h"

/* operator.pub's comment: verify reads every byte of the bundle */
#define PUBNOTE	"the operator's key, from the ledger's genesis"

/* What the scan keeps: the entries of the case's slot and parties. */
struct pick {
	const struct dk_dcase *c;
	const struct dk_registry *reg;
	long long *seq;
	size_t n, cap;
	json_t *rev;		/* the ids registered as reviewers so far */
};

static int
party(const struct dk_dcase *c, const char *id)
{
	return id != NULL && (strcmp(id, c->by) == 0 || (c->other[0] != '\0' &&
	    strcmp(id, c->other) == 0));
}

static int
wanted(struct pick *p, long long seq, json_t *rec)
{
	const struct dk_dcase *c = p->c;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *slot = json_string_value(json_object_get(rec, "slot"));
	const struct dk_participant *o;

#define S(k) json_string_value(json_object_get(rec, k))
	if (type == NULL)
		return 0;
	if (seq == 0 || seq == c->seq || (c->resolved && seq == c->resolved) ||
	    strcmp(type, "terms") == 0 || strcmp(type, "rules") == 0)
		return 1;
	/* every reviewer's records (from its first as one): a reviewer
	 * decides on the bundle (dk_bundle_resolution) */
	if (strcmp(type, "participant") == 0 && S("id") != NULL &&
	    S("role") != NULL && strcmp(S("role"), "reviewer") == 0)
		json_object_set_new(p->rev, S("id"), json_true());
	if (strcmp(type, "participant") == 0)
		return party(c, S("id")) || (S("id") != NULL &&
		    json_object_get(p->rev, S("id")) != NULL);
	if (slot == NULL || strcmp(slot, c->slot) != 0)
		return 0;
	if (strcmp(type, "clearing") == 0)
		return 1;
	if (strcmp(type, "order") == 0 || strcmp(type, "settlement") == 0 ||
	    strcmp(type, "trueup") == 0)
		return party(c, S("participant"));
	if (strcmp(type, "contract") == 0 || strcmp(type, "transfer") == 0)
		return party(c, S(*type == 'c' ? "seller" : "from")) ||
		    party(c, S(*type == 'c' ? "buyer" : "to"));
	if (strcmp(type, "reading") == 0 || strcmp(type, "commitment") == 0)
		return (o = dk_registry_meter(p->reg, S("meter"))) != NULL &&
		    party(c, o->id);
#undef S
	return 0;
}

static int
pick(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct pick *p = ctx;
	long long *n;

	(void)line;
	if (!wanted(p, seq, rec))
		return 0;
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		if ((n = realloc(p->seq, p->cap * sizeof(*n))) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		p->seq = n;
	}
	p->seq[p->n++] = seq;
	return 0;
}

static FILE *
create(const char *dir, const char *name, int mode, struct dk_err *e)
{
	char path[4096];
	FILE *fp;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode)) < 0 ||
	    (fp = fdopen(fd, "w")) == NULL) {
		dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	return fp;
}

static int
done(FILE *fp, const char *dir, const char *name, struct dk_err *e)
{
	if (fflush(fp) != 0 || ferror(fp) || fclose(fp) != 0)
		return dk_fail(e, DK_EX_IOERR, "%s/%s: %s", dir, name,
		    strerror(errno));
	return 0;
}

/*
 * The bundle of dispute ds (d: the ledger at lpath replayed into reg) in
 * directory dir, made new: operator.pub, checkpoint, proofs.jsonl (an
 * inclusion proof an entry, in the ledger's order), openings.jsonl (the
 * parties' committed readings opened, from the store at opath) and
 * case.json (what the bundle is).
 */
int
dk_bundle_write(const char *lpath, const char *opath,
    const struct dk_disputes *d, const struct dk_registry *reg, long long ds,
    const char *dir, struct dk_err *e)
{
	struct pick p = { 0 };
	struct dk_scaninfo si;
	json_t *byseq = NULL, *x, *cs = NULL, *a;
	FILE *fp = NULL, *fo = NULL;
	char path[4096];
	size_t i;
	int rc = -1;

	memset(&si, 0, sizeof(si));
	if ((p.c = dk_dispute_case(d, ds)) == NULL)
		return dk_fail(e, DK_EX_DATAERR, "dispute %lld: entry %lld "
		    "opened no dispute", ds, ds);
	p.reg = reg;
	p.rev = json_object();
	si.want_leaves = 1;
	if (dk_ledger_scan_info(lpath, NULL, pick, &p, &si, e) < 0)
		goto out;
	if (si.note == NULL || p.seq[p.n - 1] >= si.note_seq) {
		dk_fail(e, DK_EX_DATAERR, "%s: entry %lld is after the last "
		    "checkpoint: no proof yet", lpath, p.seq[p.n - 1]);
		goto out;
	}
	if (si.committed && dk_openings_load(opath, &byseq, e) < 0)
		goto out;
	if (mkdir(dir, 0700) < 0) {
		dk_fail(e, DK_EX_CANTCREAT, "%s: %s", dir, strerror(errno));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/operator.pub", dir);
	if (dk_key_write_pub(&si.key, path, PUBNOTE, 0, e) < 0 ||
	    (fp = create(dir, "checkpoint", 0644, e)) == NULL)
		goto out;
	fputs(si.note, fp);
	if (done(fp, dir, "checkpoint", e) < 0 ||
	    (fp = create(dir, "proofs.jsonl", 0600, e)) == NULL ||
	    (si.committed && (fo = create(dir, "openings.jsonl", 0600,
	    e)) == NULL))
		goto out;
	a = json_array();
	cs = json_pack("{s:s,s:i,s:I,s:I,s:s,s:s,s:o}", "type", "bundle", "v",
	    1, "dispute", (json_int_t)ds, "entry", (json_int_t)p.c->entry,
	    "slot", p.c->slot, "origin", si.origin, "entries", a);
	for (i = 0; i < p.n; i++) {
		if ((x = dk_proof_inclusion(&si, lpath, p.seq[i], e)) == NULL)
			goto out;
		dk_emit(fp, x);
		json_decref(x);
		json_array_append_new(a, json_integer(p.seq[i]));
		if (fo == NULL || (x = dk_openings_get(byseq, p.seq[i])) ==
		    NULL)
			continue;
		dk_emit(fo, x);
	}
	if (done(fp, dir, "proofs.jsonl", e) < 0 ||
	    (fo != NULL && done(fo, dir, "openings.jsonl", e) < 0))
		goto out;
	fp = fo = NULL;
	if ((fp = create(dir, "case.json", 0644, e)) == NULL)
		goto out;
	dk_emit(fp, cs);
	if (done(fp, dir, "case.json", e) < 0)
		goto out;
	fp = NULL;
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	if (fo != NULL)
		fclose(fo);
	json_decref(cs);
	json_decref(byseq);
	free(p.seq);
	json_decref(p.rev);
	dk_scaninfo_free(&si);
	return rc;
}

/* The text of dir/name, NUL-ended, or NULL. */
static char *
slurp(const char *dir, const char *name, struct dk_err *e)
{
	char path[4096], *buf = NULL;
	size_t n = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fp = fopen(path, "r")) == NULL) {
		dk_fail(e, DK_EX_NOINPUT, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (getdelim(&buf, &n, '\0', fp) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(fp);
	return buf;
}

/* What verify checks the entries with, as it reads them in order. */
struct vb {
	struct dk_state st;
	struct dk_disputes d;
	json_t *openings;	/* seq -> opening, from openings.jsonl */
	json_t *then;		/* transfers a resolution makes, to come */
	char *opkey;		/* operator.pub, as the genesis names it */
	long long used, readings;
	/* the slot's, to settle again: its rules, the participant records,
	 * contracts, the parties' readings, settlement records and
	 * transfers (but the dispute's); why not, when it cannot be */
	struct dk_rules rules;
	json_t *parts, *contracts, *rds, *setts;
	const char *why;
	int committed;		/* the genesis's readings */
};

static int
vb_entry(struct vb *v, long long seq, json_t *rec, struct dk_err *e)
{
	const char *type = json_string_value(json_object_get(rec, "type"));
	const struct dk_participant *p;
	json_t *op, *rd = rec, *want;

	if (type == NULL)
		return dk_fail(e, DK_EX_NO, "an entry without a type");
	if (json_array_size(v->then) > 0) {
		want = json_array_get(v->then, 0);
		if (!json_equal(want, rec))
			return dk_fail(e, DK_EX_NO, "not the transfer the "
			    "resolution makes: field %s", dk_first_diff(want,
			    rec));
		json_array_remove(v->then, 0);
		return 0;
	}
	if (dk_disputes_note(&v->d, seq, rec, e) < 0)
		return -1;
	if (strcmp(type, "ledger") == 0)
		v->committed = json_string_value(json_object_get(rec,
		    "readings")) != NULL && strcmp(json_string_value(
		    json_object_get(rec, "readings")), "committed") == 0;
	if (strcmp(type, "participant") == 0)
		json_array_append(v->parts, rec);
	if (strcmp(type, "clearing") == 0)
		v->rules = v->st.rules;
	if (strcmp(type, "contract") == 0)
		json_array_append(v->contracts, rec);
	if ((strcmp(type, "settlement") == 0 || strcmp(type, "transfer") ==
	    0) && json_object_get(rec, "dispute") == NULL)
		json_array_append(v->setts, rec);
	if (strcmp(type, "trueup") == 0 || json_object_get(rec,
	    "provisional") != NULL)
		v->why = "provisional";
	if (strcmp(type, "commitment") == 0 && dk_openings_get(v->openings,
	    seq) == NULL)
		v->why = "a commitment not opened";
	if (strcmp(type, "ledger") == 0 && (seq != 0 || json_string_value(
	    json_object_get(rec, "key")) == NULL || strcmp(v->opkey,
	    json_string_value(json_object_get(rec, "key"))) != 0))
		return dk_fail(e, DK_EX_NO, "the genesis names another "
		    "operator key than operator.pub");
	if (strcmp(type, "ledger") == 0 || strcmp(type, "participant") == 0 ||
	    strcmp(type, "terms") == 0 || strcmp(type, "rules") == 0)
		return dk_state_apply(&v->st, seq, 0, rec, e);
	if (strcmp(type, "dispute") == 0 ||
	    strcmp(type, "dispute_resolution") == 0)
		return dk_dispute_entry(&v->d, &v->st.reg, seq, rec, v->then,
		    e);
	if (strcmp(type, "order") == 0) {
		if ((p = dk_registry_find(&v->st.reg, json_string_value(
		    json_object_get(rec, "participant")))) == NULL)
			return dk_fail(e, DK_EX_NO, "an order of a participant "
			    "the bundle does not register");
		return dk_verify_record(rec, p->pk, e);
	}
	if (strcmp(type, "commitment") == 0) {
		if ((op = dk_openings_get(v->openings, seq)) == NULL)
			return 0;	/* settled without it: said below */
		if (dk_opening_check(op, rec, seq, e) < 0)
			return dk_failpre(e, "openings.jsonl");
		rd = json_object_get(op, "reading");
		v->used++;
	}
	if (strcmp(type, "commitment") == 0 || strcmp(type, "reading") == 0) {
		v->readings++;
		json_array_append(v->rds, rd);
		if ((p = dk_registry_meter(&v->st.reg, json_string_value(
		    json_object_get(rd, "meter")))) == NULL)
			return dk_fail(e, DK_EX_NO, "a reading of a meter the "
			    "bundle does not register");
		return dk_reading_verify(rd, p, e);
	}
	return 0;
}

/* A member of the slot's contracts the bundle does not register: a
 * participant record that stands in for it, in zone. */
static json_t *
stand_in(const char *id, const char *zone, const char *key)
{
	return json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[]}", "type",
	    "participant", "v", 1, "id", id, "zone", zone ? zone : "-", "role",
	    "prosumer", "status", "active", "key", key, "meters");
}

/* A record of the replay that a party of c is in. */
static int
concerns(const struct dk_dcase *c, json_t *x)
{
	const char *p = json_string_value(json_object_get(x, "participant"));

	return party(c, p) || party(c, json_string_value(json_object_get(x,
	    "from"))) || party(c, json_string_value(json_object_get(x, "to")));
}

/*
 * The parties' settlement of the slot made again (dk_settle_mixed) from
 * the bundle's contracts, the parties' readings and the rules in force at
 * the clearing, the other members of the contracts standing in by their
 * contracted positions (no deviation, which touches no party's money):
 * its settlement records and transfers with a party must be the
 * bundle's, in order.  0 when they are, or when it cannot be done (v->why
 * says why); -1 with status 1 when they differ.
 */
static int
resettle(struct vb *v, const struct dk_dcase *c, int committed,
    struct dk_err *e)
{
	struct dk_registry reg;
	json_t *nets = json_object(), *out = json_array(), *x, *got;
	const char *id, *side[2] = { "seller", "buyer" };
	int64_t slot, n;
	size_t i, k = 0;
	int j, rc = -1;

	memset(&reg, 0, sizeof(reg));
	if (v->why != NULL || json_array_size(v->contracts) == 0 ||
	    v->rules.imbalance[0] != '\0') {
		if (v->why == NULL)
			v->why = json_array_size(v->contracts) ? "imbalance "
			    "prices of a series" : "no contract";
		rc = 0;
		goto out;
	}
	json_array_foreach(v->parts, i, x)
		if (dk_registry_put(&reg, x, e) < 0)
			goto out;
	json_array_foreach(v->contracts, i, x)
		for (j = 0; j < 2; j++) {
			id = json_string_value(json_object_get(x, side[j]));
			if (id == NULL || party(c, id))
				continue;
			n = json_integer_value(json_object_get(nets, id));
			n += (j ? -1 : 1) * json_integer_value(json_object_get(x,
			    "wh"));
			json_object_set_new(nets, id, json_integer(n));
			if (dk_registry_find(&reg, id) == NULL) {
				json_t *si = stand_in(id, json_string_value(
				    json_object_get(x, j ? "buyer_zone" :
				    "seller_zone")), v->opkey);
				rc = dk_registry_put(&reg, si, e);
				json_decref(si);
				if (rc < 0)
					goto out;
				rc = -1;
			}
		}
	if (dk_slot_parse(c->slot, v->rules.slot_minutes, &slot, e) < 0 ||
	    dk_settle_mixed(slot, v->contracts, v->rds, nets, &reg, &v->rules,
	    out, e) < 0) {
		dk_failpre(e, "the slot settled again");
		e->status = DK_EX_NO;
		goto out;
	}
	json_array_foreach(out, i, x) {
		if (!concerns(c, x))
			continue;
		if (committed && json_object_get(x, "participant") != NULL &&
		    strcmp(json_string_value(json_object_get(x, "type")),
		    "settlement") == 0)
			dk_settlement_private(x);
		got = json_array_get(v->setts, k++);
		if (got == NULL || !json_equal(x, got)) {
			dk_fail(e, DK_EX_NO, "the slot settled again: %s %s "
			    "differs from the bundle's%s%s", json_string_value(
			    json_object_get(x, "type")), json_string_value(
			    json_object_get(x, "participant")) ?
			    json_string_value(json_object_get(x,
			    "participant")) : json_string_value(
			    json_object_get(x, "reason")), got ? ": field " :
			    "", got ? dk_first_diff(x, got) : "");
			goto out;
		}
	}
	if (k != json_array_size(v->setts)) {
		dk_fail(e, DK_EX_NO, "the slot settled again: the bundle has "
		    "%zu settlement records and transfers more", 
		    json_array_size(v->setts) - k);
		goto out;
	}
	rc = 0;
out:
	dk_registry_free(&reg);
	json_decref(nets);
	json_decref(out);
	return rc;
}

/*
 * The bundle in dir checked with nothing else: each proof against the
 * checkpoint and operator key it holds, the entries they prove replayed
 * as far as they go (the registry entries; the orders', readings',
 * dispute's and resolution's signatures; the openings against their
 * commitments; the resolution's transfers), and case.json against them.
 * A line on out when it holds; -1 with status 1 when it does not.
 */
static int
check(const char *dir, FILE *out, struct vb *vp, struct dk_err *e)
{
	struct dk_key op;
	struct dk_reader r;
	char path[4096], ok[512], *cp = NULL, *cj = NULL, *pk = NULL, *line;
	json_t *pr = NULL, *rec, *cs = NULL, *seqs = json_array(), *x;
	json_error_t je;
	long long idx, size = 0;
	const struct dk_dcase *c;
	long n, ln = 0;
	int rc = -1;

	snprintf(path, sizeof(path), "%s/operator.pub", dir);
	if (dk_key_read_pub(&op, path, e) < 0) {
		if (e->status == DK_EX_DATAERR)
			e->status = DK_EX_NO;
		goto out;
	}
	if ((cp = slurp(dir, "checkpoint", e)) == NULL ||
	    (cj = slurp(dir, "case.json", e)) == NULL ||
	    (pk = slurp(dir, "operator.pub", e)) == NULL)
		goto out;
	vp->opkey = dk_key_pub_b64(&op);
	snprintf(path, sizeof(path), "untrusted comment: %s\n%s\n", PUBNOTE,
	    vp->opkey);
	if (strcmp(path, pk) != 0) {
		dk_fail(e, DK_EX_NO, "%s/operator.pub: not as bundle wrote it",
		    dir);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/openings.jsonl", dir);
	if (access(path, F_OK) == 0 && dk_openings_load(path, &x, e) == 0) {
		json_decref(vp->openings);
		vp->openings = x;
	} else if (access(path, F_OK) == 0) {
		e->status = DK_EX_NO;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/proofs.jsonl", dir);
	if (dk_reader_open(&r, path, e) < 0)
		goto out;
	while ((n = dk_reader_next(&r, &line, e)) >= 0) {
		ln = r.line;
		json_decref(pr);
		if ((pr = json_loadb(line, n, JSON_REJECT_DUPLICATES,
		    &je)) == NULL || !json_is_object(pr)) {
			dk_fail(e, DK_EX_NO, "malformed JSON");
			break;
		}
		if (dk_proof_verify(pr, op.pk, NULL, ok, sizeof(ok), e) < 0)
			break;
		if (strcmp(json_string_value(json_object_get(pr,
		    "checkpoint")), cp) != 0) {
			dk_fail(e, DK_EX_NO, "a proof under another checkpoint "
			    "than the bundle's");
			break;
		}
		idx = json_integer_value(json_object_get(pr, "index"));
		size = json_integer_value(json_object_get(pr, "size"));
		x = json_loads(json_string_value(json_object_get(pr, "entry")),
		    JSON_REJECT_DUPLICATES, &je);
		rec = json_object_get(x, "rec");
		if (json_integer_value(json_object_get(x, "seq")) != idx ||
		    !json_is_object(rec) || vb_entry(vp, idx, rec, e) < 0) {
			if (e->status == 0)
				dk_fail(e, DK_EX_NO, "the entry is not entry "
				    "%lld of a ledger", idx);
			json_decref(x);
			break;
		}
		json_decref(x);
		json_array_append_new(seqs, json_integer(idx));
	}
	dk_reader_close(&r);
	if (e->status != 0) {
		dk_failpre(e, "%s/proofs.jsonl:%ld", dir, ln);
		e->status = e->status == DK_EX_NOINPUT ? e->status : DK_EX_NO;
		goto out;
	}
	cs = json_loads(cj, JSON_REJECT_DUPLICATES, &je);
	if (cs == NULL || json_object_size(cs) != 7 ||
	    dk_check_type(cs, "bundle", e) < 0 ||
	    json_string_value(json_object_get(cs, "origin")) == NULL ||
	    strncmp(cp, json_string_value(json_object_get(cs, "origin")),
	    strlen(json_string_value(json_object_get(cs, "origin")))) != 0 ||
	    cp[strlen(json_string_value(json_object_get(cs, "origin")))] !=
	    '\n' || !json_equal(json_object_get(cs, "entries"), seqs) ||
	    (c = dk_dispute_case(&vp->d, json_integer_value(json_object_get(cs,
	    "dispute")))) == NULL || json_integer_value(json_object_get(cs,
	    "entry")) != c->entry || strcmp(c->slot, json_string_value(
	    json_object_get(cs, "slot")) ? json_string_value(
	    json_object_get(cs, "slot")) : "") != 0) {
		dk_fail(e, DK_EX_NO, "%s/case.json: not the case the proofs "
		    "show", dir);
		goto out;
	}
	if (json_array_size(vp->then) > 0 || vp->used != (long long)
	    json_object_size(vp->openings)) {
		dk_fail(e, DK_EX_NO, "%s: %s", dir, json_array_size(vp->then) ?
		    "the resolution's transfers are missing" : "an opening of "
		    "no commitment in the bundle");
		goto out;
	}
	if (resettle(vp, c, vp->committed, e) < 0) {
		dk_failpre(e, "%s", dir);
		goto out;
	}
	if (out != NULL)
		fprintf(out, "%s: OK: %zu entries of %s under its checkpoint "
	    "of %lld entries; dispute %lld by %s against the %s of entry %lld (slot "
	    "%s), %s; %lld readings (%lld opened) and every order, dispute "
	    "and resolution signature check; the parties' settlement %s%s%s\n",
	    dir, json_array_size(seqs),
	    json_string_value(json_object_get(cs, "origin")), size, c->seq,
	    c->by, c->kind == 'c' ? "contract" : "settlement", c->entry,
	    c->slot, c->resolved ? "resolved" : "open", vp->readings, vp->used,
	    vp->why ? "not made again (" : "made again from its contracts and "
	    "readings: the same", vp->why ? vp->why : "", vp->why ? ")" : "");
	rc = 0;
out:
	free(cp);
	free(cj);
	free(pk);
	json_decref(pr);
	json_decref(cs);
	json_decref(seqs);
	return rc;
}

static void
vb_init(struct vb *v)
{
	memset(v, 0, sizeof(*v));
	dk_state_init(&v->st);
	dk_disputes_init(&v->d);
	v->openings = json_object();
	v->then = json_array();
	v->parts = json_array();
	v->contracts = json_array();
	v->rds = json_array();
	v->setts = json_array();
}

static void
vb_free(struct vb *v)
{
	json_decref(v->openings);
	json_decref(v->then);
	json_decref(v->parts);
	json_decref(v->contracts);
	json_decref(v->rds);
	json_decref(v->setts);
	free(v->opkey);
	dk_state_free(&v->st);
	dk_disputes_free(&v->d);
}

/* The bundle in dir checked (check): a line on out when it holds. */
int
dk_bundle_verify(const char *dir, FILE *out, struct dk_err *e)
{
	struct vb v;
	int rc;

	vb_init(&v);
	rc = check(dir, out, &v, e);
	vb_free(&v);
	return rc;
}

/*
 * A reviewer's decision of the bundle's dispute ds, made where there is
 * no ledger: the bundle must check, and the key k be a reviewer's that
 * it registers; the signed dispute_resolution, for the operator to
 * append (as dk_resolution_make).
 */
json_t *
dk_bundle_resolution(const char *dir, const struct dk_key *k, long long ds,
    int upheld, const char *comment, char **xf, size_t nxf, int64_t time,
    struct dk_err *e)
{
	struct vb v;
	json_t *r = NULL;

	vb_init(&v);
	if (check(dir, NULL, &v, e) == 0)
		r = dk_resolution_make(&v.d, &v.st.reg, k, ds, upheld, comment,
		    xf, nxf, time, 0, NULL, e);
	vb_free(&v);
	return r;
}
