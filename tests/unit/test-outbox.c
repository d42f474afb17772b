/* Unit tests for lib/meter/outbox.c: lines stored once and in order,
 * batches, answers taken (receipts checked against the intake key and kept,
 * rejections kept with their reason), answers that do not check or are
 * cut short leaving their lines to send again, and what a reopen finds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

static struct dk_err e;
static char said[4096];
static long nreceipts;

static int
on_receipt(void *ctx, json_t *r, struct dk_err *er)
{
	(void)ctx;
	(void)er;
	nreceipts++;
	snprintf(said + strlen(said), sizeof(said) - strlen(said), "R%s ",
	    json_string_value(json_object_get(r, "slot")) + 11);
	return 0;
}

static void
on_rejected(void *ctx, const char *src, const char *id, const char *why)
{
	(void)ctx;
	(void)id;
	snprintf(said + strlen(said), sizeof(said) - strlen(said), "X%s:%s ",
	    src, why);
}

static void
on_bad(void *ctx, const char *src, const char *id, const char *why)
{
	(void)ctx;
	(void)id;
	snprintf(said + strlen(said), sizeof(said) - strlen(said), "B%s:%s ",
	    src, why);
}

static const struct dk_outcb cb = { on_receipt, on_rejected, on_bad, NULL };

static json_t *
order(int hour)
{
	char buf[200];

	/* members out of canonical order: the outbox stores them canonical */
	snprintf(buf, sizeof(buf), "{\"v\":1,\"type\":\"order\",\"slot\":"
	    "\"2026-12-07T%02d:00:00+00:00\",\"participant\":\"p1\","
	    "\"side\":\"sell\",\"wh\":100,\"price\":1}", hour);
	return json_loads(buf, 0, NULL);
}

/* the answer line of a receipt of line i of b signed by k */
static void
add_receipt_slot(char *ans, const struct dk_outbatch *b, size_t i,
    const struct dk_key *k, const char *slot)
{
	const char *line = b->body, *nl;
	json_t *rec, *r;
	char *c;
	size_t j;

	for (j = 0; j < i; j++)
		line = strchr(line, '\n') + 1;
	nl = strchr(line, '\n');
	rec = json_loadb(line, (size_t)(nl - line), 0, NULL);
	r = dk_receipt_make(line, (size_t)(nl - line), "order", "p1",
	    slot ? slot : json_string_value(json_object_get(rec, "slot")),
	    1796590805, "test/ledger", k, &e);
	c = dk_canon(r);
	strcat(ans, c);
	strcat(ans, "\n");
	free(c);
	json_decref(r);
	json_decref(rec);
}

static void
add_receipt(char *ans, const struct dk_outbatch *b, size_t i,
    const struct dk_key *k)
{
	add_receipt_slot(ans, b, i, k, NULL);
}

