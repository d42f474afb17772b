/* denki-intake: the cooperative's inbox of orders and readings, each
 * answered by a signed receipt or a rejection: a filter, or a CGI
 * program; and the inbox's slot as clear and settle read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-intake";
static const char usage[] =
    "usage: denki-intake [-c config] [-D key=value] [lines ...]\n"
    "       denki-intake --dump [-r] -s slot [-c config] [-D key=value]\n"
    "       denki-intake --key | --publish [-c config] [-D key=value]\n";

enum { TAKE, DUMP = 256, KEY, PUBLISH };
static const struct option lo[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "dump", no_argument, NULL, DUMP },
	{ "key", no_argument, NULL, KEY },
	{ "publish", no_argument, NULL, PUBLISH },
	{ NULL, 0, NULL, 0 }
};
static const char *const media[] = { "application/x-ndjson",
	"application/jsonl", NULL };

static void
rejected(void *ctx, long line, const char *why)
{
	dk_warnx(prog, "%s:%ld: rejected: %s", (const char *)ctx, line, why);
}

/* A CGI answer: the receipts and rejections (200), or the message. */
static int
answer(int http, const char *body, size_t len, const char *msg)
{
	if (http != 200)
		dk_warnx(prog, "request: %s", msg);
	if (http == 405 || http == 415)
		dk_cgi_drain(stdin, 1 << 26);
	dk_cgi_answer(stdout, http, dk_witness_reason(http), http == 405 ?
	    "POST" : NULL, http == 200 ? "application/x-ndjson" :
	    "text/plain; charset=utf-8", http == 200 ? body : msg,
	    http == 200 ? len : strlen(msg));
	if (http != 200)
		putchar('\n');
	return dk_finish_stdout(prog);
}

/* The intake's public key: intake.pub's, else intake.key's; --key prints
 * it as the ledger's last intake record names it (78 if it names none or
 * another), --publish appends the record unless it says the same. */
static int
key_or_publish(struct dk_coop *C, int publish, struct dk_err *e)
{
	struct dk_key k = { 0 };
	const struct dk_intakekey *ik;
	long long gate, same;
	json_t *rec = NULL;
	int rc = -1;

	if (dk_conf_int(&C->conf, "gate_closure_minutes", DK_GATE_DEFAULT, 0,
	    DK_GATE_MAX, &gate, e) < 0 || (dk_conf_str(&C->conf, "intake.pub",
	    NULL) != NULL ? dk_conf_key(&C->conf, "intake.pub", 0, &k, e) :
	    dk_conf_key(&C->conf, "intake.key", 1, &k, e)) < 0)
		goto out;
	if (!publish) {
		if (dk_ledger_scan(C->lpath, NULL, dk_state_apply, &C->st,
		    e) == 0 && (ik = dk_intake_named(&C->st, C->lpath, k.pk,
		    e)) != NULL)
			rc = printf("%s\n", ik->key) < 0 ? -1 : 0;
		goto out;
	}
	if (dk_coop_open(C, e) < 0)
		goto out;
	if ((rec = dk_intake_publish(&C->st, &k, gate, &same)) == NULL) {
		if (same < 0)
			dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		else
			dk_warnx(prog, "entry %lld names this intake key and "
			    "gate closure already: nothing appended", same);
		rc = same < 0 ? -1 : 0;
	} else if ((rc = dk_ledger_add(&C->l, rec, e)) == 0 &&
	    (rc = dk_ledger_finish(&C->l, 0, e)) == 0)
		dk_emit(stdout, rec);
out:
	json_decref(rec);
	dk_key_free(&k);
	return rc;
}

/* The filter: each operand one request; 0, 65 when a line was rejected,
 * or -1. */
static int
filter(struct dk_inbox *ib, int argc, char *argv[], long long max,
    struct dk_err *e)
{
	const char *name;
	char *body = NULL, *out;
	size_t len, olen;
	int argi, bad = 0, rc = -1;
	FILE *fp;

