/* Unit tests for a writer's witnesses in lib/ledger (ledger.c, ledger-cp.c,
 * wpolicy.c): cosignatures into the checkpoint entry, what each witness
 * cosigned read back, a witness policy, and the order of durability. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "denki.h"
#include "check.h"

static char dir[64], lpath[96];
static struct dk_key op, wk[2];
static char vk[2][512];

struct wctx {
	int asked;		/* times the witnesses were asked */
	int fail;		/* return NULL: stop the commit */
	uint64_t t;		/* the witnesses' clock */
	int n;			/* how many of them answer */
	char last[2048];	/* the note they were shown */
};

/* Two witnesses, each cosigning what it is shown (as denki-witness would
 * after checking the proof), at the time ctx says. */
static char *
cosign(void *ctx, const struct dk_ledger *l, const char *note,
    struct dk_err *e)
{
	struct wctx *w = ctx;
	char *a, *b, *out;
	long tl;

	(void)l;
	w->asked++;
	snprintf(w->last, sizeof(w->last), "%s", note);
	if (w->fail) {
		dk_fail(e, DK_EX_SOFTWARE, "the witnesses say no");
		return NULL;
	}
	if ((tl = dk_note_text(note, strlen(note), e)) < 0)
		return NULL;
	a = w->n > 0 ? dk_cosig_sign(note, tl, "w0.example", &wk[0], w->t, e) :
	    strdup("");
	b = w->n > 1 ? dk_cosig_sign(note, tl, "w1.example", &wk[1], w->t, e) :
	    strdup("");
	if (a == NULL || b == NULL || asprintf(&out, "%s%s", a, b) < 0)
		out = NULL;
	free(a);
	free(b);
	return out;
}

static json_t *
rec(int n)
{
	return json_pack("{s:s,s:i,s:i}", "type", "note", "v", 1, "n", n);
}

/* One writer's run: n records, a checkpoint, the commit. */
static int
run(struct wctx *w, struct dk_wpolicy *p, int n, struct dk_err *e)
{
	struct dk_ledger l;
	json_t *r;
	int i, rc;

	if (dk_ledger_open_w(&l, lpath, &op, NULL, NULL, p, e) < 0)
		return -1;
	dk_ledger_witnesses(&l, cosign, w, 2);
	rc = dk_ledger_genesis(&l, "test.example/log", 0, e);
	for (i = 0; rc == 0 && i < n; i++) {
		r = rec(i);
		rc = dk_ledger_add(&l, r, e);
		json_decref(r);
	}
	if (rc == 0)
		rc = dk_ledger_finish(&l, 0, e);
	dk_ledger_close(&l);
	return rc;
}

static void
policy(struct dk_wpolicy *p, int n)
{
	struct dk_err e = { 0 };
	int i;

	dk_wpolicy_init(p);
	for (i = 0; i < n; i++)
		CHECK_INT(dk_wpolicy_add(p, vk[i], NULL, &e), 0);
}

