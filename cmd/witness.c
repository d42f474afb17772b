/* denki-witness: cosigns the checkpoints of logs it knows (C2SP
 * tlog-witness), one request a run: a filter, or a CGI program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-witness";
static const char usage[] =
    "usage: denki-witness -k witness.key -s state.db -p log.vkey ... "
    "[-n name]\n"
    "       denki-witness -P -k witness.key [-n name]\n";

#define BODY_MAX (1 << 20)
#define NAME_DEFAULT "denki.local/witness"

/* The answer: CGI's headers and body; or the filter's stdout (the
 * cosignature, or the size of a 409), stderr and exit status. */
static int
answer(int cgi, int http, const char *body, const char *msg)
{
	if (http != 200)
		dk_warnx(prog, "%s%s", cgi ? "request: " : "", msg);
	if (cgi) {
		printf("Status: %d %s\r\nContent-Type: %s\r\n\r\n%s", http,
		    dk_witness_reason(http), http == 409 ? "text/x.tlog.size" :
		    "text/plain; charset=utf-8", body ? body : "");
		if (http != 200 && http != 409)
			printf("%s\n", msg);
		return dk_finish_stdout(prog);
	}
	if (body != NULL)
		fputs(body, stdout);
	return dk_finish_stdout(prog) ? DK_EX_IOERR : dk_witness_exit(http);
}

/* -P: the witness's verifier key, from its public or secret key file */
static int
print_vkey(const char *keyf, const char *name, struct dk_err *e)
{
	struct dk_key k;
	char vk[512];

	if (dk_key_read_pub(&k, keyf, e) < 0 &&
	    dk_key_read_sec(&k, keyf, e) < 0)
		return -1;
	if (dk_cosig_vkey_make(name, k.pk, vk, sizeof(vk)) < 0) {
		dk_key_free(&k);
		return dk_fail(e, DK_EX_USAGE, "witness name \"%s\": 1 to 255 "
		    "bytes with no space and no '+'", name);
	}
	dk_key_free(&k);
	printf("%s\n", vk);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_witness w = { 0 };
	struct dk_key key = { 0 };
	const char *keyf = NULL, *state = NULL, *name = NAME_DEFAULT;
	const char **logs = calloc(argc + 1, sizeof(*logs));
	char *body = NULL, *out = NULL, hex[65], sz[32];
	size_t len = 0, nlogs = 0, i;
	uint64_t size = 0;
	int c, vkey = 0, cgi = getenv("GATEWAY_INTERFACE") != NULL, route = 1;
	int http;

	dk_prog_init(&P, prog, usage, 0, argc);
	P.many = "p";
	while ((c = dk_prog_opt(&P, argc, argv, "k:s:p:n:P")) != -1)
		switch (c) {
		case 'k':
			keyf = optarg;
			break;
		case 's':
			state = optarg;
			break;
		case 'p':
			logs[nlogs++] = optarg;
			break;
		case 'n':
			name = optarg;
			break;
		case 'P':
			vkey = 1;
			break;
		}
	if (optind != argc || keyf == NULL || (!vkey && (state == NULL ||
	    nlogs == 0)))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_init(&e) < 0)
		goto fail;
	if (vkey) {
		if (print_vkey(keyf, name, &e) < 0)
			goto fail;
		return dk_finish_stdout(prog);
	}
	if (cgi) {
		route = dk_witness_route(getenv("REQUEST_METHOD"),
		    getenv("SCRIPT_NAME"), getenv("PATH_INFO"), hex, &e);
		if (route > 2)
			return answer(cgi, route, NULL, e.msg);
	} else
		dk_prog_need_input(&P, argc, "request");
	if (route == 1 && (http = dk_body_read(stdin, cgi, BODY_MAX, &body,
	    &len, &e)) != 0)
		return cgi ? answer(cgi, http, NULL, e.msg) :
		    dk_prog_fail(&P, &e);
	/* the witness's own trouble: 500 (503 when it may pass) */
	if (dk_key_read_sec(&key, keyf, &e) < 0)
		goto fail;
	for (i = 0; i < nlogs; i++)
		if (dk_witness_logs(&w, logs[i], &e) < 0)
			goto fail;
	if (dk_witness_open(&w, state, name, &key, &e) < 0)
		goto fail;
	if (route == 2)
		http = dk_witness_checkpoint(&w, hex, &out, &e);
	else
		http = dk_witness_add(&w, body, len, (uint64_t)time(NULL),
		    &out, &size, &e);
	dk_witness_close(&w);
	dk_key_free(&key);
	free(body);
	free(logs);
	if (http < 0)
		goto fail;
	if (http == 409)
		snprintf(sz, sizeof(sz), "%llu\n", (unsigned long long)size);
	c = answer(cgi, http, http == 409 ? sz : out, e.msg);
	free(out);
	return c;
fail:
	dk_key_free(&key);
	if (cgi) {
		dk_warnx(prog, "%s", e.msg);
		http = dk_witness_http(e.status);
		printf("Status: %d %s\r\nContent-Type: text/plain; "
		    "charset=utf-8\r\n\r\nthe witness failed; see its log\n",
		    http, dk_witness_reason(http));
		return dk_finish_stdout(prog);
	}
	return dk_prog_fail(&P, &e);
}