int
main(void)
{
	char path[] = "/tmp/test-outbox-XXXXXX", db[64], ans[8192], id[65];
	struct dk_key k, other;
	struct dk_outbox *ob;
	struct dk_outline l[4];
	struct dk_outbatch b;
	struct dk_outres r;
	json_t *bad;
	long added;
	int i;

	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&k, &e), 0);
	CHECK_INT(dk_key_generate(&other, &e), 0);
	CHECK(mkdtemp(path) != NULL);
	snprintf(db, sizeof(db), "%s/outbox.db", path);
	CHECK((ob = dk_outbox_open(db, &e)) != NULL);

	/* what may go: orders and readings in the profile */
	bad = json_loads("{\"type\":\"trade\",\"v\":1}", 0, NULL);
	CHECK(dk_outbox_kind(bad, &e) == NULL);
	CHECK(strstr(e.msg, "submit sends orders and readings") != NULL);
	json_decref(bad);
	bad = json_loads("{\"type\":\"order\",\"v\":1,\"x\":1.5}", 0, NULL);
	CHECK(dk_outbox_kind(bad, &e) == NULL);
	json_decref(bad);

	for (i = 0; i < 4; i++) {
		l[i].src = i < 2 ? "a:1" : "b:2";
		l[i].rec = order(10 + i);
		CHECK_STR(dk_outbox_kind(l[i].rec, &e), "order");
	}
	CHECK_INT(dk_outbox_put(ob, l, 3, &added, &e), 0);
	CHECK_INT(added, 3);
	/* the same line again is not a second one */
	CHECK_INT(dk_outbox_put(ob, l + 1, 3, &added, &e), 0);
	CHECK_INT(added, 1);
	CHECK_INT(dk_outbox_count(ob, 0, &e), 4);

	/* batches: oldest first, canonical, with the id of each */
	CHECK_INT(dk_outbox_pending(ob, 2, 1 << 20, &b, &e), 0);
	CHECK_INT(b.n, 2);
	CHECK(strncmp(b.body, "{\"participant\":\"p1\",\"price\":1,"
	    "\"side\":\"sell\",\"slot\":\"2026-12-07T10:00:00+00:00\"", 70) == 0);
	CHECK_INT(dk_line_id(l[0].rec, id), 0);
	CHECK_STR(b.id[0], id);
	CHECK_STR(b.src[0], "a:1");
	dk_outbatch_free(&b);
	/* one line at least, however small maxbytes */
	CHECK_INT(dk_outbox_pending(ob, 10, 10, &b, &e), 0);
	CHECK_INT(b.n, 1);
	dk_outbatch_free(&b);

	/* a receipt signed by another key: nothing leaves */
	CHECK_INT(dk_outbox_pending(ob, 10, 1 << 20, &b, &e), 0);
	CHECK_INT(b.n, 4);
	ans[0] = '\0';
	add_receipt(ans, &b, 0, &other);
	said[0] = '\0';
	CHECK_INT(dk_outbox_answer(ob, &b, ans, strlen(ans), k.pk, &cb, &r,
	    &e), 0);
	CHECK_INT(r.bad, 1);
	CHECK_INT(r.received, 0);
	CHECK_INT(r.unanswered, 4);
	CHECK(strstr(said, "Ba:1:receipt: key: not the intake key") != NULL);
	CHECK_INT(dk_outbox_count(ob, 0, &e), 4);

	/* a receipt of another line (the second's, for the first) */
	ans[0] = '\0';
	add_receipt(ans, &b, 1, &k);
	said[0] = '\0';
	CHECK_INT(dk_outbox_answer(ob, &b, ans, strlen(ans), k.pk, &cb, &r,
	    &e), 0);
	CHECK_INT(r.bad, 1);
	CHECK(strstr(said, "names another line") != NULL);
	CHECK_INT(dk_outbox_count(ob, 0, &e), 4);

	/* the line's id, signed, but another slot than the line's */
	ans[0] = '\0';
	add_receipt_slot(ans, &b, 0, &k, "2026-12-08T10:00:00+00:00");
	said[0] = '\0';
	CHECK_INT(dk_outbox_answer(ob, &b, ans, strlen(ans), k.pk, &cb, &r,
	    &e), 0);
	CHECK_INT(r.bad, 1);
	CHECKF(strstr(said, "Ba:1:receipt: slot: \"2026-12-08T10:00:00+00:00\","
	    " not the line's \"2026-12-07T10:00:00+00:00\"") != NULL, "%s", said);
	CHECK_INT(dk_outbox_count(ob, 0, &e), 4);

	/* a good receipt, a rejection, then the answer cut short (a last
	 * line without its newline) */
	ans[0] = '\0';
	add_receipt(ans, &b, 0, &k);
	snprintf(ans + strlen(ans), sizeof(ans) - strlen(ans),
	    "{\"type\":\"rejection\",\"v\":1,\"line\":2,\"id\":\"%s\","
	    "\"reason\":\"gate closed\"}\n{\"type\":\"rec", b.id[1]);
	said[0] = '\0';
	nreceipts = 0;
	CHECK_INT(dk_outbox_answer(ob, &b, ans, strlen(ans), k.pk, &cb, &r,
	    &e), 0);
	CHECK_INT(r.received, 1);
	CHECK_INT(r.rejected, 1);
	CHECK_INT(r.bad, 0);
	CHECK_INT(r.unanswered, 2);
	CHECKF(strcmp(said, "R10:00:00+00:00 Xa:1:gate closed ") == 0, "%s",
	    said);
	CHECK_INT(dk_outbox_count(ob, 0, &e), 2);
	CHECK_INT(dk_outbox_count(ob, 1, &e), 1);
	CHECK_INT(dk_outbox_count(ob, 2, &e), 1);
	dk_outbatch_free(&b);

	/* a rejection naming the wrong line number does not check */
	CHECK_INT(dk_outbox_pending(ob, 10, 1 << 20, &b, &e), 0);
	CHECK_INT(b.n, 2);
	snprintf(ans, sizeof(ans), "{\"type\":\"rejection\",\"v\":1,"
	    "\"line\":2,\"reason\":\"x\"}\n");
	said[0] = '\0';
	CHECK_INT(dk_outbox_answer(ob, &b, ans, strlen(ans), k.pk, &cb, &r,
	    &e), 0);
	CHECK_INT(r.bad, 1);
	CHECK(strstr(said, "not the line it answers") != NULL);
	/* garbage */
	said[0] = '\0';
	CHECK_INT(dk_outbox_answer(ob, &b, "<html>\n", 7, k.pk, &cb, &r, &e),
	    0);
	CHECK_INT(r.bad, 1);
	CHECK(strstr(said, "not JSON") != NULL);
	/* both received, one answer too many */
	ans[0] = '\0';
	add_receipt(ans, &b, 0, &k);
	add_receipt(ans, &b, 1, &k);
	strcat(ans, "{}\n");
	said[0] = '\0';
	CHECK_INT(dk_outbox_answer(ob, &b, ans, strlen(ans), k.pk, &cb, &r,
	    &e), 0);
	CHECK_INT(r.received, 2);
	CHECK_INT(r.extra, 1);
	CHECK_STR(said, "R12:00:00+00:00 R13:00:00+00:00 ");
	dk_outbatch_free(&b);
	CHECK_INT(dk_outbox_count(ob, 0, &e), 0);
	dk_outbox_close(ob);

	/* reopened: the receipts kept, in the order the lines were stored;
	 * a line given again is sent again, its first receipt kept */
	CHECK((ob = dk_outbox_open(db, &e)) != NULL);
	CHECK_INT(dk_outbox_count(ob, 1, &e), 3);
	CHECK_INT(dk_outbox_put(ob, l, 1, &added, &e), 0);
	CHECK_INT(added, 0);
	CHECK_INT(dk_outbox_count(ob, 0, &e), 1);
	CHECK_INT(dk_outbox_pending(ob, 10, 1 << 20, &b, &e), 0);
	CHECK_INT(b.n, 1);
	dk_outbatch_free(&b);
	dk_outbox_close(ob);

	for (i = 0; i < 4; i++)
		json_decref(l[i].rec);
	dk_key_free(&k);
	dk_key_free(&other);
	snprintf(ans, sizeof(ans), "rm -rf '%s'", path);
	CHECK_INT(system(ans), 0);
	return check_done("test-outbox");
}
