/*
 * run.c: a settlement run (denki-settle): the readings given, checked,
 * put in slot order without copies or readings the ledger already holds,
 * with the slots past their deadline, then settled (or trued up) slot by
 * slot into the ledger.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "settle.h"

static const char *
str(json_t *rec, const char *key)
{
	return json_string_value(json_object_get(rec, key));
}

static void
rd_free(struct dk_sreading *rd)
{
	json_decref(rd->rec);
	free(rd->canon);
}

/* rd's record, a new reference: its own when its line was not flat, else
 * made again from its canonical line (the same tree dk_parse_flat made of
 * it when it was read); NULL when memory is short or for a slot due. */
json_t *
dk_sreading_rec(const struct dk_sreading *rd)
{
	if (rd->rec != NULL)
		return json_incref(rd->rec);
	if (rd->canon == NULL)
		return NULL;
	return dk_parse_flat(rd->canon, rd->ncanon);
}

/* settle.signed: "required" (every reading signed by its meter's key; the
 * default) or "registered" (a community migrating: a meter without a
 * registered key may give unsigned readings). */
int
dk_settle_run_init(struct dk_settle_run *run, const struct dk_conf *conf,
    struct dk_err *e)
{
	const char *s = dk_conf_str(conf, "settle.signed", "required");
	long long dl;

	memset(run, 0, sizeof(*run));
	if (dk_readings_conf(conf, &run->newmode, e) < 0 ||
	    dk_conf_int(conf, "settle.deadline_minutes", 60, 0, 10080, &dl,
	    e) < 0)
		return -1;
	run->deadline = (int64_t)dl * 60;
	run->now = (int64_t)time(NULL);
	if (strcmp(s, "required") == 0)
		run->require = 1;
	else if (strcmp(s, "registered") != 0)
		return dk_fail(e, DK_EX_CONFIG, "settle.signed: must be "
		    "registered or required, got \"%.40s\"", s);
	return 0;
}

/* A gap record says there is no reading, for a run of slots from slot
 * to last: nothing to settle.  What it says goes into e->msg. */
static int
gap(json_t *rec, struct dk_err *e)
{
	const char *first = str(rec, "slot"), *last = str(rec, "last");

	if (last != NULL && first != NULL && strcmp(last, first) == 0)
		last = NULL;
	snprintf(e->msg, sizeof(e->msg), "meter %s: slot%s %s%s%s: a gap "
	    "(%s), no reading", str(rec, "meter"), last ? "s" : "", first,
	    last ? " to " : "", last ? last : "", str(rec, "reason"));
	return DK_SETTLE_GAP;
}

/* Where rd's meter signed text sits in its canonical line (rec its
 * record), for runcheck.c: the line without the signature's member
 * (dk_record_sig_cut), kept as two numbers, not as a copy; siglen 0 when
 * it is not so (left to the check made later). */
static void
signed_text(struct dk_sreading *rd, json_t *rec)
{
	struct dk_err e = { 0 };
	unsigned char sig[64];

	if (dk_record_sig_cut(rec, rd->canon, rd->ncanon, &rd->sigoff,
	    &rd->siglen, sig, &e) != 1)
		rd->sigoff = rd->siglen = 0;
}

/*
 * One line of input, line lineno of name: a reading kept for the run
 * (DK_SETTLE_TAKEN; a pv or battery reading is counted in nother and
 * left out), a gap (DK_SETTLE_GAP, what it says in e->msg), or a reading
 * rejected (DK_SETTLE_REJECTED, e says why).  -1: out of memory.
 */
int
dk_settle_run_add(struct dk_settle_run *run, const char *line, size_t n,
    const char *name, long lineno, const struct dk_rules *rules,
    struct dk_err *e)
{
	struct dk_sreading *rd;
	const char *kind;
	json_t *rec;
	int64_t t;
	int flat;

