/* denki-simulate: a season of a community through the real programs,
 * from a scenario; two scenarios side by side. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "denki.h"
#include "prog.h"

static const char *prog = "denki-simulate";
static const char usage[] =
    "usage: denki-simulate [-q] [-b days] [-f json|text] [-j jobs] [-d dir]\n"
    "           [-o page.html] scenario.yaml [other.yaml]\n";

struct show {
	const char *name;
	int on;
};

static void
progress(void *ctx, int day, int days, const char *what)
{
	struct show *s = ctx;

	if (s->on && day < 0)
		fprintf(stderr, "\r%s: %s: the community: %-8s", prog, s->name,
		    what);
	else if (s->on)
		fprintf(stderr, "\r%s: %s: day %d of %d: %-8s", prog, s->name,
		    day + 1, days, what);
}

int
main(int argc, char *argv[])
{
	struct dk_prog P;
	struct dk_err e = { 0 };
	struct dk_scen sc[2];
	struct dk_sim S[2];
	struct dk_sim_kpi k[2];
	struct dk_report r[2];
	struct show sh;
	const char *fmt = "json", *dir = ".", *page = NULL;
	char path[2][4096], pp[4096], *end;
	int c, quiet = 0, n, i, nsc = 0, rc = 0;
	long jobs = sysconf(_SC_NPROCESSORS_ONLN), step = 1;
	FILE *fp;
	json_t *j;

	memset(sc, 0, sizeof(sc));
	memset(S, 0, sizeof(S));
	memset(r, 0, sizeof(r));
	dk_jalloc_on();		/* before the first JSON value */
	dk_prog_init(&P, prog, usage, 0, argc);
	while ((c = dk_prog_opt(&P, argc, argv, "qb:f:j:d:o:")) != -1)
		switch (c) {
		case 'q':
			quiet = 1;
			break;
		case 'f':
			fmt = optarg;
			if (strcmp(fmt, "json") != 0 && strcmp(fmt, "text") != 0) {
				dk_warnx(prog, "-f %s: must be json or text",
				    optarg);
				dk_prog_usage(&P, DK_EX_USAGE);
			}
			break;
		case 'j':
			jobs = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || jobs < 1 ||
			    jobs > 256) {
				dk_warnx(prog, "-j %s: must be 1 to 256",
				    optarg);
				dk_prog_usage(&P, DK_EX_USAGE);
			}
			break;
		case 'b':
			step = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || step < 1 ||
			    step > 3660) {
				dk_warnx(prog, "-b %s: must be 1 to 3660 days",
				    optarg);
				dk_prog_usage(&P, DK_EX_USAGE);
			}
			break;
		case 'd':
			dir = optarg;
			break;
		case 'o':
			page = optarg;
			break;
		}
	n = argc - optind;
	if (n < 1 || n > 2)
		dk_prog_usage(&P, DK_EX_USAGE);
	if (dk_init(&e) < 0)
		goto fail;
	/* every scenario checked before anything runs */
	for (i = 0; i < n; i++, nsc++)
		if (dk_scen_load(&sc[i], argv[optind + i], &e) < 0)
			goto fail;
	if (n == 2 && strcmp(sc[0].name, sc[1].name) == 0) {
		dk_warnx(prog, "%s and %s: the same name, %s: each run's folder "
		    "is named by its scenario", argv[optind],
		    argv[optind + 1], sc[0].name);
		rc = DK_EX_USAGE;
		goto out;
	}
	sh.on = !quiet && isatty(2);
	for (i = 0; i < n; i++) {
		snprintf(path[i], sizeof(path[i]), "%s/%s", dir, sc[i].name);
		memset(&S[i], 0, sizeof(S[i]));
		S[i].sc = &sc[i];
		S[i].dir = path[i];
		S[i].jobs = (int)jobs;
		S[i].step = (int)step;
		S[i].progress = progress;
		S[i].ctx = &sh;
		sh.name = sc[i].name;
		rc = dk_sim_run(&S[i], &e);
		if (sh.on)
			fputc('\n', stderr);
		if (rc < 0 || dk_sim_kpi(&k[i], &S[i], &r[i], &e) < 0)
			goto fail;
	}
	for (i = 0; i < n; i++) {
		if (strcmp(fmt, "json") == 0) {
			if ((j = dk_sim_kpi_json(&k[i])) == NULL) {
				dk_fail(&e, DK_EX_SOFTWARE, "out of memory");
				goto fail;
			}
			dk_emit(stdout, j);
			json_decref(j);
		}
	}
	if (strcmp(fmt, "text") == 0)
		dk_sim_text(stdout, k, (size_t)n);
	if (page == NULL) {
		snprintf(pp, sizeof(pp), "%s/%s%s%s.html", dir, sc[0].name,
		    n == 2 ? "-" : "", n == 2 ? sc[1].name : "");
		page = pp;
	}
	if ((fp = fopen(page, "w")) == NULL || dk_sim_html(fp, k, r,
	    (size_t)n) < 0 || fclose(fp) != 0) {
		dk_fail(&e, DK_EX_CANTCREAT, "%s: cannot write the page", page);
		goto fail;
	}
	if (!quiet)
		dk_warnx(prog, "the page: %s; the runs: %s%s%s", page, path[0],
		    n == 2 ? " and " : "", n == 2 ? path[1] : "");
	goto out;
fail:
	rc = dk_prog_fail(&P, &e);
out:
	for (i = 0; i < 2; i++) {
		dk_report_free(&r[i]);
		dk_sim_free(&S[i]);
	}
	for (i = 0; i < nsc; i++)
		dk_scen_free(&sc[i]);
	dk_prog_free(&P);
	c = dk_finish_stdout(prog);
	return rc ? rc : c;
}
