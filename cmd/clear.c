/* denki-clear: the market for each slot, under the mechanism of the rules. */
#include <getopt.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sodium.h>

#include "denki.h"

static const char *prog = "denki-clear";

static void
usage(int code)
{
	fprintf(code ? stderr : stdout,
	    "usage: denki-clear [-kS] [-c config] [-D key=value] [-s slot] "
	    "[-t threads] [orders ...]\n");
	exit(code);
}

/* What is known of an input line besides its order (kept apart, in
 * cx.v[i] beside cx.o[i], so that the orders make the books in place). */
struct src {
	const char *file;	/* file:lno, for messages */
	long lno;
	char *line;		/* as read; o.line points here on the fast path */
	size_t len;
	int fast;		/* a canonical line, read without JSON */
	struct dk_ordersig *sg;	/* NULL with -S */
	char *msg;		/* the signed message, off the fast path */
	size_t msglen;
	int bad;		/* its signature failed */
	size_t seq;		/* its place in the input */
};

struct ctx {
	struct dk_order *o;
	struct src *v;
	size_t n, cap;
	int bad;
};

static void
reject(void *cp, const struct dk_order *o, const char *why)
{
	struct ctx *c = cp;

	/* o->src: the order's place in c->v once the input is grouped */
	if (o->src < c->n)
		dk_warnx(prog, "%s:%ld: rejected: %s", c->v[o->src].file,
		    c->v[o->src].lno, why);
	else
		dk_warnx(prog, "?: rejected: %s", why);
	c->bad = 1;
}

/* Clears a slot ahead and puts its contracts in the state, for the limits
 * of the later slots of the same day. */
static int
later_slots(struct dk_state *st, struct dk_order *b, size_t n, int64_t slot,
    const struct dk_rules *r, struct dk_err *e)
{
	struct dk_clearing cl;
	char ts[40];
	json_t *x, *c;
	size_t k;
	int rc = 0;

	if (dk_clear(b, n, slot, r, &cl, e) < 0)
		return -1;
	dk_time_format(slot, r->tz, ts, sizeof(ts));
	x = json_pack("{s:s,s:s}", "type", "clearing", "slot", ts);
	if (dk_state_apply(st, 0, 0, x, e) < 0)
		rc = -1;
	json_decref(x);
	for (k = 0; rc == 0 && k < cl.nt; k++) {
		x = dk_trade_json(&cl, b, &cl.t[k], r);
		c = dk_contract_json(x, r);
		if (c == NULL || dk_state_apply(st, 0, 0, c, e) < 0)
			rc = -1;
		json_decref(x);
		json_decref(c);
	}
	dk_clearing_free(&cl);
	return rc;
}

/* The lines of a big book, in a few large blocks rather than one
 * allocation each. */
struct arena {
	char *blk;
	size_t used, cap;
	char **all;
	size_t n;
};

static char *
arena_copy(struct arena *a, const char *s, size_t n)
{
	char *p, **na;

	if (a->blk == NULL || a->used + n + 1 > a->cap) {
		a->cap = n + 1 > (1 << 22) ? n + 1 : (1 << 22);
		if ((a->blk = malloc(a->cap)) == NULL)
			return NULL;
		if ((na = realloc(a->all, (a->n + 1) * sizeof(*na))) == NULL)
			return NULL;
		a->all = na;
		a->all[a->n++] = a->blk;
		a->used = 0;
	}
	p = a->blk + a->used;
	if (s == NULL) {	/* room for a struct: zeroed, aligned */
		p = (char *)(((uintptr_t)p + 7) & ~(uintptr_t)7);
		memset(p, 0, n - 7);
		a->used = (size_t)(p - a->blk) + n - 7;
		return p;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	a->used += n + 1;
	return p;
}

static void
arena_free(struct arena *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->all[i]);
	free(a->all);
}

/* The slot as the order wrote it (a canonical line). */
static void
slot_text(const char *line, char *out, size_t n)
{
	const char *p = strstr(line, "\"slot\":\"");
	size_t k = 0;

	if (p != NULL)
		for (p += 8; *p != '"' && *p != '\0' && k + 1 < n; p++)
			out[k++] = *p;
	out[k] = '\0';
}

static int
byslot(const void *a, const void *b, void *arg)
{
	const struct ctx *c = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (c->o[x].slot != c->o[y].slot)
		return c->o[x].slot < c->o[y].slot ? -1 : 1;
	return c->v[x].seq < c->v[y].seq ? -1 : c->v[x].seq > c->v[y].seq;
}