	for (argi = optind; argi < argc || argi == optind; argi++) {
		name = argi < argc ? argv[argi] : "-";
		fp = strcmp(name, "-") == 0 ? stdin : fopen(name, "r");
		if (fp == NULL)
			return dk_fail(e, DK_EX_NOINPUT, "%s: cannot open", name);
		name = fp == stdin ? "stdin" : name;
		if ((rc = dk_body_read(fp, 0, (size_t)max, &body, &len, e)) ==
		    413)
			dk_fail(e, DK_EX_DATAERR, "%s: more than %lld bytes "
			    "(intake.max_body): nothing of it was stored; send "
			    "it in smaller parts", name, max);
		else if (rc != 0)
			dk_failpre(e, "%s", name);
		if (fp != stdin)
			fclose(fp);
		ib->reject = rejected;
		ib->ctx = (void *)name;
		if (rc != 0 || (rc = dk_inbox_take(ib, body, len, time(NULL),
		    &out, &olen, e)) < 0) {
			if (rc < 0)
				dk_failpre(e, "%s: nothing of it was stored",
				    name);
			free(body);
			return -1;
		}
		fwrite(out, 1, olen, stdout);
		bad |= ib->rejected > 0;
		free(body);
		free(out);
		if (argi >= argc)
			break;
	}
	return bad ? DK_EX_DATAERR : 0;
}

static int
cgi(struct dk_inbox *ib, long long max)
{
	struct dk_err e = { 0 };
	char *body, *out;
	size_t len, olen;
	int http;

	if ((http = dk_body_read(stdin, 1, (size_t)max, &body, &len, &e)) != 0)
		return answer(http, NULL, 0, e.msg);
	if (dk_inbox_take(ib, body, len, time(NULL), &out, &olen, &e) < 0)
		return answer(e.status == DK_EX_SOFTWARE ? 500 : 503, NULL, 0,
		    e.msg);
	http = answer(200, out, olen, "");
	free(out);
	free(body);
	return http;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_coop C;
	struct dk_inbox ib = { 0 };
	struct dk_key k = { 0 };
	const char *slot = NULL, *m = getenv("REQUEST_METHOD");
	int c, mode = TAKE, readings = 0, rc = 0;
	int is_cgi = getenv("GATEWAY_INTERFACE") != NULL;
	long long max = 0;
	int64_t t;
	long n;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	P.lo = lo;
	while ((c = dk_prog_opt(&P, argc, argv, "s:r")) != -1)
		if (c == 's')
			slot = optarg;
		else if (c == 'r')
			readings = 1;
		else if (mode != TAKE && mode != c)
			dk_prog_usage(&P, DK_EX_USAGE);
		else
			mode = c;
	if ((mode == DUMP) != (slot != NULL) || (readings && mode != DUMP) ||
	    (mode != TAKE && optind != argc))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (P.cfg == NULL)
		P.cfg = getenv("DENKI_CONFIG");
	if (is_cgi && mode == TAKE) {
		dk_cgi_blocking(0);
		dk_cgi_blocking(1);
		if (m == NULL || strcmp(m, "POST") != 0)
			return answer(405, NULL, 0, "intake takes POST");
		if (!dk_cgi_media(getenv("CONTENT_TYPE"), media))
			return answer(415, NULL, 0, "Content-Type: must be "
			    "application/x-ndjson or application/jsonl");
	} else if (mode == TAKE)
		dk_prog_need_input(&P, argc, "lines");
	if (dk_prog_coop(&P, &C, DK_COOP_RULES, &e) < 0)
		goto fail;
	if (mode == KEY || mode == PUBLISH)
		rc = key_or_publish(&C, mode == PUBLISH, &e);
	else if (mode == DUMP) {
		if (dk_slot_parse(slot, C.rules.slot_minutes, &t, &e) < 0) {
			dk_failpre(&e, "-s");
			e.status = DK_EX_USAGE;
			goto fail;
		}
		rc = dk_inbox_conf(&ib, &C.conf, C.lpath, NULL, NULL, &e) < 0 ?
		    -1 : dk_inbox_dump(&ib, readings ? "reading" : "order", t,
		    stdout, &n, &e);
	} else if (dk_inbox_conf(&ib, &C.conf, C.lpath, &k, &max, &e) < 0)
		rc = -1;
	else {
		ib.r = &C.rules;
		ib.reading = dk_reading_admit;
		rc = is_cgi ? cgi(&ib, max) : filter(&ib, argc, argv, max, &e);
	}
	dk_inbox_close(&ib);
	dk_key_free(&k);
	if (rc < 0)
		goto fail;
	dk_coop_free(&C);
	/* a CGI answer closed stdout already (answer) */
	c = is_cgi && mode == TAKE ? 0 : dk_finish_stdout(prog);
	return c ? c : rc;
fail:
	if (is_cgi && mode == TAKE)
		return answer(e.status == DK_EX_SOFTWARE ? 500 : 503, NULL, 0,
		    e.msg);
	return dk_prog_fail(&P, &e);
}