	/* a meter's line, flat and canonical, built without the parser */
	flat = (rec = dk_parse_flat(line, n)) != NULL;
	if ((flat || (rec = dk_parse(line, n, e)) != NULL) &&
	    json_is_string(json_object_get(rec, "type")) &&
	    strcmp(str(rec, "type"), "gap") == 0) {
		gap(rec, e);
		json_decref(rec);
		run->ngap++;
		return DK_SETTLE_GAP;
	}
	if (rec == NULL || dk_reading_check(rec, rules, &t, e) < 0 ||
	    (run->require && json_object_get(rec, "sig") == NULL &&
	    dk_fail(e, DK_EX_DATAERR, "meter %s: unsigned, and settle.signed "
	    "is required", str(rec, "meter")) < 0)) {
		json_decref(rec);
		return DK_SETTLE_REJECTED;
	}
	if (run->n == run->cap) {
		size_t cap = run->cap ? run->cap * 2 : 256;
		void *v = realloc(run->v, cap * sizeof(*run->v));
		if (v == NULL) {
			json_decref(rec);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		run->v = v;
		run->cap = cap;
	}
	kind = str(rec, "kind");
	if (kind != NULL && strcmp(kind, "grid") != 0) {
		/* pv and battery: not what the grid metered */
		run->nother++;
		json_decref(rec);
		return DK_SETTLE_TAKEN;
	}
	rd = &run->v[run->n];
	rd->slot = t;
	rd->rec = NULL;
	rd->key = NULL;
	rd->file = name;
	rd->line = lineno;
	if (flat) {
		/* the line as it is, its meter and slot after it: the
		 * record is made again for its slot (dk_sreading_rec) */
		const char *m = str(rec, "meter"), *ss = str(rec, "slot");
		size_t ml = strlen(m), sl = strlen(ss);

		if ((rd->canon = malloc(n + ml + sl + 3)) == NULL) {
			json_decref(rec);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		memcpy(rd->canon, line, n);
		rd->canon[n] = '\0';
		rd->meter = memcpy(rd->canon + n + 1, m, ml + 1);
		rd->slotstr = memcpy(rd->canon + n + 2 + ml, ss, sl + 1);
		rd->ncanon = n;
		signed_text(rd, rec);
		json_decref(rec);
		run->n++;
		return DK_SETTLE_TAKEN;
	}
	rd->rec = rec;
	rd->meter = str(rec, "meter");
	rd->slotstr = str(rec, "slot");
	/* the line itself when it is canonical, as a meter writes it */
	if ((rd->canon = dk_is_canonical(line, n) ? strndup(line, n) :
	    dk_canon(rec)) == NULL) {
		json_decref(rec);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	rd->ncanon = strlen(rd->canon);
	signed_text(rd, rec);
	run->n++;
	return DK_SETTLE_TAKEN;
}

static int
byslot(const void *a, const void *b)
{
	const struct dk_sreading *x = a, *y = b;
	int c;

	if (x->slot != y->slot)
		return x->slot < y->slot ? -1 : 1;
	if (x->canon == NULL || y->canon == NULL)	/* a slot due, alone */
		return (x->canon != NULL) - (y->canon != NULL);
	c = strcmp(x->meter, y->meter);
	return c ? c : strcmp(x->canon, y->canon);
}

/* The readings in slot order; an exact copy of a reading given before is
 * the same reading (counted in ndup). */
void
dk_settle_run_sort(struct dk_settle_run *run)
{
	size_t i, j;

	if (run->n > 1)
		qsort(run->v, run->n, sizeof(*run->v), byslot);
	for (i = j = 0; i < run->n; i++) {
		if (j > 0 && strcmp(run->v[j - 1].canon, run->v[i].canon) ==
		    0) {
			rd_free(&run->v[i]);
			run->ndup++;
			continue;
		}
		run->v[j++] = run->v[i];
	}
	run->n = j;
}

/* The input readings already in the ledger, exact copies: delivered at
 * least once means some may come again.  A committed reading is known
 * by its opening in the operator's store. */
struct scan {
	struct dk_settle_run *run;
	struct dk_state *st;
	json_t *want;		/* canonical reading -> true once seen */
};

/* seq the ledger's commitment: into run->cseq */
static int
add_seq(struct dk_settle_run *run, long long seq)
{
	if (dk_grow(&run->cseq, run->ncseq, &run->capcseq,
	    sizeof(*run->cseq), 1024) < 0)
		return -1;
	run->cseq[run->ncseq++] = seq;
	return 0;
}

static int
seqcmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The commitments the cache held (n at k: those before the ones the
 * scan found, in order) and the scan's, in run->cseq, sorted. */
static int
all_seqs(struct dk_settle_run *run, const long long *k, size_t n)
{
	size_t i, m = run->ncseq;
	long long *v;

	if ((v = malloc((n + m + 1) * sizeof(*v))) == NULL)
		return -1;
	if (n > 0)
		memcpy(v, k, n * sizeof(*v));
	if (m > 0)
		memcpy(v + n, run->cseq, m * sizeof(*v));
	free(run->cseq);
	run->cseq = v;
	run->ncseq = run->capcseq = n + m;
	for (i = 1; i < n + m && v[i - 1] < v[i]; i++)
		;
	if (i < n + m)	/* a whole read: both, in any order */
		qsort(v, n + m, sizeof(*v), seqcmp);
	return 0;
}

/* The run's readings by their canonical text (-> false until found in
 * the ledger): made when the scan first meets a reading, which past the
 * state cache's mark it seldom does. */
static json_t *
wanted(struct dk_settle_run *run)
{
	json_t *w = json_object();
	size_t i;

	for (i = 0; i < run->n; i++)
		json_object_set_new(w, run->v[i].canon, json_false());
	return w;
}

static int
scan_apply(void *ctx, long long seq, long line, json_t *rec,
    struct dk_err *e)
{
	struct scan *sc = ctx;
	struct dk_settle_run *run = sc->run;
	json_t *op, *rd = rec;
	char *c;

	if (strcmp(str(rec, "type"), "commitment") == 0) {
		/* loaded here, under the ledger's lock */
		if (run->openings == NULL && dk_openings_load(run->opath,
		    &run->openings, e) < 0) {
			if (e->status != DK_EX_NOINPUT)
				return -1;
			memset(e, 0, sizeof(*e));
			run->openings = json_object();
		}
		if (add_seq(run, seq) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		if ((op = dk_openings_get(run->openings, seq)) != NULL &&
		    dk_opening_check(op, rec, seq, e) < 0) {
			e->status = DK_EX_DATAERR;
			return dk_failpre(e, "%s", run->opath);
		}
		rd = json_object_get(op, "reading");
	}
	if (rd != NULL && json_is_string(json_object_get(rd, "type")) &&
	    strcmp(str(rd, "type"), "reading") == 0 &&
	    (sc->want != NULL || (sc->want = wanted(run)) != NULL) &&
	    (c = dk_canon(rd)) != NULL) {
		if (json_object_get(sc->want, c) != NULL)
			json_object_set_new(sc->want, c, json_true());
		free(c);
	}
	return dk_state_apply(sc->st, seq, line, rec, e);
}

/* Whether slot t, of slot_minutes, is past its deadline. */
static int
past(const struct dk_settle_run *run, int64_t t, int minutes)
{
	return run->now >= t + (int64_t)minutes * 60 + run->deadline;
}

/* Each contracted slot not settled and past its deadline, with no
 * reading given, into the run as a slot of no readings (rec NULL), in
 * slot order. */
static int
due(struct dk_settle_run *run, struct dk_state *st, struct dk_err *e)
{
	struct dk_slotstate *ss;
	size_t i, j = 0, n = run->n;

	for (i = 0; i < st->nslots; i++) {
		ss = &st->slots[st->bytime[i]];
		while (j < n && run->v[j].slot < ss->slot)
			j++;
		if (ss->settled || ss->nc == 0 || (j < n &&
		    run->v[j].slot == ss->slot) ||
		    !past(run, ss->slot, ss->rules.slot_minutes))
			continue;
		if (run->n == run->cap) {
			size_t cap = run->cap ? run->cap * 2 : 64;
			void *v = realloc(run->v, cap * sizeof(*run->v));
			if (v == NULL)
				return dk_fail(e, DK_EX_SOFTWARE, "out of "
				    "memory");
			run->v = v;
			run->cap = cap;
		}
		memset(&run->v[run->n], 0, sizeof(run->v[run->n]));
		run->v[run->n++].slot = ss->slot;
		run->ndue++;
	}
	if (run->ndue > 0)
		qsort(run->v, run->n, sizeof(*run->v), byslot);
	return 0;
}

/*
 * Opens the ledger at lpath for the run, signing with op, replaying it
 * into st (empty, from dk_state_init) and starting it with a genesis
 * entry of origin if it is new; the readings it already holds leave the
 * run (counted in ndup), and every contracted slot past its deadline that
 * is not settled and has no reading left joins it (counted in ndue).
 */
int
dk_settle_run_open(struct dk_settle_run *run, struct dk_ledger *l,
    const char *lpath, const struct dk_key *op, const char *origin,
    struct dk_state *st, struct dk_err *e)
{
	struct scan sc;
	struct dk_scache cache;
	size_t i, j;
	int rc;

	if (asprintf(&run->opath, "%s.openings", lpath) < 0) {
		run->opath = NULL;
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	sc.run = run;
	sc.st = st;
	sc.want = NULL;
	/* from the state cache on; the readings it holds of the run's
	 * meters and slots are looked at only in a whole read */
	dk_scache_init(&cache, st);
	cache.want_k = 1;
	cache.fn = scan_apply;
	cache.ctx = &sc;
	for (i = 0, rc = 0; rc == 0 && i < run->n; i++)
		rc = dk_scache_avoid(&cache, run->v[i].meter,
		    run->v[i].slotstr);
	if (rc < 0)
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	else
		rc = dk_ledger_open_w(l, lpath, op, dk_scache_apply, &cache,
		    run->wp, e);
	if (rc == 0 && all_seqs(run, cache.kseq, cache.nk) < 0)
		rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	dk_scache_free(&cache);
	if (rc == 0)
		rc = dk_ledger_genesis(l, origin, run->newmode, e);
	run->committed = l->info.committed;
	for (i = j = 0; rc == 0 && i < run->n; i++) {
		if (sc.want != NULL && json_is_true(json_object_get(sc.want,
		    run->v[i].canon))) {
			rd_free(&run->v[i]);
			run->ndup++;
			continue;
		}
		run->v[j++] = run->v[i];
	}
	if (rc == 0)
		run->n = j;
	json_decref(sc.want);
	if (rc == 0)
		rc = due(run, st, e);
	return rc;
}

/*
 * A settlement record as a ledger of committed readings keeps it (v 2):
 * without export_wh and import_wh, which are the meters' readings.
 */
void
dk_settlement_private(json_t *rec)
{
	if (json_object_get(rec, "provisional") != NULL)
		return;		/* v 3: never had them */
	json_object_del(rec, "export_wh");
	json_object_del(rec, "import_wh");
	json_object_set_new(rec, "v", json_integer(2));
}

/* The end of the JSON value at s (canonical text, as dk_canon writes
 * it): past its last byte, or NULL when it does not end before end. */
static const char *
value_end(const char *s, const char *end)
{
	int depth = 0, in = 0;

	for (; s < end; s++) {
		if (in) {
			if (*s == '\\')
				s++;
			else if (*s == '"')
				in = 0;
			else
				continue;
			if (depth == 0 && in == 0)
				return s + 1;
			continue;
		}
		switch (*s) {
		case '"':
			in = 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return s;	/* the enclosing one's end */
			if (--depth == 0)
				return s + 1;
			break;
		case ',':
			if (depth == 0)
				return s;
			break;
		}
	}
	return NULL;
}

/*
 * The canonical text of rec as dk_settlement_private makes it, from c,
 * rec's own (n bytes): its members cut out and its "v" written 2, for
 * no second dk_canon of the whole record; NULL when c is not an object
 * with a "v" (dk_canon's of a settlement always is) or memory is short.
 * A provisional settlement's is c's copy (it keeps them).
 */
char *
dk_settlement_private_text(json_t *rec, const char *c, size_t n)
{
	const char *p = c + 1, *end = c + n, *k, *v, *ve;
	char *t, *o;
	int hasv = 0;

	if (json_object_get(rec, "provisional") != NULL)
		return strndup(c, n);
	if (n < 2 || c[0] != '{' || c[n - 1] != '}' ||
	    (t = o = malloc(n + 2)) == NULL)
		return NULL;
	*o++ = '{';
	while (p < end - 1) {
		k = p;		/* "key":value, then ',' or the '}' */
		if (*k != '"' || (v = value_end(k, end)) == NULL ||
		    *v != ':' || (ve = value_end(v + 1, end)) == NULL ||
		    ve == v + 1 || (*ve != ',' && ve != end - 1))
			goto bad;
		if ((v - k == 11 && (memcmp(k, "\"export_wh\"", 11) == 0 ||
		    memcmp(k, "\"import_wh\"", 11) == 0))) {
			p = ve + (*ve == ',');
			continue;
		}
		if (o > t + 1)
			*o++ = ',';
		if (v - k == 3 && memcmp(k, "\"v\"", 3) == 0) {
			memcpy(o, "\"v\":2", 5);
			o += 5;
			hasv = 1;
		} else {
			memcpy(o, k, (size_t)(ve - k));
			o += ve - k;
		}
		p = ve + (*ve == ',');
	}
	if (!hasv || p != end - 1)
		goto bad;
	*o++ = '}';
	*o = '\0';
	return t;
bad:
	free(t);
	return NULL;
}

/* The most a record's line written by dk_record_text takes */
#define TEXTMAX 4096

/* Room for n more bytes in the buffer *b (*len bytes used of *cap). */
static int
room(char **b, size_t len, size_t *cap, size_t n)
{
	char *nb;
	size_t nc;

	if (len + n <= *cap)
		return 0;
	nc = (len + n) * 2;
	if ((nb = realloc(*b, nc)) == NULL)
		return -1;
	*b = nb;
	*cap = nc;
	return 0;
}

/* Line c (n bytes) and a newline at the end of the buffer *b. */
static int
line(char **b, size_t *len, size_t *cap, const char *c, size_t n)
{
	if (room(b, *len, cap, n + 1) < 0)
		return -1;
	memcpy(*b + *len, c, n);
	(*b)[*len + n] = '\n';
	*len += n + 1;
	return 0;
}

/* A piece of stdout, n bytes at off (of sout, or of the ledger's pending
 * lines when led), after those before: 0, or -1 when memory is short.
 * Bytes of sout right after the last piece's join it. */
static int
piece(struct dk_settle_run *run, size_t off, size_t n, int led)
{
	struct dk_spiece *p = run->nsp > 0 ? &run->sp[run->nsp - 1] : NULL;

	if (!led && p != NULL && !p->led && p->off + p->n == off &&
	    n <= UINT32_MAX - p->n) {
		p->n += (uint32_t)n;
		return 0;
	}
	if (dk_grow(&run->sp, run->nsp, &run->capsp, sizeof(*run->sp),
	    1024) < 0)
		return -1;
	p = &run->sp[run->nsp++];
	p->off = off;
	p->n = (uint32_t)n;
	p->led = (uint32_t)led;
	return 0;
}

/* The line of n bytes just written at the end of sout (its newline after
 * it), kept for stdout; or, when led, the text of the ledger's last entry
 * (the same bytes: sout's end is free again) read there after the commit,
 * not kept twice.  0, or -1 with e filled. */
static int
out_line(struct dk_settle_run *run, const struct dk_ledger *l, size_t n,
    int led, struct dk_err *e)
{
	if (run->unread)
		return 0;	/* sout's end free again, none kept */
	if (led) {
		if (piece(run, dk_ledger_last_text(l), n, 1) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return 0;
	}
	run->sout[run->nsout + n] = '\n';
	if (piece(run, run->nsout, n + 1, 0) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	run->nsout += n + 1;
	return 0;
}

/*
 * The openings held, to the store and synced, ahead of the run's end: what
 * the ledger calls (dk_ledger_spill) before it writes its pending lines
 * ahead, so that no commitment is on disk before its opening, even in a
 * run killed outright.  Its openings of no commitment are dropped first,
 * as dk_settle_run_finish drops them.  0, or -1 with e filled and the
 * store as it was before the run.
 */
int
dk_settle_run_ahead(void *ctx, struct dk_err *e)
{
	struct dk_settle_run *run = ctx;
	off_t before;

	if (!run->committed || run->nobuf == 0)
		return 0;	/* none held (those before synced) */
	if (!run->oahead && dk_openings_trim(run->opath, run->cseq,
	    run->ncseq, e) < 0)
		return -1;
	/* failed: those written before are cut by the run's end, after
	 * the ledger's lines (cmd/settle.c) */
	if (dk_openings_append(run->opath, run->obuf, run->nobuf, &before,
	    e) < 0)
		return -1;
	if (!run->oahead)
		run->obefore = before;
	run->oahead = 1;
	run->nobuf = 0;
	return 0;
}

/* A reading into the ledger as its commitment, its opening kept for the
 * store; rd its reading in the run, the canonical text beside it. */
static int
add_committed(struct dk_settle_run *run, struct dk_ledger *l,
    const struct dk_sreading *rd, json_t *rec, struct dk_err *e)
{
	json_t *c;
	char *s = NULL, *ct = NULL;
	size_t n;
	int rc;

	if ((c = dk_commit_canon(rec, rd->canon, rd->ncanon,
	    l->next, &s, &n)) == NULL || (ct = dk_commitment_text(c)) == NULL)
		goto oom;
	/* room first, so that an entry added has its opening */
	if (room(&run->obuf, run->nobuf, &run->capobuf, n + 1) < 0)
		goto oom;
	rc = dk_ledger_add_canon(l, c, ct, e);
	if (rc == 0)
		line(&run->obuf, &run->nobuf, &run->capobuf, s, n);
	free(s);
	free(ct);
	json_decref(c);
	return rc;
oom:
	free(s);
	free(ct);
	json_decref(c);
	return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
}

/* The readings of the run from i to j (a slot due has none), their
 * records made for the slot (dk_sreading_rec); NULL: out of memory. */
static json_t *
group(struct dk_settle_run *run, size_t i, size_t j)
{
	json_t *a = json_array(), *r;
	size_t k;

	for (k = i; a != NULL && k < j; k++)
		if (run->v[k].canon != NULL && ((r = dk_sreading_rec(
		    &run->v[k])) == NULL || json_array_append_new(a, r) < 0)) {
			json_decref(a);
			a = NULL;
		}
	return a;
}

/* The line of record x by dk_canon, to run->sout, and its entry (its
 * private copy when priv) to l: what dk_record_text does not write. */
static int
append_canon(struct dk_settle_run *run, struct dk_ledger *l, json_t *x,
    int priv, struct dk_err *e)
{
	char *c, *pc;
	size_t n;
	int rc;

	if ((c = dk_canon(x)) == NULL || room(&run->sout, run->nsout,
	    &run->capsout, (n = strlen(c)) + 1) < 0) {
		free(c);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	if (priv) {
		/* the ledger's copy without the metered energy, its text cut
		 * from c: the record checked is x, which has every member of
		 * the copy but v (2, not 1) */
		if ((pc = dk_settlement_private_text(x, c, n)) == NULL) {
			free(c);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		rc = dk_ledger_add_canon(l, x, pc, e);
		free(pc);
		memcpy(run->sout + run->nsout, c, n);
	} else
		rc = dk_ledger_add_canon(l, x, c, e);
	free(c);
	return rc < 0 ? rc : out_line(run, l, n, !priv, e);
}

/*
 * A plain record x of slot t (ts) applied to st, its line to run->sout
 * and its entry (a settlement's private copy when the readings are
 * committed) to l, from its fields; its JSON and dk_canon only when
 * dk_srec_text does not write it.  The ledger is given a record of its
 * type and slot (its head), which is what it and its state cache read of a
 * settlement without "provisional" or a transfer but a membership one.
 */
static int
plain_rec(struct dk_settle_run *run, const struct dk_srec *x, int64_t t,
    const char *ts, json_t *head, struct dk_state *st, struct dk_ledger *l,
    struct dk_err *e)
{
	int set = x->type == DK_SR_SETTLEMENT;
	char *c, pb[TEXTMAX];
	size_t n, pn;
	json_t *j;
	int rc;

	if ((rc = dk_state_apply_settled(st, set, t, ts, e)) < 0)
		return rc;
	if (room(&run->sout, run->nsout, &run->capsout, TEXTMAX + 1) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	c = run->sout + run->nsout;
	/* the head spares nothing of the profile's check only while the
	 * text is flat (dk_profile_flat: integers of 15 digits at most),
	 * which the ledger checks; any other text is checked on its record,
	 * made as below */
	if ((n = dk_srec_text(x, ts, c, TEXTMAX, run->committed ? pb : NULL,
	    sizeof(pb), &pn)) > 0 && (rc = dk_ledger_add_flat(l, head,
	    pn > 0 ? pb : c, pn > 0 ? pn : n, e)) != 1)
		return rc < 0 ? rc : out_line(run, l, n, pn == 0, e);
	if ((j = dk_srec_json(x, ts)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	rc = append_canon(run, l, j, run->committed && set, e);
	json_decref(j);
	return rc;
}

/* The plain records of o (slot t) as plain_rec writes them. */
static int
plain_recs(struct dk_settle_run *run, const struct dk_srecs *o, int64_t t,
    struct dk_state *st, struct dk_ledger *l, struct dk_err *e)
{
	json_t *head[2];
	size_t k;
	int rc = 0;

	head[0] = json_pack("{s:s,s:s}", "type", "transfer", "slot", o->ts);
	head[1] = json_pack("{s:s,s:s}", "type", "settlement", "slot", o->ts);
	if (head[0] == NULL || head[1] == NULL)
		rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (k = 0; rc == 0 && k < o->nset + o->ntr; k++)
		rc = plain_rec(run, k < o->nset ? &o->set[k] :
		    &o->tr[k - o->nset], t, o->ts, head[k < o->nset], st, l,
		    e);
	json_decref(head[0]);
	json_decref(head[1]);
	return rc;
}

/* The readings i to j and the records they settle into the ledger (a
 * reading as its commitment, a settlement as the ledger keeps it): the
 * plain ones of o first (NULL: none; of slot t), then those of res, the
 * records applied to st, their lines to run->sout and those of a
 * provisional settlement or a true-up to out; then a checkpoint. */
static int
append(struct dk_settle_run *run, size_t i, size_t j, json_t *readings,
    const struct dk_srecs *o, int64_t t, json_t *res, struct dk_state *st,
    struct dk_ledger *l, json_t *out, struct dk_err *e)
{
	json_t *x;
	char *c, pb[TEXTMAX];
	size_t k, n, pn;
	int rc, kind;

	for (k = i; k < j; k++)
		if (run->v[k].canon != NULL && (rc = run->committed ?
		    add_committed(run, l, &run->v[k], json_array_get(readings,
		    k - i), e) : dk_ledger_add_canon(l, json_array_get(
		    readings, k - i), run->v[k].canon, e)) < 0)
			return rc;
	if (o != NULL && (rc = plain_recs(run, o, t, st, l, e)) < 0)
		return rc;
	json_array_foreach(res, k, x) {
		if ((rc = dk_state_apply(st, 0, 0, x, e)) < 0)
			return rc;
		/* the line written straight into the stdout buffer; the
		 * ledger's entry its text, or a settlement's private copy's */
		if (room(&run->sout, run->nsout, &run->capsout,
		    TEXTMAX + 1) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		c = run->sout + run->nsout;
		if ((n = dk_record_text(x, c, TEXTMAX, run->committed ? pb :
		    NULL, sizeof(pb), &pn, &kind)) > 0) {
			if (kind == DK_RT_OUT)
				json_array_append(out, x);
			if ((rc = dk_ledger_add_canon(l, x, pn > 0 ? pb : c,
			    e)) == 0)
				rc = out_line(run, l, n, pn == 0, e);
		} else {
			if (json_object_get(x, "provisional") != NULL ||
			    strcmp(str(x, "type"), "trueup") == 0)
				json_array_append(out, x);
			rc = append_canon(run, l, x, run->committed &&
			    strcmp(str(x, "type"), "settlement") == 0, e);
		}
		if (rc < 0)
			return rc;
	}
	/* a checkpoint for every slot settled */
	return dk_ledger_checkpoint(l, e);
}

/*
 * The readings i to j of a slot settled with provisional settlements:
 * each of a meter one of them missed; each such member trued up (when
 * all its meters missed have come).
 */
static int
trueups(struct dk_settle_run *run, size_t i, size_t j, json_t *readings,
    struct dk_slotstate *ss, struct dk_state *st, struct dk_ledger *l,
    const char *ts, json_t *out, struct dk_err *e)
{
	const struct dk_participant *p;
	json_t *by = json_object(), *idx = json_object(), *res = json_array();
	json_t *prov, *a, *cs = NULL, *bp = NULL, *mine, *none = json_array();
	const char *id, *m;
	size_t k;
	int rc = DK_SETTLE_REJECTED;

	for (k = i; k < j; k++) {
		m = run->v[k].meter;
		if ((prov = dk_prov_missed(ss, &st->reg, m)) == NULL) {
			dk_fail(e, DK_EX_DATAERR, "slot %s is already settled",
			    ts);
			e->item = (long)k;
			goto out;
		}
		p = dk_registry_meter(&st->reg, m);
		if ((a = json_object_get(by, p->id)) == NULL) {
			json_object_set_new(by, p->id, a = json_array());
			json_object_set_new(idx, p->id, json_array());
		}
		json_array_append(a, json_array_get(readings, k - i));
		json_array_append_new(json_object_get(idx, p->id),
		    json_integer((json_int_t)k));
	}
	if ((cs = dk_state_contracts(ss)) == NULL ||
	    (bp = dk_contracts_by_party(cs)) == NULL) {
		rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		goto out;
	}
	json_object_foreach(by, id, a) {
		if ((mine = json_object_get(bp, id)) == NULL)
			mine = none;
		rc = dk_trueup(json_object_get(ss->prov, id), mine, a,
		    &st->reg, &ss->rules, res, e);
		if (rc == 1) {
			dk_failpre(e, "slot %s: the true-up waits", ts);
			e->status = 0;
			rc = DK_SETTLE_WAIT;
			goto out;
		}
		if (rc < 0) {
			e->item = e->item >= 0 ? (long)json_integer_value(
			    json_array_get(json_object_get(idx, id),
			    (size_t)e->item)) : -1;
			rc = DK_SETTLE_REJECTED;
			goto out;
		}
	}
	rc = append(run, i, j, readings, NULL, 0, res, st, l, out, e);
out:
	json_decref(by);
	json_decref(idx);
	json_decref(res);
	json_decref(cs);
	json_decref(bp);
	json_decref(none);
	return rc;
}

/* Whether the plain records of slot are the whole of its settlement: no
 * participant of them under an island halt (dk_island's), and their slot
 * read back as slot under the rules in force (into *t), as the state's
 * apply reads a settlement's. */
static int
plain_usual(const struct dk_srecs *o, int64_t slot, struct dk_state *st,
    int64_t *t)
{
	struct dk_err e = { 0 };
	size_t k;

	for (k = 0; k < o->nset; k++)
		if (dk_halt_find(st, o->set[k].p->zone, slot, 1) != NULL)
			return 0;
	return dk_slot_parse(o->ts, st->rules.slot_minutes, t, &e) == 0 &&
	    *t == slot;
}

/* The keys that found the signatures of readings i to j good ahead, as
 * dk_settle_plain takes them (run->sr.ok, in run->okv; NULL for one not
 * found good), once the threads' verdicts on them are in: 0, or -1 when
 * memory is short. */
static int
slot_ok(struct dk_settle_run *run, size_t i, size_t j, struct dk_err *e)
{
	size_t k, n = 0;

	while (run->capok <= j - i)
		if (dk_grow(&run->okv, run->capok, &run->capok,
		    sizeof(*run->okv), 256) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	dk_settle_run_check_wait(run, j);
	for (k = i; k < j; k++)
		if (run->v[k].canon != NULL)
			run->okv[n++] = dk_settle_run_check_good(run, k) ?
			    run->v[k].key : NULL;
	run->sr.ok = run->okv;
	return 0;
}

/*
 * Settles the slot of reading i (readings i to *end, which it sets),
 * appends its readings and what they settle to l with a checkpoint, and
 * the settlement records' canonical lines to run->sout (for stdout after
 * the commit), the provisional ones and true-ups to out (for the words
 * said of them) too.  A slot with a reading missing
 * is settled from its deadline on (the member provisionally), and waits
 * before it (DK_SETTLE_WAIT, e->msg says for what); the readings of a
 * slot settled provisionally true it up.  DK_SETTLE_REJECTED when the
 * slot cannot be settled: e->item is the reading at fault (an index into
 * the run), or -1 for all of the slot's; tz is for the slot in messages.
 * -1 when the ledger cannot be written, or memory is short.
 */
int
dk_settle_run_slot(struct dk_settle_run *run, size_t i, size_t *end,
    struct dk_state *st, struct dk_ledger *l, const char *tz, json_t *out,
    struct dk_err *e)
{
	struct dk_sreading *v = run->v;
	struct dk_slotstate *ss;
	json_t *readings, *res, *cs, *x, *miss = NULL;
	size_t j, k, nprov = 0, nmiss = 0;
	int64_t t;
	char ts[40], dl[40];
	int rc;

	for (j = i; j < run->n && v[j].slot == v[i].slot; j++)
		;
	*end = j;
	ss = dk_state_slot(st, v[i].slot);
	dk_time_format(v[i].slot, tz, ts, sizeof(ts));
	if ((readings = group(run, i, j)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (ss != NULL && ss->settled && json_object_size(ss->prov) > 0) {
		rc = trueups(run, i, j, readings, ss, st, l, ts, out, e);
		json_decref(readings);
		return rc;
	}
	if (ss == NULL || ss->settled) {
		json_decref(readings);
		dk_fail(e, DK_EX_DATAERR, "slot %s %s", ts, ss == NULL ?
		    "was never cleared; clear it first (denki-clear -s "
		    "clears a slot even when nobody bid)" :
		    "is already settled");
		e->item = -1;
		return DK_SETTLE_REJECTED;
	}
	res = json_array();
	/* the usual slot on plain records; one with a member unread or an
	 * island halt, or whose slot reads otherwise under today's rules,
	 * the JSON way */
	if (slot_ok(run, i, j, e) < 0) {
		json_decref(res);
		json_decref(readings);
		return -1;
	}
	if ((rc = dk_settle_plain(v[i].slot, ss, readings, &st->reg,
	    &run->sr, e)) == 0 &&
	    !plain_usual(&run->sr, v[i].slot, st, &t))
		rc = 1;
	run->sr.ok = NULL;
	if (rc == 0) {
		if ((rc = dk_settle_monthly(v[i].slot, st, &ss->rules, res,
		    e)) == 0) {
			rc = append(run, i, j, readings, &run->sr, t, res, st,
			    l, out, e);
			goto out;
		}
	} else if (rc == 1) {
		if ((cs = dk_state_contracts(ss)) == NULL) {
			rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
			goto out;
		}
		rc = dk_settle_prov(v[i].slot, cs, readings, &st->reg,
		    &ss->rules, res, &nprov, e);
		if (rc == 0)
			rc = dk_island(v[i].slot, st, &ss->rules, res, e);
		if (rc == 0)
			rc = dk_settle_monthly(v[i].slot, st, &ss->rules, res,
			    e);
		json_decref(cs);
	}
	if (rc < 0) {
		e->item = e->item >= 0 && (size_t)e->item < j - i ?
		    (long)i + e->item : (long)i;
		rc = DK_SETTLE_REJECTED;
		goto out;
	}
	if (nprov > 0 && !past(run, v[i].slot, ss->rules.slot_minutes)) {
		json_array_foreach(res, k, x)
			if (json_object_get(x, "provisional") != NULL) {
				if (miss == NULL)
					miss = x;
				nmiss += json_array_size(json_object_get(x,
				    "provisional"));
			}
		dk_time_format(v[i].slot + ss->rules.slot_minutes * 60 +
		    run->deadline, tz, dl, sizeof(dl));
		memset(e, 0, sizeof(*e));
		snprintf(e->msg, sizeof(e->msg), "slot %s waits for %zu "
		    "reading%s (meter %s of participant %s%s) until its "
		    "deadline %s (settle.deadline_minutes): nothing settled",
		    ts, nmiss, nmiss == 1 ? "" : "s",
		    json_string_value(json_array_get(json_object_get(miss,
		    "provisional"), 0)), str(miss, "participant"),
		    nmiss > 1 ? ", ..." : "", dl);
		rc = DK_SETTLE_WAIT;
		goto out;
	}
	rc = append(run, i, j, readings, NULL, 0, res, st, l, out, e);
out:
	json_decref(readings);
	json_decref(res);
	return rc;
}

/*
 * The end of the run: the store rid of openings of no commitment
 * (dk_openings_trim), the openings of the run's commitments appended to
 * it and synced first, then the ledger's entries (none of
 * either on a dry run); if the ledger cannot be written, the store is cut
 * back too.
 */
int
dk_settle_run_finish(struct dk_settle_run *run, struct dk_ledger *l,
    int dry, struct dk_err *e)
{
	off_t before = 0;
	int stored = 0;

	if (!dry && run->committed && !run->oahead &&
	    dk_openings_trim(run->opath, run->cseq, run->ncseq, e) < 0)
		return -1;
	/* failed, those written ahead are cut by the run's end, after the
	 * ledger's lines (cmd/settle.c) */
	if (!dry && run->nobuf > 0) {
		if (dk_openings_append(run->opath, run->obuf, run->nobuf,
		    &before, e) < 0)
			return -1;
		stored = 1;
	}
	if (run->oahead) {
		before = run->obefore;
		stored = 1;
	}
	/* the ledger's commit failed: its lines are cut, then the store */
	if (dk_ledger_finish(l, dry, e) < 0) {
		if (stored)
			dk_openings_cut(run->opath, before);
		run->oahead = 0;
		return -1;
	}
	run->oahead = 0;
	run->nobuf = 0;
	return 0;
}

/* The records settled, to f: their lines in sout and the texts of theirs
 * in l's lines (dk_ledger_lines), in the order settled; after the commit
 * (the ledger not closed yet).  0; -1 with e filled when those lines
 * cannot be read back; -2 when f cannot be written. */
int
dk_settle_run_print(const struct dk_settle_run *run, struct dk_ledger *l,
    FILE *f, struct dk_err *e)
{
	const struct dk_spiece *p;
	const char *led;
	size_t i;

	/* before a line is printed: none, or all */
	if (run->nsp == 0 || (led = dk_ledger_lines(l, e)) == NULL)
		return run->nsp == 0 ? 0 : -1;
	for (i = 0; i < run->nsp; i++) {
		p = &run->sp[i];
		if (!p->led) {
			if (fwrite(run->sout + p->off, 1, p->n, f) != p->n)
				return -2;
			continue;
		}
		if (fwrite(led + p->off, 1, p->n, f) != p->n ||
		    putc('\n', f) == EOF)
			return -2;
	}
	return 0;
}

void
dk_settle_run_free(struct dk_settle_run *run)
{
	size_t i;

	dk_settle_run_check_stop(run);	/* its threads read the readings */
	for (i = 0; i < run->n; i++)
		rd_free(&run->v[i]);
	free(run->v);
	/* written ahead of a run that never ended (a run that returns
	 * without this leaves them to the next run's dk_openings_trim:
	 * none of them opens a commitment the ledger holds) */
	if (run->oahead)
		dk_openings_cut(run->opath, run->obefore);
	run->oahead = 0;
	free(run->opath);
	free(run->obuf);
	free(run->sout);
	free(run->sp);
	run->sp = NULL;
	run->nsp = run->capsp = 0;
	json_decref(run->openings);
	free(run->cseq);
	dk_srecs_free(&run->sr);
	free(run->okv);
	run->okv = NULL;
	run->capok = 0;
	run->opath = run->obuf = run->sout = NULL;
	run->nsout = run->capsout = 0;
	run->openings = NULL;
	run->cseq = NULL;
	run->ncseq = run->capcseq = 0;
	run->v = NULL;
	run->n = run->cap = 0;
}
