/* denki-submit: a household's orders and readings stored in its outbox,
 * then sent to the cooperative's intake until a signed receipt comes back. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "meter/meter.h"
#include "prog.h"

static const char *prog = "denki-submit";
static const char usage[] =
    "usage: denki-submit [-k] [-c config] [-D key=value] [-u url] "
    "[--cacert file]\n"
    "                    [-E cert] [--key file] [--connect-timeout s] "
    "[-m s] [-x proxy]\n"
    "                    [--retries n] [--spread s] [file ...]\n"
    "       denki-submit --receipts [-c config] [-D key=value]\n";

enum { O_CACERT = 256, O_KEY, O_CONNECT, O_RETRIES, O_SPREAD, O_RECEIPTS };
static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "cacert", required_argument, NULL, O_CACERT },
	{ "cert", required_argument, NULL, 'E' },
	{ "key", required_argument, NULL, O_KEY },
	{ "connect-timeout", required_argument, NULL, O_CONNECT },
	{ "max-time", required_argument, NULL, 'm' },
	{ "proxy", required_argument, NULL, 'x' },
	{ "retries", required_argument, NULL, O_RETRIES },
	{ "spread", required_argument, NULL, O_SPREAD },
	{ "receipts", no_argument, NULL, O_RECEIPTS },
	{ NULL, 0, NULL, 0 }
};

static int skewed;	/* warned of this machine's clock once */

static int
receipt(void *ctx, json_t *r, struct dk_err *e)
{
	const char *s = json_string_value(json_object_get(r, "received"));
	int64_t t, now = (int64_t)time(NULL);
	struct dk_err te = { 0 };

	(void)ctx;
	if (dk_emit(stdout, r) < 0 || fflush(stdout) != 0)
		return dk_fail(e, DK_EX_IOERR, "write error on stdout");
	if (!skewed && dk_time_parse(s, &t, &te) == 0 &&
	    (t - now > 60 || now - t > 60)) {
		skewed = 1;
		dk_warnx(prog, "warning: this machine's clock is %lld s %s the "
		    "intake's (received %s): the receipt's time is the one that "
		    "counts; set this clock right (NTP)", (long long)(t > now ?
		    t - now : now - t), t > now ? "behind" : "ahead of", s);
	}
	return 0;
}

static void
rejected(void *ctx, const char *src, const char *id, const char *why)
{
	(void)ctx;
	dk_warnx(prog, "%s: rejected by the intake: %s (id %.16s...; kept in "
	    "the outbox as rejected)", src, why, id);
}

static void
bad(void *ctx, const char *src, const char *id, const char *why)
{
	(void)ctx;
	dk_warnx(prog, "%s: the intake's answer does not check: %s (id "
	    "%.16s...; kept in the outbox, to send again)", src, why, id);
}

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	dk_warnx(prog, "%s", msg);
}

static long
num(const char *opt, const char *s, long max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || v < 0 || v > max) {
		dk_warnx(prog, "%s %s: must be a whole number from 0 to %ld",
		    opt, s, max);
		exit(DK_EX_USAGE);
	}
	return v;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_outbox *ob = NULL;
	struct dk_sendopt so = { 0 };
	struct dk_outres r = { 0 };
	struct dk_key ik;
	const char *url = NULL, *ikey;
	char *obpath = NULL;
	long spread = 0;
	int c, list = 0, badin = 0, local;

	so.http.connect_timeout = 10;
	so.http.max_time = 60;
	so.retries = 3;
	dk_prog_init(&P, prog, usage, DK_PROG_CONF | DK_PROG_KEEP, argc);
	P.lo = longopts;
	while ((c = dk_prog_opt(&P, argc, argv, "u:E:m:x:")) != -1)
		switch (c) {
		case 'u': url = optarg; break;
		case O_CACERT: so.http.cacert = optarg; break;
		case 'E': so.http.cert = optarg; break;
		case O_KEY: so.http.key = optarg; break;
		case 'x': so.http.proxy = optarg; break;
		case O_CONNECT:
			so.http.connect_timeout = num("--connect-timeout",
			    optarg, 3600);
			break;
		case 'm': so.http.max_time = num("-m", optarg, 86400); break;
		case O_RETRIES: so.retries = num("--retries", optarg, 100); break;
		case O_SPREAD: spread = num("--spread", optarg, 3600); break;
		case O_RECEIPTS: list = 1; break;
		default: dk_prog_usage(&P, DK_EX_USAGE);
		}
	if (list && (optind < argc || url != NULL))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_init(&e) < 0 || dk_prog_conf(&P, &conf, DK_CONF_HOME, &e) < 0)
		goto fail;
	if ((obpath = dk_conf_path(&conf, "submit.outbox",
	    "denki-outbox.db")) == NULL) {
		dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
		goto fail;
	}
	if (list) {
		if ((ob = dk_outbox_open(obpath, &e)) == NULL ||
		    dk_outbox_receipts(ob, dk_stdout_line, NULL, &e) < 0)
			goto fail;
		goto done;
	}
	if (url == NULL && (url = dk_conf_str(&conf, "submit.url", NULL)) ==
	    NULL) {
		dk_warnx(prog, "no intake URL: -u or submit.url");
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if ((local = dk_url_local(url)) < 0) {
		dk_fail(&e, url == dk_conf_str(&conf, "submit.url", NULL) ?
		    DK_EX_CONFIG : DK_EX_USAGE, "%s: must be https:// (plain "
		    "http:// only to 127.0.0.1, localhost or [::1])", url);
		goto fail;
	}
	so.http.https_only = !local;
	if ((ikey = dk_conf_str(&conf, "submit.intake_key", NULL)) == NULL) {
		dk_fail(&e, DK_EX_CONFIG, "submit.intake_key: missing: the "
		    "intake's public key, as the ledger's intake record names "
		    "it (denki intake --key prints it)");
		goto fail;
	}
	if (dk_key_from_b64(&ik, ikey, &e) < 0) {
		dk_failpre(&e, "submit.intake_key");
		e.status = DK_EX_CONFIG;
		goto fail;
	}
	if ((ob = dk_outbox_open(obpath, &e)) == NULL)
		goto fail;
	/* no operand and stdin a terminal: only what is pending is sent */
	if ((optind < argc || !isatty(0)) && (badin = dk_outbox_take(ob,
	    argv + optind, argc - optind, P.keep, warn, NULL, &e)) < 0)
		goto fail;
	if (spread > 0)
		dk_sleep_ms(dk_jitter_ms(spread * 1000));
	so.url = url;
	so.http.content_type = "application/x-ndjson";
	so.http.net_tempfail = 1;
	so.pk = ik.pk;
	so.base_ms = 1000;
	so.cap_ms = 60000;
	so.batch = 500;
	so.cb.receipt = receipt;
	so.cb.rejected = rejected;
	so.cb.bad = bad;
	so.warn = warn;
	if (dk_outbox_send(ob, &so, &r, &e) < 0)
		goto fail;
	if (r.extra)
		dk_warnx(prog, "%s: more answer lines than lines sent; the "
		    "rest ignored", url);
done:
	dk_outbox_close(ob);
	free(obpath);
	dk_conf_free(&conf);
	dk_prog_free(&P);
	c = dk_finish_stdout(prog);
	return c ? c : (!list && (r.rejected > 0 || badin)) ? DK_EX_DATAERR :
	    DK_EX_OK;
fail:
	dk_outbox_close(ob);
	free(obpath);
	return dk_prog_fail(&P, &e);
}
