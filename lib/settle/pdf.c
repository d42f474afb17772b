/*
 * pdf.c: denki-statement --pdf: the statement's page printed to PDF by
 * headless Chromium, the program the tests render the page with.
 */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "settle.h"

/* The page printed to PDF by headless Chromium: 69 when there is none. */
static int
pdf(const char *html, const char *out, const char *name, struct dk_err *e)
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
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s printed no PDF "
		    "(status %d)", name, bin, WIFEXITED(st) ? WEXITSTATUS(st) :
		    -1);
	return 0;
}

/* The PDF Chromium made, into out whole (or not at all). */
static int
copy_out(const char *pdfpath, const char *out, struct dk_err *e)
{
	char *buf = NULL;
	size_t n = 0, got;
	FILE *in, *m;
	char chunk[8192];
	int rc;

	if ((in = fopen(pdfpath, "r")) == NULL ||
	    (m = open_memstream(&buf, &n)) == NULL) {
		if (in != NULL)
			fclose(in);
		return dk_fail(e, DK_EX_CANTCREAT, "%s: Chromium printed no "
		    "PDF", out);
	}
	while ((got = fread(chunk, 1, sizeof(chunk), in)) > 0)
		fwrite(chunk, 1, got, m);
	fclose(in);
	fclose(m);
	if (n < 5 || memcmp(buf, "%PDF-", 5) != 0)
		rc = dk_fail(e, DK_EX_CANTCREAT, "%s: Chromium printed no "
		    "PDF", out);
	else
		rc = dk_file_write(out, buf, n, 0644, DK_FILE_FORCE, e);
	free(buf);
	return rc;
}

/*
 * The statement's page (dk_stmt_html) printed to out as PDF by headless
 * Chromium, from a temporary folder; DK_EX_UNAVAILABLE when there is no
 * Chromium on PATH.  out is written whole or not at all.
 */
int
dk_stmt_pdf(const struct dk_stmt *s, const char *out, struct dk_err *e)
{
	const char *t = getenv("TMPDIR");
	char dir[4096], html[4200], tmp[4200];
	FILE *fp;
	int rc;

	snprintf(dir, sizeof(dir), "%s/denki-statement-XXXXXX", t && *t ?
	    t : "/tmp");
	if (mkdtemp(dir) == NULL)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", dir,
		    strerror(errno));
	snprintf(html, sizeof(html), "%s/statement.html", dir);
	snprintf(tmp, sizeof(tmp), "%s/statement.pdf", dir);
	if ((fp = fopen(html, "w")) == NULL)
		rc = dk_fail(e, DK_EX_CANTCREAT, "%s: %s", html,
		    strerror(errno));
	else if (dk_stmt_html(fp, s) < 0 || fclose(fp) != 0)
		rc = dk_fail(e, DK_EX_IOERR, "%s: %s", html, strerror(errno));
	else if ((rc = pdf(html, tmp, out, e)) == 0)
		rc = copy_out(tmp, out, e);
	unlink(html);
	unlink(tmp);
	rmdir(dir);
	return rc;
}

