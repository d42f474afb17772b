/* denki-intake: the cooperative's inbox of orders and readings, each
 * answered by a signed receipt or a rejection: a filter, or a CGI
 * program; and the inbox's slot as clear and settle read it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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

static void
rejected(void *ctx, long line, const char *why)
{
	dk_warnx(prog, "%s:%ld: rejected: %s", (const char *)ctx, line, why);
}

/* A CGI answer: its status line, and the body or the message. */
static int
answer(int http, const char *body, size_t len, const char *msg)
{
	if (http != 200)
		dk_warnx(prog, "request: %s", msg);
	printf("Status: %d %s\r\n", http, dk_witness_reason(http));
	if (http == 405)
		printf("Allow: POST\r\n");
	if (http == 200) {
		printf("Content-Type: application/x-ndjson\r\n\r\n");
		fwrite(body, 1, len, stdout);
	} else
		printf("Content-Type: text/plain; charset=utf-8\r\n\r\n%s\n",
		    msg);
	return dk_finish_stdout(prog);
}

static int
media_ok(const char *ct)
{
	size_t n = ct != NULL ? strcspn(ct, "; \t") : 0;

	return ct != NULL && ((n == 20 && strncasecmp(ct,
	    "application/x-ndjson", n) == 0) || (n == 17 &&
	    strncasecmp(ct, "application/jsonl", n) == 0));
}

/* The intake key the ledger names, as its last intake record says it:
 * the one of intake.pub (else of intake.key), or 78. */
static int
print_key(struct dk_coop *C, struct dk_err *e)
{
	struct dk_key k = { 0 };
	const struct dk_intakekey *ik;

	if (dk_ledger_scan(C->lpath, NULL, dk_state_apply, &C->st, e) < 0 ||
	    (dk_conf_str(&C->conf, "intake.pub", NULL) != NULL ?
	    dk_conf_key(&C->conf, "intake.pub", 0, &k, e) :
	    dk_conf_key(&C->conf, "intake.key", 1, &k, e)) < 0)
		return -1;
	dk_key_free(&k);
	if (C->st.nintake == 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: the ledger names no intake "
		    "key: run denki-intake --publish first", C->lpath);
	ik = &C->st.intake[C->st.nintake - 1];
	if (memcmp(ik->pk, k.pk, 32) != 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: entry %lld names another "
		    "intake key than this configuration's: run denki-intake "
		    "--publish", C->lpath, ik->seq);
	printf("%s\n", ik->key);
	return 0;
}

/* --publish: the intake record appended, unless the ledger's last one
 * says the same already. */
static int
publish(struct dk_coop *C, struct dk_err *e)
{
	struct dk_key k = { 0 };
	const struct dk_intakekey *ik;
	long long gate;
	json_t *rec;
	int rc;

	if (dk_conf_int(&C->conf, "gate_closure_minutes", DK_GATE_DEFAULT, 0,
	    DK_GATE_MAX, &gate, e) < 0 || (dk_conf_str(&C->conf, "intake.pub",
	    NULL) != NULL ? dk_conf_key(&C->conf, "intake.pub", 0, &k, e) :
	    dk_conf_key(&C->conf, "intake.key", 1, &k, e)) < 0 ||
	    dk_coop_open(C, e) < 0)
		return -1;
	ik = C->st.nintake > 0 ? &C->st.intake[C->st.nintake - 1] : NULL;
	if (ik != NULL && memcmp(ik->pk, k.pk, 32) == 0 &&
	    ik->gate_minutes == gate) {
		dk_key_free(&k);
		dk_warnx(prog, "entry %lld names this intake key and gate "
		    "closure already: nothing appended", ik->seq);
		return 0;
	}
	rec = dk_intake_record(&k, gate);
	dk_key_free(&k);
	if ((rc = rec == NULL ? dk_fail(e, DK_EX_SOFTWARE, "out of memory") :
	    dk_ledger_add(&C->l, rec, e)) == 0 &&
	    (rc = dk_ledger_finish(&C->l, 0, e)) == 0)
		dk_emit(stdout, rec);
	json_decref(rec);
	return rc;
}

/* The inbox named by the configuration, set up to take requests. */
static int
inbox(struct dk_inbox *ib, struct dk_coop *C, struct dk_key *k,
    long long *max, struct dk_err *e)
{
	char *path = dk_conf_path(&C->conf, "intake.inbox", "inbox.db");
	int rc;

	memset(ib, 0, sizeof(*ib));
	ib->lpath = C->lpath;
	ib->r = &C->rules;
	ib->reading = dk_reading_admit;
	ib->require_signed = strcmp(dk_conf_str(&C->conf, "settle.signed",
	    "required"), "required") == 0;
	rc = path == NULL ? dk_fail(e, DK_EX_SOFTWARE, "out of memory") :
	    dk_inbox_open(ib, path, e);
	free(path);
	if (rc < 0 || k == NULL)
		return rc;
	ib->key = k;
	return dk_conf_int(&C->conf, "intake.max_body", 1 << 20, 1, 1 << 30,
	    max, e) < 0 || dk_conf_key(&C->conf, "intake.key", 1, k, e) < 0 ?
	    -1 : 0;
}

