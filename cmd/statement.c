/* denki-statement: a member's or the community's statement for a period. */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-statement";
static const char usage[] =
    "usage: denki-statement -P period (-m member | --community)\n"
    "           [-f text|csv|json|html] [--pdf file] [-p operator.pub]\n"
    "           [-c config] [-D key=value] [ledger]\n";

/* --pdf FILE and --community as -O FILE and -C, for getopt */
static void
longopts(int argc, char *argv[])
{
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--pdf") == 0)
			argv[i] = "-O";
		else if (strcmp(argv[i], "--community") == 0)
			argv[i] = "-C";
}

/* The page printed to PDF by headless Chromium: 69 when there is none. */
static int
pdf(const char *html, const char *out, struct dk_err *e)
{
	static const char *const names[] = { "chromium", "chromium-browser",
		"google-chrome" };
	char *arg = NULL, *url = NULL, *path = getenv("PATH"), *p, *dir;
	const char *bin = NULL;
	char cand[4096];
	size_t i;
	pid_t pid;
	int st, null;

	for (i = 0; bin == NULL && i < sizeof(names) / sizeof(names[0]); i++) {
		char *copy = strdup(path ? path : "/usr/bin:/bin");

		for (p = copy; copy && (dir = strsep(&p, ":")) != NULL;) {
			snprintf(cand, sizeof(cand), "%s/%s", *dir ? dir : ".",
			    names[i]);
			if (access(cand, X_OK) == 0) {
				bin = names[i];
				break;
			}
		}
		free(copy);
	}
	if (bin == NULL)
		return dk_fail(e, DK_EX_UNAVAILABLE, "--pdf: no chromium on "
		    "PATH (apt-get install chromium); -f html writes the page "
		    "to print");
	if (asprintf(&arg, "--print-to-pdf=%s", out) < 0 ||
	    asprintf(&url, "file://%s", html) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if ((pid = fork()) == 0) {
		if ((null = open("/dev/null", O_WRONLY)) >= 0) {
			dup2(null, 1);
			dup2(null, 2);
		}
		/* root has no sandbox; a page with no script needs none */
		execlp(bin, bin, "--headless", "--no-sandbox", "--disable-gpu",
		    "--no-pdf-header-footer", arg, url, (char *)NULL);
		_exit(127);
	}
	free(arg);
	free(url);
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "%s: %s", bin, strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || access(out, R_OK) < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s printed no PDF "
		    "(status %d)", out, bin, WIFEXITED(st) ? WEXITSTATUS(st) :
		    -1);
	return 0;
}

/* -f html into a temporary file, printed to out. */
static int
to_pdf(const struct dk_stmt *s, const char *out, struct dk_err *e)
{
	char tmpl[] = "/tmp/denki-statement-XXXXXX.html";
	FILE *fp;
	int fd, rc;

	if ((fd = mkstemps(tmpl, 5)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", tmpl,
		    strerror(errno));
	if (dk_stmt_html(fp, s) < 0 || fclose(fp) != 0) {
		unlink(tmpl);
		return dk_fail(e, DK_EX_IOERR, "%s: %s", tmpl, strerror(errno));
	}
	unlink(out);
	rc = pdf(tmpl, out, e);
	unlink(tmpl);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_conf conf;
	struct dk_key op;
	struct dk_report r;
	struct dk_stmt s = { 0 };
	const char *pub = NULL, *fmt = "text", *out = NULL, *period = NULL;
	char from[11], to[11], *cpath = NULL, *cpub = NULL;
	int c, community = 0, rc;

	longopts(argc, argv);
	dk_prog_init(&P, prog, usage, DK_PROG_CONF, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "Cf:m:O:p:P:")) != -1)
		switch (c) {
		case 'C':
			community = 1;
			break;
		case 'f':
			fmt = optarg;
			break;
		case 'm':
			s.id = optarg;
			break;
		case 'O':
			out = optarg;
			break;
		case 'p':
			pub = optarg;
			break;
		case 'P':
			period = optarg;
			break;
		}
	if (argc - optind > 1 || period == NULL || (s.id == NULL) ==
	    !community || (strcmp(fmt, "text") && strcmp(fmt, "csv") &&
	    strcmp(fmt, "json") && strcmp(fmt, "html")))
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_stmt_period(period, from, to, &e) < 0) {
		dk_prog_fail(&P, &e);
		dk_prog_usage(&P, DK_EX_USAGE);
	}
	if (dk_init(&e) < 0 || dk_prog_conf(&P, &conf, DK_CONF_COOP, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (dk_conf_int(&conf, "emission_factor", -1, -1, 10000, &s.ef,
	    &e) < 0)
		return dk_prog_fail(&P, &e);
	cpath = dk_conf_path(&conf, "ledger", "ledger.jsonl");
	if (pub == NULL && dk_conf_str(&conf, "operator.pub", NULL) != NULL)
		pub = cpub = dk_conf_path(&conf, "operator.pub", NULL);
	s.ledger = optind < argc ? argv[optind] : cpath;
	if ((pub != NULL && dk_key_read_pub(&op, pub, &e) < 0) ||
	    dk_report_period(&r, s.ledger, pub ? op.pk : NULL, from, to,
	    DK_REPORT_DETAIL, &e) < 0)
		return dk_prog_fail(&P, &e);
	if (s.id != NULL && json_object_get(r.known, s.id) == NULL) {
		dk_warnx(prog, "%s: no participant %s in the ledger", s.ledger,
		    s.id);
		return DK_EX_DATAERR;
	}
	s.r = &r;
	s.m = s.id ? dk_report_member(&r, s.id) : NULL;
	s.period = period;
	s.checked = pub != NULL;
	if (out != NULL)
		rc = to_pdf(&s, out, &e);
	else if (strcmp(fmt, "csv") == 0)
		rc = dk_stmt_csv(stdout, &s);
	else if (strcmp(fmt, "json") == 0)
		rc = dk_stmt_json(stdout, &s);
	else if (strcmp(fmt, "html") == 0)
		rc = dk_stmt_html(stdout, &s);
	else
		rc = dk_stmt_text(stdout, &s);
	free(cpath);
	free(cpub);
	dk_report_free(&r);
	dk_conf_free(&conf);
	if (rc < 0 && out != NULL)
		return dk_prog_fail(&P, &e);
	return dk_finish_stdout(prog);
}
