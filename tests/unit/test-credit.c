/* Unit tests for lib/settle/credit.c: each part of the score from records
 * fed in ledger order (tenure from the checkpoint after the enrolment,
 * delivery, provisional settlements and their true-ups, payments
 * returned, disputes lost and their signatures), "as of" an entry and a
 * time, and a whole ledger file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_err e;
static long long seq;
static const int64_t T0 = 1767225600;	/* 2026-01-01T00:00:00Z */

static int
feed(struct dk_credit *c, json_t *rec)
{
	int rc;

	memset(&e, 0, sizeof(e));
	rc = dk_credit_entry(c, seq++, 0, rec, &e);
	json_decref(rec);
	return rc;
}

static json_t *
registered(const char *id, const char *role, const char *status,
    const struct dk_key *k)
{
	char *b = dk_key_pub_b64(k);
	json_t *r = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "type",
	    "participant", "v", 2, "id", id, "key", b, "role", role,
	    "status", status);

	free(b);
	return r;
}

static json_t *
participant(const char *id, const struct dk_key *k)
{
	return registered(id, strcmp(id, "rita") == 0 ? "reviewer" :
	    "prosumer", "active", k);
}

static json_t *
checkpoint(int64_t t)
{
	unsigned char root[32] = { 0 };
	char *text = dk_checkpoint_text("test/ledger", 1, root, t);
	json_t *r = json_pack("{s:s,s:i,s:s}", "type", "checkpoint", "v", 1,
	    "note", text);

	free(text);
	return r;
}

static json_t *
settlement(const char *id, const char *slot, long long sold,
    long long bought, long long dev, int prov)
{
	json_t *r = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I,s:I}", "type",
	    "settlement", "v", prov ? 3 : 1, "participant", id, "slot", slot,
	    "sold_wh", (json_int_t)sold, "bought_wh", (json_int_t)bought,
	    "deviation_wh", (json_int_t)dev);

	if (prov)
		json_object_set_new(r, "provisional", json_pack("[s]", "m"));
	return r;
}

static json_t *
resolution(const char *by, const char *loser, const struct dk_key *k)
{
	json_t *r = json_pack("{s:s,s:i,s:s,s:s,s:s,s:[],s:s}", "type",
	    "dispute_resolution", "v", 1, "dispute", "7", "decision",
	    "upheld", "by", by, "transfers", "comment", "short delivery");

	json_object_set_new(r, "loser", loser ? json_string(loser) :
	    json_null());
	if (dk_sign_record(r, k, &e) < 0)
		CHECK(0);
	return r;
}

static int
score(struct dk_credit *c, const char *id, int64_t at,
    struct dk_credit_score *s)
{
	memset(&e, 0, sizeof(e));
	return dk_credit_score(c, id, at, s, &e);
}

/* A checkpoint entry signed by op at t, cosigned by w at each of wt[]
 * (0 ends). */
static json_t *
cosigned(const struct dk_key *op, int64_t t, const struct dk_key *w,
    const uint64_t *wt)
{
	unsigned char root[32] = { 0 };
	char *text = dk_checkpoint_text("test/ledger", 1, root, t);
	char *note = dk_note_sign(text, "test/ledger", op, &e), *line, *all;
	json_t *r;

	for (; *wt != 0; wt++) {
		line = dk_cosig_sign(text, strlen(text), "w.example/w1", w, *wt,
		    &e);
		if (asprintf(&all, "%s%s", note, line) < 0)
			exit(2);
		free(note);
		free(line);
		note = all;
	}
	r = json_pack("{s:s,s:i,s:s}", "type", "checkpoint", "v", 1, "note",
	    note);
	free(text);
	free(note);
	return r;
}

/* the last base64 character but the padding of the note's last line
 * changed */
static void
spoil(json_t *r)
{
	char *n = strdup(json_string_value(json_object_get(r, "note")));
	size_t i = strlen(n) - 2;

	while (n[i] == '=')
		i--;
	n[i - 3] = n[i - 3] == 'A' ? 'B' : 'A';
	json_object_set_new(r, "note", json_string(n));
	free(n);
}