static void
test_cosigned(void)
{
	struct wctx w = { 0 };
	struct dk_wpolicy p, q;
	struct dk_scaninfo si;
	struct dk_err e = { 0 };
	char *last;
	size_t len = 0;

	w.n = 2;
	w.t = (uint64_t)time(NULL);
	policy(&p, 2);
	p.skew = DK_MAX_SAFE_INT;
	CHECK_INT(run(&w, &p, 3, &e), 0);
	CHECK_INT(w.asked, 1);
	/* the note the witnesses saw is the checkpoint of the 4 entries
	 * before it, with its time line, signed by the operator alone */
	CHECK_HAS(w.last, "test.example/log\n4\n");
	CHECK_HAS(w.last, "\ntime ");
	/* the entry holds it and their two lines after the operator's */
	memset(&si, 0, sizeof(si));
	policy(&q, 2);
	si.policy = &q;
	CHECK_INT(dk_ledger_scan_info(lpath, op.pk, NULL, NULL, &si, &e), 0);
	CHECK_INT(si.note_cosigs, 2);
	CHECK_INT(si.note_seq, 4);
	CHECK(strncmp(si.note, w.last, strlen(w.last)) == 0);
	CHECK_INT(q.w[0].size, 4);
	CHECK_INT(q.w[1].size, 4);
	dk_scaninfo_free(&si);
	CHECK_INT(dk_wpolicy_ledger(&q, lpath, op.pk, &e), 0);

	/* the next run: the witnesses cosign the tree of 6; what each
	 * cosigned before was read from the ledger at the writer's open */
	CHECK_INT(run(&w, &p, 1, &e), 0);
	CHECK_INT(p.w[0].size, 4);
	CHECK_INT(dk_wpolicy_ledger(&q, lpath, op.pk, &e), 0);
	CHECK_INT(q.w[1].size, 6);

	/* a run only one witness answers: a quorum of 2 fails, of 1 passes */
	w.n = 1;
	CHECK_INT(run(&w, &p, 1, &e), 0);
	CHECK_INT(dk_wpolicy_ledger(&q, lpath, op.pk, &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, "the last checkpoint (entry 8) is cosigned by 1 of "
	    "the 2 witnesses named; the quorum is 2");
	memset(&e, 0, sizeof(e));
	q.quorum = 1;
	CHECK_INT(dk_wpolicy_ledger(&q, lpath, op.pk, &e), 0);
	/* a scan that met no checkpoint: nothing the quorum could be of */
	memset(&si, 0, sizeof(si));
	CHECK_INT(dk_wpolicy_last(&q, lpath, &si, &e), -1);
	CHECK_INT(e.status, DK_EX_NO);
	CHECK_HAS(e.msg, ": no checkpoint for the witnesses to have cosigned");
	memset(&e, 0, sizeof(e));
	q.quorum = 0;
	CHECK_INT(dk_wpolicy_last(&q, lpath, &si, &e), 0);
	q.quorum = 1;

	/* a witness's clock 601 s from the operator's: beyond the skew */
	w.n = 2;
	w.t = (uint64_t)time(NULL) + 1000;
	CHECK_INT(run(&w, &p, 1, &e), 0);
	CHECK_INT(dk_wpolicy_ledger(&q, lpath, op.pk, &e), -1);
	CHECK_HAS(e.msg, "seconds from the checkpoint's time");
	CHECK_HAS(e.msg, "(the skew allowed is 600)");
	memset(&e, 0, sizeof(e));
	q.skew = 2000;
	CHECK_INT(dk_wpolicy_ledger(&q, lpath, op.pk, &e), 0);

	/* a cosignature line changed: every reader refuses the entry */
	last = slurp(lpath, &len);
	{
		char *p2 = strstr(last, "\\u2014 w1.example ");
		if (p2 == NULL)
			p2 = strstr(last, "\xe2\x80\x94 w1.example ");
		CHECK(p2 != NULL);
		if (p2 != NULL) {
			char *c = strchr(p2, ' ') + 1;
			c = strchr(c, ' ') + 20;
			*c = *c == 'A' ? 'B' : 'A';
			spit(lpath, last, len);
		}
	}
	CHECK_INT(dk_wpolicy_ledger(&q, lpath, op.pk, &e), -1);
	CHECK_HAS(e.msg, "cosignature of w1.example+");
	CHECK_HAS(e.msg, "invalid signature");
	free(last);
	dk_wpolicy_free(&p);
	dk_wpolicy_free(&q);
}

static void
test_durability(void)
{
	struct wctx w = { 0 };
	struct dk_wpolicy p;
	struct dk_err e = { 0 };
	struct rlimit old, lim;
	struct stat st;
	off_t size;
	int rc;

	snprintf(lpath, sizeof(lpath), "%s/d.jsonl", dir);
	w.n = 2;
	w.t = (uint64_t)time(NULL);
	policy(&p, 2);
	CHECK_INT(run(&w, &p, 2, &e), 0);
	CHECK_INT(stat(lpath, &st), 0);
	size = st.st_size;

	/* the witnesses stop the commit: nothing appended */
	w.fail = 1;
	CHECK_INT(run(&w, &p, 2, &e), -1);
	CHECK_HAS(e.msg, "nothing of this run was appended");
	CHECK_HAS(e.msg, "the witnesses say no");
	CHECK_INT(stat(lpath, &st), 0);
	CHECK_INT(st.st_size, size);

	/* no room for the entries before the checkpoint: the witnesses are
	 * never asked, and nothing is appended */
	w.fail = 0;
	w.asked = 0;
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = size + 10;
	setrlimit(RLIMIT_FSIZE, &lim);
	memset(&e, 0, sizeof(e));
	rc = run(&w, &p, 2, &e);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, SIG_DFL);
	CHECK_INT(rc, -1);
	CHECK_INT(e.status, DK_EX_IOERR);
	CHECK_INT(w.asked, 0);
	CHECK_INT(stat(lpath, &st), 0);
	CHECK_INT(st.st_size, size);
	memset(&e, 0, sizeof(e));
	CHECK_INT(run(&w, &p, 1, &e), 0);
	CHECK_INT(w.asked, 1);
	CHECK_INT(dk_ledger_scan(lpath, op.pk, NULL, NULL, &e), 0);
	dk_wpolicy_free(&p);
}