/* Groups the orders by slot, keeping the input order within a slot. */
static int
group(struct ctx *c)
{
	struct dk_order *no;
	struct src *nv;
	size_t *ix, i;

	for (i = 1; i < c->n && c->o[i - 1].slot <= c->o[i].slot; i++)
		;
	if (i >= c->n)
		return 0;
	ix = calloc(c->n, sizeof(*ix));
	no = calloc(c->n, sizeof(*no));
	nv = calloc(c->n, sizeof(*nv));
	if (ix == NULL || no == NULL || nv == NULL) {
		free(ix);
		free(no);
		free(nv);
		return -1;
	}
	for (i = 0; i < c->n; i++)
		ix[i] = i;
	qsort_r(ix, c->n, sizeof(*ix), byslot, c);
	for (i = 0; i < c->n; i++) {
		no[i] = c->o[ix[i]];
		nv[i] = c->v[ix[i]];
	}
	free(c->o);
	free(c->v);
	c->o = no;
	c->v = nv;
	free(ix);
	return 0;
}

/* Phase 2: each thread reads every nt-th line by the fast path and checks
 * its signature. */
struct pjob {
	struct dk_order *o;
	struct src *v;
	size_t n, from, step;
	const struct dk_rules *r;
	const struct dk_registry *reg;
};

static void *
prepare(void *arg)
{
	struct pjob *j = arg;
	struct src *s;
	size_t i;

	for (i = j->from; i < j->n; i += j->step) {
		s = &j->v[i];
		s->fast = dk_order_line(&j->o[i], s->line, s->len, j->r,
		    j->reg, s->sg) == 1;
		if (s->fast && s->sg != NULL)
			s->bad = dk_order_line_verify(&j->o[i], s->sg) != 0;
	}
	return NULL;
}

