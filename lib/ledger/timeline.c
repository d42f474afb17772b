/*
 * timeline.c: when each slot was cleared, contracted and settled, as far
 * as the ledger's signed checkpoint times bound it (denki-ledger-verify -T):
 * one timeline record a slot, in the order the slots were cleared.
 */
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

/*
 * An entry is no later than the first checkpoint after it (that checkpoint
 * signs it) and, since entries are appended in order, no earlier than the
 * last checkpoint before it.  Each bound {seq, after, by} waits in open
 * until the next checkpoint gives its "by".
 */
struct tl {
	json_t *out;		/* the records, in clearing order */
	json_t *byslot;		/* slot -> its record */
	json_t *open;		/* bounds waiting for a checkpoint */
	int64_t last;		/* the last checkpoint's time; -1: none */
	int minutes;		/* slot length in force */
};

static json_t *
bound(struct tl *t, long long seq)
{
	json_t *b;

	b = json_pack("{s:I,s:o,s:n}", "seq", (json_int_t)seq, "after",
	    t->last >= 0 ? json_integer(t->last) : json_null(), "by");
	if (b != NULL)
		json_array_append(t->open, b);
	return b;
}

static int
tl_checkpoint(struct tl *t, json_t *rec, struct dk_err *e)
{
	struct dk_checkpoint cp;
	const char *note = json_string_value(json_object_get(rec, "note"));
	size_t i;
	json_t *b;

	if (note == NULL || dk_checkpoint_parse(note, strlen(note), &cp, e) < 0)
		return dk_failpre(e, "checkpoint");
	json_array_foreach(t->open, i, b)
		json_object_set_new(b, "by", cp.time >= 0 ?
		    json_integer(cp.time) : json_null());
	json_array_clear(t->open);
	t->last = cp.time;
	return 0;
}

static int
tl_entry(void *ctx, long long seq, long line, json_t *rec, struct dk_err *e)
{
	struct tl *t = ctx;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *slot;
	struct dk_rules r;
	json_t *x, *b;
	int64_t s;

	(void)line;
	if (strcmp(type, "checkpoint") == 0)
		return tl_checkpoint(t, rec, e);
	if (strcmp(type, "rules") == 0) {
		if (dk_rules_from_json(&r, rec, e) < 0)
			return -1;
		t->minutes = r.slot_minutes;
		return 0;
	}
	if (strcmp(type, "clearing") != 0 && strcmp(type, "contract") != 0 &&
	    strcmp(type, "settlement") != 0)
		return 0;
	if ((slot = dk_get_str(rec, "slot", e)) == NULL)
		return -1;
	if ((b = bound(t, seq)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (strcmp(type, "clearing") == 0) {
		if (dk_slot_parse(slot, t->minutes, &s, e) < 0)
			return dk_failpre(e, "clearing");
		x = json_pack("{s:s,s:i,s:s,s:I,s:I,s:o,s:n,s:n}", "type",
		    "timeline", "v", 1, "slot", slot, "gate", (json_int_t)s,
		    "end", (json_int_t)(s + 60 * (int64_t)t->minutes),
		    "cleared", b, "contracted", "settled");
		if (x == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		json_object_set(t->byslot, slot, x);
		json_array_append_new(t->out, x);
		return 0;
	}
	if ((x = json_object_get(t->byslot, slot)) == NULL) {
		json_decref(b);
		return dk_fail(e, DK_EX_DATAERR, "%s of slot %s, which was "
		    "never cleared", type, slot);
	}
	/* contracted: by its last contract; settled: by its settlement */
	json_object_set_new(x, strcmp(type, "contract") == 0 ? "contracted" :
	    "settled", b);
	/* the participants settled provisionally, without a reading */
	if (json_object_get(rec, "provisional") != NULL) {
		if ((b = json_object_get(x, "provisional")) == NULL)
			json_object_set_new(x, "provisional", b = json_array());
		json_array_append(b, json_object_get(rec, "participant"));
	}
	return 0;
}

/* lo, the earliest an event can have been, is past limit: certainly late */
static int
past(json_t *ev, int64_t limit)
{
	json_t *lo = json_object_get(ev, "after");

	return json_is_integer(lo) && json_integer_value(lo) > limit;
}

/*
 * The timeline of the ledger at path (signed by oppk): an array of
 * timeline records, or NULL with e filled.  Each says which of the
 * seed's limits (DK_LATE_*) the slot certainly missed, in "late".
 */
json_t *
dk_timeline(const char *path, const unsigned char oppk[32], struct dk_err *e)
{
	struct tl t;
	size_t i;
	json_t *x, *late;
	int64_t g, end;

	memset(&t, 0, sizeof(t));
	t.out = json_array();
	t.byslot = json_object();
	t.open = json_array();
	t.last = -1;
	t.minutes = 30;
	if (dk_ledger_scan(path, oppk, tl_entry, &t, e) < 0) {
		json_decref(t.out);
		t.out = NULL;
	}
	json_array_foreach(t.out, i, x) {
		g = json_integer_value(json_object_get(x, "gate"));
		end = json_integer_value(json_object_get(x, "end"));
		late = json_array();
		if (past(json_object_get(x, "cleared"), g + DK_LATE_CLEAR))
			json_array_append_new(late, json_string("cleared"));
		if (past(json_object_get(x, "contracted"), g +
		    DK_LATE_CONTRACT))
			json_array_append_new(late, json_string("contracted"));
		if (past(json_object_get(x, "settled"), end + DK_LATE_SETTLE))
			json_array_append_new(late, json_string("settled"));
		json_object_set_new(x, "late", late);
		/* settled provisionally when the hour was certainly not over:
		 * the readings were not waited for */
		if (json_object_get(x, "provisional") != NULL)
			json_object_set_new(x, "early", json_boolean(
			    json_is_integer(json_object_get(json_object_get(x,
			    "settled"), "by")) && json_integer_value(
			    json_object_get(json_object_get(x, "settled"),
			    "by")) < end + DK_LATE_SETTLE));
	}
	json_decref(t.byslot);
	json_decref(t.open);
	return t.out;
}