static void
test_policy_file(void)
{
	struct dk_wpolicy p;
	struct dk_err e = { 0 };
	char text[1200];
	const char *f;

	snprintf(text, sizeof(text), "# the cooperative's witnesses\n%s\n"
	    "  %s   # the second\n\nquorum 1\n", vk[0], vk[1]);
	f = tmpfile_write("policy", text);
	dk_wpolicy_init(&p);
	CHECK_INT(dk_wpolicy_file(&p, f, &e), 0);
	CHECK_INT(p.n, 2);
	CHECK_INT(dk_wpolicy_quorum(&p), 1);
	dk_wpolicy_free(&p);
	f = tmpfile_write("policy2", "quorum 1\nnot-a-key\n");
	dk_wpolicy_init(&p);
	CHECK_INT(dk_wpolicy_file(&p, f, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "policy2:2: witness key \"not-a-key\"");
	memset(&e, 0, sizeof(e));
	f = tmpfile_write("policy3", "quorum many\n");
	CHECK_INT(dk_wpolicy_file(&p, f, &e), -1);
	CHECK_HAS(e.msg, "policy3:1: quorum: must be 0 to 16");
	memset(&e, 0, sizeof(e));
	/* an operator's key (type 0x01) is not a witness's */
	{
		char ok[512];
		dk_vkey_make("w0.example", wk[0].pk, ok, sizeof(ok));
		dk_wpolicy_init(&p);
		CHECK_INT(dk_wpolicy_add(&p, ok, NULL, &e), -1);
	}
	dk_wpolicy_free(&p);
}

int
main(void)
{
	struct dk_err e = { 0 };

	if (dk_init(&e) < 0 || dk_key_generate(&op, &e) < 0 ||
	    dk_key_generate(&wk[0], &e) < 0 || dk_key_generate(&wk[1], &e) < 0)
		return 1;
	dk_cosig_vkey_make("w0.example", wk[0].pk, vk[0], sizeof(vk[0]));
	dk_cosig_vkey_make("w1.example", wk[1].pk, vk[1], sizeof(vk[1]));
	snprintf(dir, sizeof(dir), "%s", tmpdir_make("test-cosign"));
	snprintf(lpath, sizeof(lpath), "%s/ledger.jsonl", dir);
	test_cosigned();
	test_durability();
	test_policy_file();
	dk_key_free(&op);
	dk_key_free(&wk[0]);
	dk_key_free(&wk[1]);
	tmpdir_remove();
	return check_done("test-cosign");
}