static int
run_threads(struct dk_order *o, struct src *v, size_t n, long nt,
    const struct dk_rules *r, const struct dk_registry *reg)
{
	pthread_t *t = calloc((size_t)nt, sizeof(*t));
	struct pjob *j = calloc((size_t)nt, sizeof(*j));
	char *ok = calloc((size_t)nt, 1);
	long i;

	if (t == NULL || j == NULL || ok == NULL) {
		free(t);
		free(j);
		free(ok);
		return -1;
	}
	if ((size_t)nt > n)
		nt = (long)n;
	for (i = 0; i < nt; i++) {
		j[i].o = o;
		j[i].v = v;
		j[i].n = n;
		j[i].from = (size_t)i;
		j[i].step = (size_t)nt;
		j[i].r = r;
		j[i].reg = reg;
		if (i > 0)
			ok[i] = pthread_create(&t[i], NULL, prepare,
			    &j[i]) == 0;
	}
	prepare(&j[0]);
	for (i = 1; i < nt; i++)
		if (ok[i])
			pthread_join(t[i], NULL);
		else
			prepare(&j[i]);
	free(t);
	free(j);
	free(ok);
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_state st;
	struct dk_rules rules;
	struct dk_reader rd;
	struct ctx cx = { 0 };
	struct arena ar = { 0 };
	struct dk_clearing cl;
	json_t **recs = NULL;
	size_t nrecs = 0;
	const char *cfg = NULL, *slotarg = NULL;
	char **defs, *lpath = NULL, *line, *end, ts[40];
	size_t ndefs = 0, i, j, k, nb, ng = 0, g;
	struct grp {
		size_t start, n;
		int64_t slot;
	} *grp;
	int c, keep = 0, argi, nosig = 0, daylim = 0;
	long threads = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t only = 0;
	long n;
	json_t *rec, *x;

	defs = calloc(argc, sizeof(*defs));
	while ((c = getopt_long(argc, argv, "c:D:s:t:kSh", lo, NULL)) != -1)
		switch (c) {
		case 'c':
			cfg = optarg;
			break;
		case 'D':
			defs[ndefs++] = optarg;
			break;
		case 's':
			slotarg = optarg;
			break;
		case 'k':
			keep = 1;
			break;
		case 'S':
			nosig = 1;
			break;
		case 't':
			threads = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || threads < 1 ||
			    threads > 256) {
				dk_warnx(prog, "-t %s: must be 1 to 256 threads",
				    optarg);
				return DK_EX_USAGE;
			}
			break;
		case 'h':
			usage(0);
			break;
		case 'V':
			printf("%s %s\n", prog, DK_VERSION);
			return 0;
		default:
			usage(DK_EX_USAGE);
		}
	if (threads < 1)
		threads = 1;
	if (dk_init(&e) < 0 ||
	    dk_conf_open(&conf, cfg, DK_CONF_COOP, defs, ndefs, &e) < 0 ||
	    dk_rules_from_conf(&rules, &conf, &e) < 0)
		goto fail;
	if (slotarg != NULL &&
	    dk_slot_parse(slotarg, rules.slot_minutes, &only, &e) < 0) {
		dk_failpre(&e, "-s");
		e.status = DK_EX_USAGE;
		goto fail;
	}
	dk_state_init(&st);
	if ((lpath = dk_conf_path(&conf, "ledger", "ledger.jsonl")) == NULL)
		goto fail;
	if (access(lpath, F_OK) == 0 &&
	    dk_ledger_scan(lpath, NULL, dk_state_apply, &st, &e) < 0)
		goto fail;
	if (optind == argc && isatty(0)) {
		dk_warnx(prog, "no orders given and stdin is a terminal");
		usage(DK_EX_USAGE);
	}
	/* 1: every line read, as it is; 2: the canonical ones read and their
	 * signatures checked on every core; 3: in input order, so that the
	 * messages come in the order of the input, the others through the
	 * JSON parser (their signatures checked there: they are few), and
	 * every order's signature verdict and slot */
	for (argi = optind; argi < argc || argi == optind; argi++) {
		if (dk_reader_open(&rd, argi < argc ? argv[argi] : "-",
		    &e) < 0)
			goto fail;
		while ((n = dk_reader_next(&rd, &line, &e)) >= 0) {
			struct src *sp;

			if (n == 0)
				continue;
			if (cx.n == cx.cap) {
				void *nv, *no;
				cx.cap = cx.cap ? cx.cap * 2 : 256;
				if ((nv = realloc(cx.v, cx.cap * sizeof(*cx.v))) ==
				    NULL)
					goto oom;
				cx.v = nv;
				if ((no = realloc(cx.o, cx.cap * sizeof(*cx.o))) ==
				    NULL)
					goto oom;
				cx.o = no;
			}
			memset(&cx.o[cx.n], 0, sizeof(cx.o[cx.n]));
			sp = &cx.v[cx.n++];
			memset(sp, 0, sizeof(*sp));
			sp->file = rd.name;
			sp->lno = rd.line;
			sp->len = (size_t)n;
			sp->seq = cx.n - 1;
			if ((sp->line = arena_copy(&ar, line, (size_t)n)) ==
			    NULL || (!nosig && (sp->sg = (struct dk_ordersig *)
			    arena_copy(&ar, NULL, sizeof(*sp->sg) + 7)) == NULL))
				goto oom;
		}
		if (e.status != 0)
			goto fail;
		dk_reader_close(&rd);
		if (argi >= argc)
			break;
	}
	if (cx.n > 0 && run_threads(cx.o, cx.v, cx.n, threads, &rules,
	    &st.reg) < 0)
		goto oom;
	for (i = k = 0; i < cx.n; i++) {
		struct src *sp = &cx.v[i];
		struct dk_order *op = &cx.o[i];

		rec = NULL;
		if (!sp->fast) {
			if ((rec = dk_parse(sp->line, (long)sp->len, &e)) ==
			    NULL)
				goto badrec;
			if (dk_order_read(op, rec, &rules, &st.reg,
			    &e) < 0 || (!nosig && dk_record_sig(rec,
			    &sp->msg, &sp->msglen, sp->sg->sig, &e) < 0)) {
				json_decref(rec);
				goto badrec;
			}
			if (!nosig) {
				sp->sg->pk = dk_registry_find(&st.reg,
				    op->participant)->pk;
				sp->bad = crypto_sign_verify_detached(
				    sp->sg->sig, (unsigned char *)sp->msg,
				    sp->msglen, sp->sg->pk) != 0;
			}
			free(sp->msg);
			sp->msg = NULL;
		}
		if (sp->bad) {
			dk_fail(&e, DK_EX_DATAERR, "sig: bad signature: the "
			    "record was not signed by this key, or was changed "
			    "after signing");
			json_decref(rec);
			goto badrec;
		}
		if ((slotarg != NULL && op->slot != only) ||
		    dk_state_slot(&st, op->slot) != NULL) {
			char ts[40];
			if (rec != NULL)
				snprintf(ts, sizeof(ts), "%s",
				    json_string_value(json_object_get(rec,
				    "slot")));
			else
				slot_text(sp->line, ts, sizeof(ts));
			if (slotarg != NULL && op->slot != only)
				dk_fail(&e, DK_EX_DATAERR, "slot: %s is not the "
				    "slot being cleared (%s)", ts, slotarg);
			else
				dk_fail(&e, DK_EX_DATAERR, "slot: %s was "
				    "already cleared into the ledger", ts);
			json_decref(rec);
			free(sp->msg);
			sp->msg = NULL;
			goto badrec;
		}
		cx.o[k] = *op;
		cx.v[k++] = *sp;
		continue;
badrec:
		dk_warnx(prog, "%s:%ld: rejected: %s", sp->file, sp->lno,
		    e.msg);
		e.status = 0;
		cx.bad = 1;
		if (!keep)
			return DK_EX_DATAERR;
	}
	cx.n = k;
	if (group(&cx) < 0)
		goto oom;
	for (i = 0; i < cx.n; i++)	/* for reject(): where it came from */
		cx.o[i].src = i;
	/* every slot's book is filtered before anything is printed, so that
	 * a rejection without -k leaves stdout empty; with daily limits, each
	 * slot's trades count against the later slots of its day, as they
	 * will once contract-sign has made them contracts */
	for (i = 0; i < st.reg.n; i++)
		if (st.reg.p[i].max_day >= 0)
			daylim = 1;
	/* the limits are those of the rules these slots are cleared under,
	 * which contract-sign records before it replays them */
	st.rules = rules;
	st.have_rules = 1;
	/* the JSON trees of the orders off the fast path, to free at the
	 * end: the books are filtered in place */
	grp = calloc(cx.n + 2, sizeof(*grp));
	recs = calloc(cx.n + 1, sizeof(*recs));
	if (grp == NULL || recs == NULL)
		goto oom;
	for (i = 0; i < cx.n; i++)
		if (cx.o[i].rec != NULL)
			recs[nrecs++] = cx.o[i].rec;
	for (i = 0; i < cx.n; i = j) {
		for (j = i; j < cx.n && cx.o[j].slot == cx.o[i].slot; j++)
			;
		nb = dk_book_filter(cx.o + i, j - i, &st, reject, &cx);
		if (nb == (size_t)-1)
			goto oom;
		if (nb > 0 && daylim && later_slots(&st, cx.o + i, nb,
		    cx.o[i].slot, &rules, &e) < 0)
			goto fail;
		if (nb > 0) {
			grp[ng].start = i;
			grp[ng].n = nb;
			grp[ng].slot = cx.o[i].slot;
			ng++;
		}
	}
	if (cx.bad && !keep)
		return DK_EX_DATAERR;
	/* with -s the slot is cleared even when nobody bid: it can settle */
	if (slotarg != NULL && ng == 0) {
		grp[0].start = 0;
		grp[0].n = 0;
		grp[0].slot = only;
		ng = 1;
	}
	for (g = 0; g < ng; g++) {
		struct dk_order *b = cx.o + grp[g].start;

		if (dk_clear(b, grp[g].n, grp[g].slot, &rules, &cl, &e) < 0)
			goto fail;
		for (k = 0; k < grp[g].n; k++)
			if (b[k].line != NULL) {
				fwrite(b[k].line, 1, b[k].len, stdout);
				putchar('\n');
			} else
				dk_emit(stdout, b[k].rec);
		dk_time_format(grp[g].slot, rules.tz, ts, sizeof(ts));
		for (k = 0; k < cl.nt; k++)
			dk_trade_print(stdout, ts, b, &cl.t[k], &rules);
		x = dk_clearing_json(&cl, &rules);
		dk_emit(stdout, x);
		json_decref(x);
		dk_clearing_free(&cl);
	}
	free(grp);
	for (i = 0; i < nrecs; i++)
		json_decref(recs[i]);
	free(recs);
	arena_free(&ar);
	free(cx.v);
	free(cx.o);
	dk_state_free(&st);
	free(lpath);
	dk_conf_free(&conf);
	free(defs);
	c = dk_finish_stdout(prog);
	return c ? c : cx.bad ? DK_EX_DATAERR : DK_EX_OK;
oom:
	dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
fail:
	dk_warnx(prog, "%s", e.msg);
	return e.status ? e.status : DK_EX_SOFTWARE;
}