/* dk_checkpoint_bound: the operator's time, or with witnesses the latest
 * of it and theirs, and nothing when none of them cosigned */
static void
bounds(const struct dk_key *op, const struct dk_key *w)
{
	struct dk_wpolicy wp;
	const uint64_t none[] = { 0 }, later[] = { T0 + 30, 0 },
	    earlier[] = { T0 - 30, 0 };
	char vk[256];
	json_t *r;
	int64_t t;

	dk_wpolicy_init(&wp);
	CHECK_INT(dk_cosig_vkey_make("w.example/w1", w->pk, vk, sizeof(vk)), 0);
	CHECK_INT(dk_wpolicy_add(&wp, vk, NULL, &e), 0);
	r = cosigned(op, T0, w, none);
	CHECK_INT(dk_checkpoint_bound(r, NULL, &t, &e), 0);
	CHECK_INT(t, T0);
	CHECK_INT(dk_checkpoint_bound(r, &wp, &t, &e), 0);
	CHECK_INT(t, -1);
	json_decref(r);
	r = cosigned(op, T0, w, later);
	CHECK_INT(dk_checkpoint_bound(r, NULL, &t, &e), 0);
	CHECK_INT(t, T0);
	CHECK_INT(dk_checkpoint_bound(r, &wp, &t, &e), 0);
	CHECK_INT(t, T0 + 30);
	json_decref(r);
	r = cosigned(op, T0, w, earlier);
	CHECK_INT(dk_checkpoint_bound(r, &wp, &t, &e), 0);
	CHECK_INT(t, T0);
	json_decref(r);
	/* cosigned by another key under the witness's name: not the
	 * witness's (its key id differs), so nothing bounds */
	r = cosigned(op, T0, op, later);
	CHECK_INT(dk_checkpoint_bound(r, &wp, &t, &e), 0);
	CHECK_INT(t, -1);
	json_decref(r);
	/* the witness's line with its signature spoilt: refused */
	r = cosigned(op, T0, w, later);
	spoil(r);
	CHECK_INT(dk_checkpoint_bound(r, &wp, &t, &e), -1);
	CHECK_HAS(e.msg, "checkpoint: cosignature of w.example/w1");
	json_decref(r);
	r = cosigned(op, -1, w, none);		/* format 1: no time */
	CHECK_INT(dk_checkpoint_bound(r, NULL, &t, &e), 0);
	CHECK_INT(t, -1);
	json_decref(r);
	dk_wpolicy_free(&wp);
}