/* The filter: each operand one request; 0, 65 when a line was rejected,
 * or -1. */
static int
filter(struct dk_inbox *ib, int argc, char *argv[], long long max,
    struct dk_err *e)
{
	const char *name;
	char *body, *out;
	size_t len, olen;
	int argi, bad = 0, c;
	FILE *fp;

	for (argi = optind; argi < argc || argi == optind; argi++) {
		name = argi < argc ? argv[argi] : "-";
		if (strcmp(name, "-") == 0)
			fp = stdin;
		else if ((fp = fopen(name, "r")) == NULL)
			return dk_fail(e, DK_EX_NOINPUT, "%s: cannot open", name);
		if (strcmp(name, "-") == 0)
			name = "stdin";
		if ((c = dk_body_read(fp, 0, (size_t)max, &body, &len, e)) !=
		    0) {
			free(body);
			if (c == 413)
				return dk_fail(e, DK_EX_DATAERR, "%s: more than "
				    "%lld bytes (intake.max_body): nothing of "
				    "it was stored; send it in smaller parts",
				    name, max);
			return dk_failpre(e, "%s", name);
		}
		if (fp != stdin)
			fclose(fp);
		ib->reject = rejected;
		ib->ctx = (void *)name;
		if (dk_inbox_take(ib, body, len, time(NULL), &out, &olen,
		    e) < 0) {
			free(body);
			return dk_failpre(e, "%s: nothing of it was stored", name);
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
	const char *slot = NULL;
	int c, mode = TAKE, readings = 0, rc = 0;
	int is_cgi = getenv("GATEWAY_INTERFACE") != NULL;
	long long max = 0;
	int64_t t;
	long n;

	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	P.lo = lo;
	while ((c = dk_prog_opt(&P, argc, argv, "s:r")) != -1)
		switch (c) {
		case 's':
			slot = optarg;
			break;
		case 'r':
			readings = 1;
			break;
		default:
			if (mode != TAKE && mode != c)
				dk_prog_usage(&P, DK_EX_USAGE);
			mode = c;
		}
	if ((mode == DUMP) != (slot != NULL) || (readings && mode != DUMP) ||
	    (mode != TAKE && optind != argc))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (P.cfg == NULL)
		P.cfg = getenv("DENKI_CONFIG");
	if (is_cgi && mode == TAKE) {
		if (getenv("REQUEST_METHOD") == NULL ||
		    strcmp(getenv("REQUEST_METHOD"), "POST") != 0)
			return answer(405, NULL, 0, "intake takes POST");
		if (!media_ok(getenv("CONTENT_TYPE")))
			return answer(415, NULL, 0, "Content-Type: must be "
			    "application/x-ndjson or application/jsonl");
	} else if (mode == TAKE)
		dk_prog_need_input(&P, argc, "lines");
	if (dk_prog_coop(&P, &C, DK_COOP_RULES, &e) < 0)
		goto fail;
	if (mode == KEY)
		rc = print_key(&C, &e);
	else if (mode == PUBLISH)
		rc = publish(&C, &e);
	else if (mode == DUMP) {
		if (dk_slot_parse(slot, C.rules.slot_minutes, &t, &e) < 0) {
			dk_failpre(&e, "-s");
			e.status = DK_EX_USAGE;
			goto fail;
		}
		rc = inbox(&ib, &C, NULL, NULL, &e) < 0 ? -1 : dk_inbox_dump(&ib,
		    readings ? "reading" : "order", t, stdout, &n, &e);
	} else if (inbox(&ib, &C, &k, &max, &e) < 0)
		rc = -1;
	else if (is_cgi)
		rc = cgi(&ib, max);
	else
		rc = filter(&ib, argc, argv, max, &e);
	dk_inbox_close(&ib);
	dk_key_free(&k);
	if (rc < 0)
		goto fail;
	dk_coop_free(&C);
	c = dk_finish_stdout(prog);
	return c ? c : rc;
fail:
	if (is_cgi && mode == TAKE)
		return answer(e.status == DK_EX_SOFTWARE ? 500 : 503, NULL, 0,
		    e.msg);
	return dk_prog_fail(&P, &e);
}