int
main(void)
{
	struct dk_key ka, kb, kr, kx;
	struct dk_credit c;
	struct dk_credit_score s;
	json_t *j, *bad;
	char *text;
	const char *dir, *path;

	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&ka, &e), 0);
	CHECK_INT(dk_key_generate(&kb, &e), 0);
	CHECK_INT(dk_key_generate(&kr, &e), 0);
	CHECK_INT(dk_key_generate(&kx, &e), 0);

	dk_credit_init(&c, -1);
	seq = 1;
	CHECK_INT(feed(&c, participant("alice", &ka)), 0);
	CHECK_INT(feed(&c, participant("bob", &kb)), 0);
	CHECK_INT(feed(&c, checkpoint(T0)), 0);		/* entry 3 */
	CHECK_INT(feed(&c, participant("rita", &kr)), 0);

	/* a newcomer: everything but tenure */
	CHECK_INT(score(&c, "alice", T0, &s), 0);
	CHECK_INT(s.score, 800);
	CHECK_INT(s.tenure, 0);
	/* 100 days: 100 x 200 / 365 = 54.79, rounded down */
	CHECK_INT(score(&c, "alice", T0 + 100 * 86400 + 86399, &s), 0);
	CHECK_INT(s.days, 100);
	CHECK_INT(s.tenure, 54);
	CHECK_INT(s.score, 854);
	/* a time before the enrolment: no tenure; past a year: all of it */
	CHECK_INT(score(&c, "alice", T0 - 5, &s), 0);
	CHECK_INT(s.tenure, 0);
	CHECK_INT(score(&c, "alice", T0 + 900 * 86400LL, &s), 0);
	CHECK_INT(s.tenure, 200);
	/* rita's enrolment has no checkpoint after it yet: no tenure */
	CHECK_INT(score(&c, "rita", T0 + 900 * 86400LL, &s), 0);
	CHECK_INT(s.tenure, 0);
	CHECK_INT(score(&c, "nobody", T0, &s), -1);
	CHECK_HAS(e.msg, "nobody: not a participant");

	/* delivery: alice sold 1000, delivered 750: missed 250; bob bought
	 * 400 and took 300 (missed 100), then bought 400 and took 700 (the
	 * rest from the utility: missed nothing) */
	CHECK_INT(feed(&c, settlement("alice", "2026-01-01T10:00:00Z", 1000,
	    0, -250, 0)), 0);
	CHECK_INT(feed(&c, settlement("bob", "2026-01-01T10:00:00Z", 0, 400,
	    100, 0)), 0);
	CHECK_INT(feed(&c, settlement("bob", "2026-01-01T10:30:00Z", 0, 400,
	    -300, 0)), 0);
	/* a seller that exported more, a buyer that bought nothing */
	CHECK_INT(feed(&c, settlement("alice", "2026-01-01T10:30:00Z", 0, 0,
	    500, 0)), 0);
	CHECK_INT(feed(&c, checkpoint(T0 + 86400)), 0);	/* dates rita */
	CHECK_INT(score(&c, "alice", T0, &s), 0);
	CHECK_INT(s.m->pos_wh, 1000);
	CHECK_INT(s.m->miss_wh, 250);
	CHECK_INT(s.miss_bp, 2500);
	CHECK_INT(s.delivery, 300);
	CHECK_INT(score(&c, "bob", T0, &s), 0);
	CHECK_INT(s.miss_bp, 1250);		/* 100 of 800 */
	CHECK_INT(s.delivery, 350);
	CHECK_INT(score(&c, "rita", T0 + 2 * 86400, &s), 0);
	CHECK_INT(s.days, 1);

	/* provisional: counted at its true-up, with its position */
	CHECK_INT(feed(&c, settlement("alice", "2026-01-01T11:00:00Z", 200,
	    0, 0, 1)), 0);
	CHECK_INT(score(&c, "alice", T0, &s), 0);
	CHECK_INT(s.m->pos_wh, 1000);
	CHECK_INT(feed(&c, json_pack("{s:s,s:i,s:s,s:s,s:I}", "type", "trueup",
	    "v", 1, "participant", "alice", "slot", "2026-01-01T11:00:00Z",
	    "deviation_wh", (json_int_t)-200)), 0);
	CHECK_INT(score(&c, "alice", T0, &s), 0);
	CHECK_INT(s.m->pos_wh, 1200);
	CHECK_INT(s.m->miss_wh, 450);
	CHECK_INT(s.miss_bp, 3750);
	CHECK_INT(s.delivery, 250);
	/* a true-up without a provisional settlement counts nothing */
	CHECK_INT(feed(&c, json_pack("{s:s,s:i,s:s,s:s,s:I}", "type", "trueup",
	    "v", 1, "participant", "alice", "slot", "2026-01-01T11:00:00Z",
	    "deviation_wh", (json_int_t)-200)), 0);
	CHECK_INT(score(&c, "alice", T0, &s), 0);
	CHECK_INT(s.m->pos_wh, 1200);

	/* payments returned: a collection 100, a payment 25 */
	CHECK_INT(feed(&c, json_pack("{s:s,s:i,s:i,s:s,s:s,s:I}", "type",
	    "payment_return", "v", 1, "run", 40, "period", "2026-01",
	    "participant", "bob", "amount", (json_int_t)-5000000)), 0);
	CHECK_INT(feed(&c, json_pack("{s:s,s:i,s:i,s:s,s:s,s:I}", "type",
	    "payment_return", "v", 1, "run", 40, "period", "2026-01",
	    "participant", "bob", "amount", (json_int_t)1000000)), 0);
	CHECK_INT(score(&c, "bob", T0, &s), 0);
	CHECK_INT(s.payments, 75);

	/* disputes: lost by bob, decided by rita with her key */
	CHECK_INT(feed(&c, resolution("rita", "bob", &kr)), 0);
	CHECK_INT(feed(&c, resolution("rita", NULL, &kr)), 0);
	CHECK_INT(score(&c, "bob", T0, &s), 0);
	CHECK_INT(s.disputes, 150);
	CHECK_INT(s.m->lost, 1);
	CHECK_INT(s.score, 0 + 350 + 75 + 150);
	/* signed by another key, or by no participant: refused, named */
	CHECK_INT(feed(&c, resolution("rita", "bob", &kx)), -1);
	CHECK_HAS(e.msg, "dispute_resolution: sig: bad signature");
	CHECK(strncmp(e.msg, "dispute_resolution: ", 20) == 0);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_INT(feed(&c, resolution("zed", "bob", &kx)), -1);
	CHECK_HAS(e.msg, "by: zed is not a registered participant");
	/* signed by a member (not a reviewer), with its own key: refused,
	 * bob's score unchanged (a colluding member cannot lower it) */
	CHECK_INT(feed(&c, resolution("alice", "bob", &ka)), -1);
	CHECK_HAS(e.msg, "by: alice is not an active reviewer");
	CHECK_INT(e.status, DK_EX_DATAERR);
	/* by a reviewer revoked before it, or made a member: refused */
	CHECK_INT(feed(&c, registered("rita", "reviewer", "revoked", &kr)), 0);
	CHECK_INT(feed(&c, resolution("rita", "bob", &kr)), -1);
	CHECK_HAS(e.msg, "by: rita is not an active reviewer");
	CHECK_INT(feed(&c, registered("rita", "prosumer", "active", &kr)), 0);
	CHECK_INT(feed(&c, resolution("rita", "bob", &kr)), -1);
	CHECK_INT(feed(&c, participant("rita", &kr)), 0);
	/* changed after signing */
	bad = resolution("rita", "alice", &kr);
	json_object_set_new(bad, "loser", json_string("bob"));
	CHECK_INT(feed(&c, bad), -1);
	CHECK_INT(score(&c, "bob", T0, &s), 0);
	CHECK_INT(s.m->lost, 1);

	j = dk_credit_json(&c, &s);
	text = dk_canon(j);
	CHECK_HAS(text, "\"at\":\"2026-01-01T00:00:00Z\"");
	CHECK_HAS(text, "\"participant\":\"bob\",\"payments\":75,"
	    "\"returned_credits\":1,\"returned_debits\":1,\"score\":575");
	free(text);
	json_decref(j);
	dk_credit_free(&c);

	/* as of an entry: the same records, those from entry 8 on left out */
	dk_credit_init(&c, 8);
	seq = 1;
	CHECK_INT(feed(&c, participant("alice", &ka)), 0);
	CHECK_INT(feed(&c, checkpoint(T0)), 0);
	CHECK_INT(feed(&c, settlement("alice", "2026-01-01T10:00:00Z", 1000,
	    0, -1000, 0)), 0);
	seq = 8;
	CHECK_INT(feed(&c, settlement("alice", "2026-01-01T10:30:00Z", 1000,
	    0, -1000, 0)), 0);
	CHECK_INT(feed(&c, resolution("zed", "alice", &kx)), 0);
	CHECK_INT(score(&c, "alice", T0, &s), 0);
	CHECK_INT(s.m->pos_wh, 1000);
	CHECK_INT(s.delivery, 0);
	CHECK_INT(c.entries, 4);
	dk_credit_free(&c);

	/* a ledger file that is not there */
	dir = tmpdir_make("test-credit");
	path = tmpfile_write("ledger.jsonl", "not a ledger\n");
	CHECK_INT(dk_credit_ledger(&c, path, NULL, -1, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	(void)dir;
	tmpdir_remove();

	bounds(&ka, &kb);

	dk_key_free(&ka);
	dk_key_free(&kb);
	dk_key_free(&kr);
	dk_key_free(&kx);
	return check_done("test-credit");
}
