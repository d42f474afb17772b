/*
 * simrun.c: denki-simulate's run: the community made in a folder by the
 * real programs (keygen, meter-read -P, registry), then day by day each
 * home's bid (a battery following its plan, its meter read after),
 * clear, contract-sign and settle, into one ledger.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "settle.h"

/* Cooperative settings the run sets itself; a scenario's rules.* the
 * rest (scenario.c refuses these). */
static const char *const made[] = { "ledger", "operator.", "intake.",
	"witness.", "members.store", "recovery_key", "terms", NULL };

struct home {
	int64_t *off;		/* its readings file's offset of each day */
	int64_t *ooff;		/* no battery: its orders' of each day */
	/* with a battery (simbat.c): */
	int64_t *boff;		/* its battery's readings' offset of each day */
	struct dk_sim_series s;	/* its own data, day -1 on (the meter's
				 * once the day is done) */
	struct dk_batt b;
	int64_t soc;		/* stored now, Wh (DC) */
};

struct run;

/* fn starts home i's program for days days from day (its name in *prog,
 * its log in log): its process, 0 when it starts none, -1 (e says why)
 * when it cannot. */
typedef pid_t (*homefn)(struct run *, size_t i, int day, int days,
    const char **prog, char *log, struct dk_err *);

/* A program for each home, at most S->jobs of them at once. */
struct pool {
	homefn fn;		/* NULL: none under way */
	int day, days;
	int low;		/* started at the lowest priority */
	size_t next;		/* the next home to start it for */
	size_t running;
	int failed;		/* one failed (err says how): none started
				 * since */
	struct dk_err err;
	struct job {		/* S->jobs of them */
		pid_t pid;	/* its process, or 0 */
		size_t home;	/* the home it runs for */
		const char *prog;
		char log[PATH_MAX];
	} *j;
};

struct run {
	struct dk_sim *S;
	const struct dk_scen *sc;
	char bindir[PATH_MAX];
	char dir[3072];		/* S->dir, absolute: the programs run in it */
	struct home *h;
	int ndays;		/* the days of this step, from the day given */
	size_t nbatt;		/* homes with a battery */
	int reads;		/* a home's bid reads a ledger (bid.ledger):
				 * its orders wait for the step before */
	struct pool fg;		/* the homes' programs the run waits for */
	struct pool bg;		/* the next step's bids, made while the
				 * cooperative's programs run (ahead()) */
	atomic_int tended;	/* tend() is to stop */
};

/* Milliseconds of the monotonic clock. */
static int64_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
skipped(const char *k)
{
	int j;
	size_t n;

	for (j = 0; made[j] != NULL; j++) {
		n = strlen(made[j]);
		if (strncmp(k, made[j], n) == 0 && (made[j][n - 1] == '.' ||
		    k[n] == '\0'))
			return 1;
	}
	return 0;
}

/* key: "value", as YAML reads it back; a list as [a, b]. */
static void
yput(FILE *fp, const char *k, const char *v, int list)
{
	const char *p;

	fprintf(fp, "%s: %s\"", k, list ? "[" : "");
	for (p = v; *p != '\0'; p++) {
		if (list && *p == ',')
			fputs("\", \"", fp);
		else if (*p == '"' || *p == '\\')
			fprintf(fp, "\\%c", *p);
		else
			fputc(*p, fp);
	}
	fprintf(fp, "\"%s\n", list ? "]" : "");
}


static int
put_path(FILE *fp, const struct dk_conf *c, const char *k)
{
	char *v = dk_conf_path(c, k, NULL), p[PATH_MAX];

	if (v == NULL)
		return 0;
	yput(fp, k, v[0] != '/' && realpath(v, p) != NULL ? p : v, 0);
	free(v);
	return 0;
}

/* The community's coop.yaml with the scenario's rules, and the settings
 * the run makes: its ledger, operator key, the terms where they are. */
static int
write_coop(struct run *R, struct dk_conf *out, struct dk_err *e)
{
	const struct dk_scen *sc = R->sc;
	const struct dk_confkey *k;
	struct dk_conf c;
	char p[PATH_MAX], rk[300];
	size_t i;
	FILE *fp;
	int rc = 0;

	snprintf(p, sizeof(p), "%s/coop.yaml", sc->community);
	if (dk_conf_open(&c, p, DK_CONF_COOP, NULL, 0, e) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/coop.yaml", R->dir);
	if ((fp = fopen(p, "w")) == NULL) {
		dk_conf_free(&c);
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	}
	fprintf(fp, "# made by denki-simulate from %s/coop.yaml and %s\n"
	    "ledger: ledger.jsonl\noperator.key: operator.key\n"
	    "operator.pub: operator.pub\n", sc->community, sc->c.path);
	put_path(fp, &c, "terms");
	for (i = 0; i < c.n; i++) {
		snprintf(rk, sizeof(rk), "rules.%s", c.key[i]);
		if (skipped(c.key[i]) || dk_conf_str(&sc->c, rk, NULL) != NULL)
			continue;
		if ((k = dk_conf_find(c.key[i]))->type == DK_CONF_PATH)
			put_path(fp, &c, c.key[i]);
		else
			yput(fp, c.key[i], c.val[i], k->type == DK_CONF_LIST);
	}
	for (i = 0; i < sc->c.n; i++)
		if (strncmp(sc->c.key[i], "rules.", 6) == 0)
			yput(fp, sc->c.key[i] + 6, sc->c.val[i],
			    dk_conf_find(sc->c.key[i] + 6)->type ==
			    DK_CONF_LIST);
	if (fclose(fp) != 0)
		rc = dk_fail(e, DK_EX_IOERR, "%s: write error", p);
	dk_conf_free(&c);
	if (rc == 0 && dk_conf_open(out, p, DK_CONF_COOP, NULL, 0, e) < 0)
		return -1;
	return rc;
}

/* A home's file: its id, key, meter and state in the run's folder, the
 * cooperative's rules, the community's home's bid settings, the
 * scenario's strategy. */
static int
write_home(struct run *R, const struct dk_conf *coop,
    const struct dk_conf *src, const struct dk_scen_home *h,
    struct dk_err *e)
{
	static const char *const rules[] = { "currency", "tz",
		"slot_minutes", "prices.retail", "prices.buyback",
		"prices.fee", NULL };
	const char *id = h->id, *v;
	char p[PATH_MAX];
	size_t i;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/homes/%s.yaml", R->dir, id);
	if ((fp = fopen(p, "w")) == NULL)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	fprintf(fp, "participant: %s\nkey: %s.key\nmeters: [%s-m]\n"
	    "state: %s.db\nstate_sync: off\nmeter.driver: csv\n"
	    "meter.id: %s-m\nmeter.key: %s-m.key\n", id, id, id, id, id, id);
	for (i = 0; rules[i] != NULL; i++)
		if ((v = dk_conf_str(coop, rules[i], NULL)) != NULL)
			yput(fp, rules[i], v, 0);
	for (i = 0; i < src->n; i++)
		if (strncmp(src->key[i], "bid.", 4) == 0 &&
		    (R->sc->strategy == NULL || (strcmp(src->key[i],
		    "bid.strategy") != 0 && strcmp(src->key[i],
		    "bid.ledger") != 0))) {
			yput(fp, src->key[i], src->val[i], 0);
			if (strcmp(src->key[i], "bid.ledger") == 0)
				R->reads = 1;
		}
	/* a strategy, and the run's ledger to learn what happened from
	 * (bid.ledger, of the strategies' bid) */
	if (R->sc->strategy != NULL) {
		fprintf(fp, "bid.strategy: %s\nbid.ledger: ../ledger.jsonl\n",
		    R->sc->strategy);
		R->reads = 1;
	}
	/* a battery: bid plans it, the day's readings follow the plan */
	if (h->bat_wh > 0)
		dk_sim_batt_conf(fp, h, R->S->spd);
	if (fclose(fp) != 0)
		return dk_fail(e, DK_EX_IOERR, "%s: write error", p);
	return 0;
}

/* Which of a spawn's files (its folder, stdin, stdout, log) cannot be
 * opened, e naming it as a forked child's exit would (66, 73): 0 when
 * none, the failure the program's own. */
static int
spawn_files(const char *dir, const char *in, int infd, const char *out,
    const char *log, struct dk_err *e)
{
	const char *f[3] = { in ? in : "/dev/null", out ? out : "/dev/null",
	    log };
	int fl[3] = { O_RDONLY, O_WRONLY | O_CREAT, O_WRONLY | O_CREAT |
	    O_APPEND }, d, fd, i, rc = 0;

	if ((d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", dir,
		    strerror(errno));
	for (i = in == NULL && infd >= 0; i < 3 && rc == 0; i++) {
		if ((fd = openat(d, f[i], fl[i] | O_CLOEXEC, 0644)) >= 0)
			close(fd);
		else	/* a path of its own named as it is */
			rc = dk_fail(e, i ? DK_EX_CANTCREAT : DK_EX_NOINPUT,
			    "%s%s%s: %s", *f[i] == '/' ? "" : dir,
			    *f[i] == '/' ? "" : "/", f[i], strerror(errno));
	}
	close(d);
	return rc;
}

/*
 * A program of the run, denki-NAME beside the caller (as denki(1) finds
 * it) or on PATH, in folder dir: stdin from the file in (or fd infd when
 * in is NULL and infd >= 0, or /dev/null), stdout to out (or
 * /dev/null), stderr added to log.  Spawned, not forked: the run's
 * memory is not copied for each of its thousands of programs.
 */
static pid_t
start(struct run *R, const char *dir, char *const argv[], const char *in,
    int infd, const char *out, const char *log, struct dk_err *e)
{
	extern char **environ;
	char path[PATH_MAX + 64];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t dfl;
	pid_t pid;
	int rc, bad = 0;

	fflush(NULL);
	/* out made anew, not truncated: ext4 writes out a file that was
	 * truncated and written at its close (a disk write each bid) */
	if (out != NULL && *out == '/')
		(void)unlink(out);
	else if (out != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, out);
		(void)unlink(path);
	}
	snprintf(path, sizeof(path), "%s/%s", R->bindir, argv[0]);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	if (posix_spawnattr_init(&at) != 0 ||
	    posix_spawn_file_actions_init(&fa) != 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	if (in == NULL && infd >= 0)
		posix_spawn_file_actions_adddup2(&fa, infd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null",
		    O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
	    O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT |
	    O_APPEND, 0644);
	if ((rc = posix_spawn(&pid, path, &fa, &at, argv, environ)) != 0 &&
	    (bad = spawn_files(dir, in, infd, out, log, e)) == 0 &&
	    rc == ENOENT)
		rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0 && bad)
		return -1;
	if (rc != 0 && rc != ENOENT)	/* beside denki-simulate, not run */
		return dk_fail(e, DK_EX_UNAVAILABLE, "%s: %s: cannot start "
		    "it: %s", R->sc->name, path, strerror(rc));
	if (rc != 0)
		return dk_fail(e, DK_EX_UNAVAILABLE, "%s: %s: cannot start "
		    "it: %s (not beside denki-simulate in %s, nor on PATH)",
		    R->sc->name, argv[0], strerror(rc), R->bindir);
	return pid;
}

/* Its exit status: 0, or e names the program, the status and its log. */
static int
status(int st, const char *who, const char *prog, const char *log,
    struct dk_err *e)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	return dk_fail(e, WIFEXITED(st) ? WEXITSTATUS(st) : DK_EX_SOFTWARE,
	    "%s%s%s %s %d (its messages: %s)", who, *who ? ": " : "", prog,
	    WIFEXITED(st) ? "exited" : "was killed by signal",
	    WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), log);
}

static int pool_reap(struct run *, struct pool *, pid_t, int);
static void pool_fill(struct run *, struct pool *);

/* The next of the run's programs to end (its status in *st), whichever
 * it is: -1 (errno says why) when none is left, or waitpid fails. */
static pid_t
wait_any(int *st)
{
	pid_t pid;

	while ((pid = waitpid(-1, st, 0)) < 0 && errno == EINTR)
		;
	return pid;
}

/* One program, run to its end; the next step's bids started meanwhile as
 * others of them end. */
static int
run1(struct run *R, char *const argv[], const char *out, const char *log,
    struct dk_err *e)
{
	pid_t pid = start(R, R->dir, argv, NULL, -1, out, log, e), got;
	int st;

	if (pid < 0)
		return -1;
	for (;;) {
		if ((got = wait_any(&st)) < 0)
			return dk_fail(e, DK_EX_SOFTWARE, "waitpid: %s",
			    strerror(errno));
		if (got == pid)
			return status(st, R->sc->name, argv[0], log, e);
		if (pool_reap(R, &R->bg, got, st))
			pool_fill(R, &R->bg);
	}
}

/* p ready to run fn for every home, for days days from day (at the
 * lowest priority when low): 0, or -1 when memory is short. */
static int
pool_begin(struct run *R, struct pool *p, homefn fn, int day, int days,
    int low, struct dk_err *e)
{
	memset(p, 0, sizeof(*p));
	if ((p->j = calloc((size_t)R->S->jobs, sizeof(*p->j))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	p->fn = fn;
	p->day = day;
	p->days = days;
	p->low = low;
	return 0;
}

/* Its programs started, as many as may run; one that cannot start fails
 * p. */
static void
pool_fill(struct run *R, struct pool *p)
{
	int j, jobs = R->S->jobs;
	pid_t pid;

	for (j = 0; j < jobs && p->fn != NULL && !p->failed &&
	    p->next < R->sc->nh; j++) {
		if (p->j[j].pid != 0)
			continue;
		if ((pid = p->fn(R, p->next, p->day, p->days, &p->j[j].prog,
		    p->j[j].log, &p->err)) < 0) {
			p->failed = 1;
			break;
		}
		if (pid == 0) {
			p->next++;
			j--;
			continue;
		}
		/* behind the cooperative's programs: SCHED_IDLE, which
		 * yields a processor to any other process that wants it
		 * (set once it runs: glibc's posix_spawn takes no such
		 * policy; and after pid 0 is ruled out, which would be
		 * the run itself) */
		if (p->low) {
			struct sched_param sp = { 0 };
			(void)sched_setscheduler(pid, SCHED_IDLE, &sp);
		}
		p->j[j].pid = pid;
		p->j[j].home = p->next++;
		p->running++;
	}
}

/* Whether pid (ended with status st) was one of p's; the first that
 * failed fails p. */
static int
pool_reap(struct run *R, struct pool *p, pid_t pid, int st)
{
	int j, jobs = R->S->jobs;

	if (p->fn == NULL)
		return 0;
	for (j = 0; j < jobs && p->j[j].pid != pid; j++)
		;
	if (j == jobs)
		return 0;
	p->j[j].pid = 0;
	p->running--;
	if (!p->failed && status(st, R->sc->h[p->j[j].home].id, p->j[j].prog,
	    p->j[j].log, &p->err) < 0)
		p->failed = 1;
	return 1;
}

/* p's programs to their end (none started when stop), p then empty: 0,
 * or -1 when one failed (e says how: the first). */
static int
pool_end(struct run *R, struct pool *p, int stop, struct dk_err *e)
{
	struct sched_param sp = { 0 };
	pid_t pid;
	int st, rc, j;

	if (stop)
		p->failed = 1;
	/* those still at the idle priority back at the usual one, where
	 * the run may (it needs CAP_SYS_NICE, or an RLIMIT_NICE of 20) */
	for (j = 0; p == &R->bg && j < R->S->jobs; j++)
		if (p->j[j].pid != 0)
			(void)sched_setscheduler(p->j[j].pid, SCHED_OTHER, &sp);
	p->low = 0;
	for (pool_fill(R, p); p->running > 0; pool_fill(R, p)) {
		if ((pid = wait_any(&st)) < 0) {
			/* no child left to wait for */
			if (!p->failed)
				dk_fail(&p->err, DK_EX_SOFTWARE, "waitpid: %s",
				    strerror(errno));
			p->failed = 1;
			p->running = 0;
			break;
		}
		if (!pool_reap(R, p, pid, st) && p != &R->bg)
			(void)pool_reap(R, &R->bg, pid, st);
	}
	rc = p->failed && !stop ? -1 : 0;
	if (rc < 0 && e != NULL)
		*e = p->err;
	free(p->j);
	memset(p, 0, sizeof(*p));
	return rc;
}

/* fn for each home (one it starts nothing for: 0), at most S->jobs at
 * once; the first failure stops the rest. */
static int
each_home(struct run *R, homefn fn, int day, struct dk_err *e)
{
	if (pool_begin(R, &R->fg, fn, day, R->ndays, 0, e) < 0)
		return -1;
	return pool_end(R, &R->fg, 0, e);
}

static char *
hpath(struct run *R, char *buf, const char *id, const char *suffix)
{
	snprintf(buf, PATH_MAX, "%s/homes/%s%s", R->dir, id, suffix);
	return buf;
}

/*
 * The home's key (step 0), its meter's device key (1), its signed
 * request (2), as the home makes them on its own machine: each a
 * program spawned, no shell between (each_home runs a step for every
 * home, the next step once all are done).
 */
static pid_t
enrol(struct run *R, size_t i, int step, int days, const char **prog,
    char *log, struct dk_err *e)
{
	const char *id = R->sc->h[i].id;
	char y[PATH_MAX], k[PATH_MAX], m[PATH_MAX], mk[PATH_MAX];
	char out[PATH_MAX], dir[PATH_MAX];
	char *kg[] = { "denki-keygen", (char *)id, NULL };
	char *mr[] = { "denki-meter-read", "-c", y, "-P", NULL };
	char *rq[] = { "denki-registry", "request", (char *)id, "-s", k,
	    "-m", m, "-M", mk, "-r", "prosumer", NULL };
	char *const *argv = step == 0 ? kg : step == 1 ? mr : rq;

	(void)days;
	*prog = argv[0];
	snprintf(log, PATH_MAX, "%s/setup.log", R->dir);
	snprintf(y, sizeof(y), "%s.yaml", id);
	snprintf(k, sizeof(k), "%s.key", id);
	snprintf(m, sizeof(m), "%s-m", id);
	snprintf(mk, sizeof(mk), "%s-m=%s-m.pub", id, id);
	snprintf(out, sizeof(out), "%s.enrol.json", id);
	snprintf(dir, sizeof(dir), "%s/homes", R->dir);
	return start(R, dir, argv, NULL, -1, step == 2 ? out : NULL, log, e);
}

/* The home's meter-read of its data in file homes/ID<in> into
 * homes/ID<out>. */
static pid_t
meter_read(struct run *R, size_t i, const char *in, const char *out,
    const char **prog, char *log, struct dk_err *e)
{
	const char *id = R->sc->h[i].id;
	char o[PATH_MAX], csv[PATH_MAX], y[PATH_MAX];
	char *argv[] = { "denki-meter-read", "-c", y, csv, NULL };

	*prog = argv[0];
	snprintf(log, PATH_MAX, "%s/meter-read.log", R->dir);
	hpath(R, y, id, ".yaml");
	hpath(R, csv, id, in);
	hpath(R, o, id, out);
	return start(R, R->dir, argv, NULL, -1, o, log, e);
}

/* The home's meter, read from its data over the whole period (with a
 * battery: the history day's, which the meter saw). */
static pid_t
meter(struct run *R, size_t i, int day, int days, const char **prog,
    char *log, struct dk_err *e)
{
	(void)day;
	(void)days;
	return meter_read(R, i, R->sc->h[i].bat_wh > 0 ? ".meter.csv" :
	    ".csv", ".readings.jsonl", prog, log, e);
}

/* A home with a battery: its meter read on the day's data (.day.csv, the
 * battery having followed the plan); none for the others. */
static pid_t
meter_day(struct run *R, size_t i, int day, int days, const char **prog,
    char *log, struct dk_err *e)
{
	(void)day;
	(void)days;
	if (R->sc->h[i].bat_wh == 0)
		return 0;
	return meter_read(R, i, ".day.csv", ".day.jsonl", prog, log, e);
}

/*
 * Bytes [a, b) of the file at path into fd (a pipe, or a file when
 * file: copied by the kernel, copy_file_range(2), where it can, not
 * through the run's memory); the file closed, fd left to the caller.
 */
static int
copy_range(const char *path, int64_t a, int64_t b, int fd, int file)
{
	char buf[65536];
	ssize_t n = -1, w;
	loff_t off = a;
	int in = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (in < 0)
		return -1;
	while (file && off < b && (n = copy_file_range(in, &off, fd, NULL,
	    (size_t)(b - off), 0)) != 0)
		if (n < 0 && errno != EINTR) {
			/* another file system, or none it copies on:
			 * the bytes read and written */
			if (errno != EXDEV && errno != EINVAL &&
			    errno != ENOSYS && errno != EOPNOTSUPP)
				rc = -1;
			break;
		}
	if (off < b && rc == 0 && file && n == 0)
		rc = -1;	/* the file shorter than its index */
	for (a = off; rc == 0 && a < b; a += n) {
		n = pread(in, buf, b - a < (int64_t)sizeof(buf) ? (size_t)(b -
		    a) : sizeof(buf), a);
		if (n <= 0) {
			rc = -1;
			break;
		}
		for (w = 0; w < n; ) {
			ssize_t k = write(fd, buf + w, (size_t)(n - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0) {
				rc = -1;
				break;
			}
			w += k;
		}
	}
	close(in);
	return rc;
}

/* The file at path, made anew (add: added to, at its end) to take
 * copy_range's bytes: its descriptor, or -1. */
static int
open_out(const char *path, int add)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (add ? 0 :
	    O_TRUNC), 0666);

	/* at its end, not O_APPEND, which copy_file_range refuses */
	if (fd >= 0 && add && lseek(fd, 0, SEEK_END) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The home's orders of days days from day, from the readings of the day
 * before each: one run of bid (-r days when more than one), as many runs a
 * day apart would make them (denki-bid(1)), whatever its forecast takes
 * from the newest readings. */
static pid_t
bid_days(struct run *R, size_t i, int day, int days, const char **prog,
    char *log, struct dk_err *e)
{
	const char *id = R->sc->h[i].id;
	const int64_t *off = R->h[i].off;
	char y[PATH_MAX], out[PATH_MAX], rd[PATH_MAX], first[40], n[16];
	char r[16];
	char *argv[] = { "denki-bid", "-c", y, "-s", first, "-N", n,
	    days > 1 ? "-r" : NULL, r, NULL };
	int p[2];
	pid_t pid;

	*prog = argv[0];
	snprintf(log, PATH_MAX, "%s/bid.log", R->dir);
	hpath(R, y, id, ".yaml");
	hpath(R, out, id, ".orders.jsonl");
	hpath(R, rd, id, ".readings.jsonl");
	dk_time_format(R->S->tstart + (int64_t)day * 86400, R->S->rules.tz,
	    first, sizeof(first));
	snprintf(n, sizeof(n), "%d", R->S->spd);
	snprintf(r, sizeof(r), "%d", days);
	if (pipe2(p, O_CLOEXEC) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "pipe: %s", strerror(errno));
	/* the days' readings in a few writes, if the pipe can grow */
	if (days > 1)
		(void)fcntl(p[1], F_SETPIPE_SZ, 1 << 20);
	pid = start(R, R->dir, argv, NULL, p[0], out, log, e);
	close(p[0]);
	/* a bid that fails to read it says so in its exit status; a
	 * battery's readings after the grid's */
	if (pid > 0)
		(void)copy_range(rd, off[day], off[day + days], p[1], 0);
	if (pid > 0 && R->h[i].boff != NULL)
		(void)copy_range(hpath(R, rd, id, ".battery.jsonl"),
		    R->h[i].boff[day], R->h[i].boff[day + 1], p[1], 0);
	close(p[1]);
	return pid;
}

/* A home without a battery: its orders of the step's days in one run. */
static pid_t
bid_step(struct run *R, size_t i, int day, int days, const char **prog,
    char *log, struct dk_err *e)
{
	if (R->sc->h[i].bat_wh > 0)
		return 0;
	return bid_days(R, i, day, days, prog, log, e);
}

/* A home with a battery: its orders of the day (its meter's day follows
 * the plan bid makes, so the next day's readings come after it). */
static pid_t
bid(struct run *R, size_t i, int day, int days, const char **prog,
    char *log, struct dk_err *e)
{
	(void)days;
	if (R->sc->h[i].bat_wh == 0)
		return 0;
	return bid_days(R, i, day, 1, prog, log, e);
}

/*
 * Where each day starts in the file at path, whose lines (what they are:
 * "a reading") come in slot order: off[k] for the day from t0 + k days,
 * from off[k] (0) on to off[kmax], the end; lines counted into *lines
 * unless NULL.
 */
static int
index_days(const char *path, const char *what, int64_t t0, int64_t *off,
    int k, int kmax, long long *lines, struct dk_err *e)
{
	char *line = NULL, *q;
	size_t cap = 0;
	ssize_t n;
	int64_t pos = 0, t, j;
	int rc = 0;
	FILE *fp;

	if ((fp = fopen(path, "r")) == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", path,
		    strerror(errno));
	off[k] = 0;
	while ((n = getline(&line, &cap, fp)) > 0) {
		if ((q = strstr(line, "\"slot\":\"")) == NULL ||
		    (q[8 + strcspn(q + 8, "\"")] = '\0', dk_time_parse(q + 8,
		    &t, e) < 0)) {
			rc = dk_fail(e, DK_EX_DATAERR, "%s: %s without its "
			    "slot", path, what);
			break;
		}
		j = t - t0;
		j = j >= 0 ? j / 86400 : -((-j + 86399) / 86400);
		while (k < j && k < kmax)
			off[++k] = pos;
		pos += n;
		if (lines != NULL)
			(*lines)++;
	}
	while (k < kmax)
		off[++k] = pos;
	free(line);
	fclose(fp);
	return rc;
}

/* Where each day of the step from d starts in the orders of home i's bid
 * (they come day by day): ooff[k] for day k, ooff[d + ndays] the end. */
static int
index_orders(struct run *R, size_t i, int d, struct dk_err *e)
{
	char p[PATH_MAX];

	if (R->h[i].ooff == NULL && (R->h[i].ooff = calloc((size_t)
	    R->sc->days + 1, sizeof(*R->h[i].ooff))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return index_days(hpath(R, p, R->sc->h[i].id, ".orders.jsonl"),
	    "an order", R->S->tstart, R->h[i].ooff, d, d + R->ndays, NULL, e);
}

/* Where each day starts in the home's readings (they come in slot
 * order): off[d + 1] for day d, from -1 (the history) to days. */
static int
index_readings(struct run *R, size_t i, struct dk_err *e)
{
	char p[PATH_MAX];

	if ((R->h[i].off = calloc((size_t)R->sc->days + 2,
	    sizeof(*R->h[i].off))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return index_days(hpath(R, p, R->sc->h[i].id, ".readings.jsonl"),
	    "a reading", R->S->tstart - 86400, R->h[i].off, 0, R->sc->days +
	    1, &R->S->readings, e);
}

static long long
lines(const char *path)
{
	char buf[65536], *p, *end;
	long long n = 0;
	ssize_t k;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return 0;
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		for (p = buf, end = buf + k; (p = memchr(p, '\n', (size_t)(end -
		    p))) != NULL; p++)
			n++;
	close(fd);
	return n;
}

/* Appends the file at path to the one at to; its size after in *end. */
static int
append(const char *path, const char *to, int64_t *end, struct dk_err *e)
{
	struct stat sb;
	off_t at;
	int fd = open_out(to, 1), rc = 0;

	if (fd < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", to,
		    strerror(errno));
	if (stat(path, &sb) < 0 || copy_range(path, 0, sb.st_size, fd, 1) <
	    0 || (at = lseek(fd, 0, SEEK_CUR)) < 0)
		rc = -1;
	else
		*end = at;
	if (close(fd) != 0 || rc < 0)
		return dk_fail(e, DK_EX_IOERR, "%s: cannot add %s", to, path);
	return 0;
}

/*
 * Home i's battery on day d (-1: the history): it follows bid's plan
 * over the home's own data (simbat.c); the meter's data of the day into
 * .day.csv for meter-read and added to .meter.csv, the battery's
 * readings added to .battery.jsonl (boff[d + 2] where they end).
 */
static int
batt_day(struct run *R, size_t i, int d, struct dk_err *e)
{
	struct home *H = &R->h[i];
	const char *id = R->sc->h[i].id;
	char p[PATH_MAX], bm[DK_ID_MAX + 3];
	size_t spd = (size_t)R->S->spd, at = (size_t)(d + 1) * spd;
	int64_t t0 = R->S->tstart + (int64_t)d * 86400;
	FILE *fp;
	int k, rc;

	if (H->boff == NULL && (H->boff = calloc((size_t)R->sc->days + 2,
	    sizeof(*H->boff))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	snprintf(bm, sizeof(bm), "%s-b", id);
	if ((fp = fopen(hpath(R, p, id, ".battery.jsonl"), "a")) == NULL)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	rc = dk_sim_batt_day(hpath(R, p, id, ".yaml"), &H->b, &R->S->rules,
	    bm, t0, R->S->spd, &H->soc, H->s.imp + at, H->s.exp + at, fp, e);
	fseek(fp, 0, SEEK_END);
	for (k = d + 2; k <= R->sc->days + 1; k++)
		H->boff[k] = ftell(fp);
	if (fclose(fp) != 0 && rc == 0)
		rc = dk_fail(e, DK_EX_IOERR, "%s: write error", p);
	if (rc < 0)
		return -1;
	if ((fp = fopen(hpath(R, p, id, ".day.csv"), "w")) == NULL)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	rc = dk_sim_csv(fp, &H->s, at, spd, 1, R->S->tstart - 86400,
	    R->S->rules.slot_minutes, e);
	if (fclose(fp) != 0 && rc == 0)
		rc = dk_fail(e, DK_EX_IOERR, "%s: write error", p);
	if (rc < 0)
		return -1;
	if ((fp = fopen(hpath(R, p, id, ".meter.csv"), d < 0 ? "w" : "a")) ==
	    NULL)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	rc = dk_sim_csv(fp, &H->s, at, spd, d < 0, R->S->tstart - 86400,
	    R->S->rules.slot_minutes, e);
	if (fclose(fp) != 0 && rc == 0)
		rc = dk_fail(e, DK_EX_IOERR, "%s: write error", p);
	return rc;
}

/* Day d of the homes with a battery, once they have bid: each battery
 * follows its plan, then their meters are read, the day's readings
 * added to each home's. */
static int
batteries(struct run *R, int d, struct dk_err *e)
{
	char p[PATH_MAX], to[PATH_MAX];
	int64_t end = 0;
	size_t i;
	int k;

	for (i = 0; i < R->sc->nh; i++)
		if (R->sc->h[i].bat_wh > 0 && batt_day(R, i, d, e) < 0)
			return -1;
	if (each_home(R, meter_day, d, e) < 0)
		return -1;
	for (i = 0; i < R->sc->nh; i++) {
		if (R->sc->h[i].bat_wh == 0)
			continue;
		hpath(R, p, R->sc->h[i].id, ".day.jsonl");
		if (append(p, hpath(R, to, R->sc->h[i].id, ".readings.jsonl"),
		    &end, e) < 0)
			return -1;
		R->S->readings += lines(p);
		for (k = d + 2; k <= R->sc->days + 1; k++)
			R->h[i].off[k] = end;
	}
	return 0;
}

/* A setting of the run's cooperative: the scenario's rules.KEY, or the
 * community's. */
static const char *
coopstr(const struct dk_scen *sc, const struct dk_conf *c, const char *k,
    const char *def)
{
	char rk[300];

	snprintf(rk, sizeof(rk), "rules.%s", k);
	return dk_conf_str(&sc->c, rk, dk_conf_str(c, k, def));
}

/* The first day's midnight in the cooperative's zone (at its offset
 * then), and the period over by the clock: settle settles a slot when
 * its deadline is past, and waits for readings before. */
static int
period(struct run *R, struct dk_err *e)
{
	const struct dk_scen *sc = R->sc;
	struct dk_conf c;
	char p[PATH_MAX], t[64];
	const char *tz;
	long long dl;
	int rc = 0;

	snprintf(p, sizeof(p), "%s/coop.yaml", sc->community);
	if (dk_conf_open(&c, p, DK_CONF_COOP, NULL, 0, e) < 0)
		return -1;
	tz = coopstr(sc, &c, "tz", "UTC");
	dl = strtoll(coopstr(sc, &c, "settle.deadline_minutes", "60"), NULL,
	    10);
	if (dk_time_format(sc->day0 * 86400, tz, t, sizeof(t)) < 0)
		rc = dk_fail(e, DK_EX_CONFIG, "%s: tz: %s: not a known zone",
		    p, tz);
	snprintf(p, sizeof(p), "%sT00:00:00%s", sc->start, strlen(t) > 19 ?
	    t + 19 : "Z");
	if (rc == 0 && dk_time_parse(p, &R->S->tstart, e) < 0)
		rc = -1;
	if (rc == 0 && R->S->tstart + (int64_t)sc->days * 86400 + dl * 60 >
	    (int64_t)time(NULL))
		rc = dk_fail(e, DK_EX_CONFIG, "%s: the period from %s is not "
		    "over by the clock (with settle.deadline_minutes): settle "
		    "would wait for its readings; simulate a past period",
		    sc->c.path, sc->start);
	dk_conf_free(&c);
	return rc;
}

/* The community in the run's folder: the operator's key, the homes'
 * files, data, keys, their enrolment in the ledger, their meters read. */
static int
setup(struct run *R, struct dk_conf *coop, struct dk_err *e)
{
	const struct dk_scen *sc = R->sc;
	struct dk_sim_series *src;
	struct dk_conf *hc;
	char p[PATH_MAX], log[PATH_MAX];
	char *kg[] = { "denki-keygen", "operator", NULL };
	char *addv[] = { "denki-registry", "-c", "coop.yaml", "add" };
	char **add;
	size_t i;
	FILE *fp;
	int rc = 0;

	snprintf(log, sizeof(log), "%s/setup.log", R->dir);
	snprintf(p, sizeof(p), "%s/homes", R->dir);
	if (mkdir(p, 0755) < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", p,
		    strerror(errno));
	if (write_coop(R, coop, e) < 0 ||
	    dk_rules_from_conf(&R->S->rules, coop, e) < 0)
		return -1;
	R->S->spd = 1440 / R->S->rules.slot_minutes;
	if (1440 % R->S->rules.slot_minutes != 0)
		return dk_fail(e, DK_EX_CONFIG, "slot_minutes: %d does not "
		    "divide a day", R->S->rules.slot_minutes);
	src = calloc(sc->nsrc, sizeof(*src));
	hc = calloc(sc->nsrc, sizeof(*hc));
	if (src == NULL || hc == NULL) {
		free(src);
		free(hc);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	for (i = 0; i < sc->nsrc && rc == 0; i++) {
		snprintf(p, sizeof(p), "%s/%s.yaml", sc->community, sc->src[i]);
		if (dk_conf_open(&hc[i], p, DK_CONF_HOME, NULL, 0, e) < 0) {
			rc = -1;
			break;
		}
		rc = dk_sim_source(dk_scen_data(sc, i, p, sizeof(p)), &hc[i],
		    &R->S->rules, R->S->tstart, &src[i], e);
	}
	for (i = 0; i < sc->nh && rc == 0; i++) {
		const struct dk_scen_home *h = &sc->h[i];
		if ((rc = write_home(R, coop, &hc[h->src], h, e)) < 0 ||
		    (rc = dk_sim_home_series(&src[h->src], sc, h,
		    R->S->rules.slot_minutes, &R->h[i].s, e)) < 0)
			break;
		if ((fp = fopen(hpath(R, p, h->id, ".csv"), "w")) == NULL) {
			rc = dk_fail(e, DK_EX_CANTCREAT, "%s: %s", p,
			    strerror(errno));
			break;
		}
		rc = dk_sim_csv(fp, &R->h[i].s, 0, R->h[i].s.n, 1,
		    R->S->tstart - 86400, R->S->rules.slot_minutes, e);
		if (fclose(fp) != 0 && rc == 0)
			rc = dk_fail(e, DK_EX_IOERR, "%s: write error", p);
		/* the battery's history day: no plan yet, idle */
		if (rc == 0 && h->bat_wh > 0) {
			dk_sim_batt(h, &R->h[i].b);
			rc = batt_day(R, i, -1, e);
		} else
			dk_sim_series_free(&R->h[i].s);
	}
	for (i = 0; i < sc->nsrc; i++) {
		dk_sim_series_free(&src[i]);
		dk_conf_free(&hc[i]);
	}
	free(src);
	free(hc);
	if (R->S->progress)
		R->S->progress(R->S->ctx, -1, sc->days, "keys");
	if (rc < 0 || run1(R, kg, NULL, log, e) < 0 ||
	    each_home(R, enrol, 0, e) < 0 || each_home(R, enrol, 1, e) < 0 ||
	    each_home(R, enrol, 2, e) < 0)
		return -1;
	if (R->S->progress)
		R->S->progress(R->S->ctx, -1, sc->days, "registry");
	/* the operator appends each home's signed request, in order: one
	 * run for all (each its own commit, as runs one by one make; a run
	 * each replayed the ledger, so homes squared) */
	if ((add = calloc(sc->nh + 5, sizeof(*add))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	memcpy(add, addv, sizeof(addv));
	for (i = 0; i < sc->nh && rc == 0; i++)
		if ((add[4 + i] = strdup(hpath(R, p, sc->h[i].id,
		    ".enrol.json"))) == NULL)
			rc = dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (rc == 0)
		rc = run1(R, add, NULL, log, e);
	for (i = 0; i < sc->nh; i++)
		free(add[4 + i]);
	free(add);
	if (rc < 0)
		return -1;
	if (R->S->progress)
		R->S->progress(R->S->ctx, -1, sc->days, "meters");
	if (each_home(R, meter, 0, e) < 0)
		return -1;
	for (i = 0; i < sc->nh; i++)
		if (index_readings(R, i, e) < 0)
			return -1;
	return 0;
}

/* The files of every home, one after the other, in home order: its
 * orders of day d (added to out with add), or its readings of the step's
 * days from d. */
static int
gather(struct run *R, const char *out, int d, int orders, int add,
    struct dk_err *e)
{
	const struct dk_scen *sc = R->sc;
	char p[PATH_MAX];
	int to = open_out(out, add);
	size_t i;
	int rc = 0;

	if (to < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", out,
		    strerror(errno));
	for (i = 0; i < sc->nh && rc == 0; i++) {
		struct stat sb;
		if (orders) {
			hpath(R, p, sc->h[i].id, ".orders.jsonl");
			if (R->h[i].ooff != NULL)
				rc = copy_range(p, R->h[i].ooff[d],
				    R->h[i].ooff[d + 1], to, 1);
			else if (stat(p, &sb) == 0 && copy_range(p, 0,
			    sb.st_size, to, 1) < 0)
				rc = -1;
		} else {
			hpath(R, p, sc->h[i].id, ".readings.jsonl");
			if (copy_range(p, R->h[i].off[d + 1], R->h[i].off[d +
			    1 + R->ndays], to, 1) < 0)
				rc = -1;
		}
	}
	if (close(to) != 0 || rc < 0)
		return dk_fail(e, DK_EX_IOERR, "%s: cannot gather the day's "
		    "%s", out, orders ? "orders" : "readings");
	return 0;
}

/* The slots of day d that no order names, as they come in the file of
 * the day's orders: 1 in miss[k] for slot k. */
static int
missing(struct run *R, const char *orders, int d, char *miss,
    struct dk_err *e)
{
	int64_t t0 = R->S->tstart + (int64_t)d * 86400, t, k;
	int64_t step = R->S->rules.slot_minutes * 60LL;
	char *line = NULL, *q;
	size_t cap = 0;
	FILE *fp = fopen(orders, "r");

	memset(miss, 1, (size_t)R->S->spd * R->ndays);
	if (fp == NULL)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", orders,
		    strerror(errno));
	while (getline(&line, &cap, fp) > 0) {
		if ((q = strstr(line, "\"slot\":\"")) == NULL)
			continue;
		q[8 + strcspn(q + 8, "\"")] = '\0';
		if (dk_time_parse(q + 8, &t, e) < 0) {
			memset(e, 0, sizeof(*e));
			continue;
		}
		k = (t - t0) / step;
		if (t >= t0 && k < (int64_t)R->S->spd * R->ndays)
			miss[k] = 0;
	}
	free(line);
	fclose(fp);
	return 0;
}

/* The days of the step from day d: S->step, or those left. */
static int
step_days(const struct run *R, int d)
{
	return R->S->step < R->sc->days - d ? R->S->step : R->sc->days - d;
}

/*
 * The next step's bids started, to be made while the cooperative clears,
 * signs and settles the step from d, on the cores its programs leave idle:
 * when their orders do not depend on the step's outcome (no home reads the
 * ledger, none has a battery).  Each home's orders are then the same as
 * when its bid waits for the step.
 */
static int
ahead(struct run *R, int d, struct dk_err *e)
{
	int next = d + R->ndays;

	if (R->reads || R->nbatt > 0 || next >= R->sc->days)
		return 0;
	if (pool_begin(R, &R->bg, bid_step, next, step_days(R, next), 1,
	    e) < 0)
		return -1;
	pool_fill(R, &R->bg);
	return 0;
}

/* The next step's bids, tended while the run reads its ledger (follow()):
 * each that ends is reaped and the next started, until none runs or the
 * run asks it to stop. */
static void *
tend(void *arg)
{
	struct run *R = arg;
	pid_t pid;
	int st;

	while (!atomic_load(&R->tended) && R->bg.running > 0 &&
	    (pid = wait_any(&st)) > 0)
		if (pool_reap(R, &R->bg, pid, st))
			pool_fill(R, &R->bg);
	return NULL;
}

/* What the step appended to the ledger read for the figures
 * (dk_sim_follow), the next step's bids going on meanwhile. */
static int
follow(struct run *R, struct dk_err *e)
{
	pthread_t t;
	int rc, tending;

	atomic_store(&R->tended, 0);
	/* the cooperative's programs done: the rest at the usual priority */
	R->bg.low = 0;
	tending = R->bg.running > 0 && pthread_create(&t, NULL, tend, R) == 0;
	rc = dk_sim_follow(R->S, e);
	if (tending) {
		/* it stops when the next of them ends */
		atomic_store(&R->tended, 1);
		pthread_join(t, NULL);
	}
	return rc;
}

/* The days from d (R->ndays of them): every home bids for each, then
 * the cooperative clears every slot (one nobody bid in too: settle takes
 * only readings of cleared slots), signs the contracts and settles the
 * days' readings. */
static int
day(struct run *R, int d, struct dk_err *e)
{
	char log[PATH_MAX], slot[40], *miss;
	char o[PATH_MAX], c[PATH_MAX], k[PATH_MAX], s[PATH_MAX], rd[PATH_MAX];
	char x[PATH_MAX];
	char *clear[] = { "denki-clear", "-c", "coop.yaml", "orders.jsonl",
		NULL };
	char *clear1[] = { "denki-clear", "-c", "coop.yaml", "-s", slot,
		NULL };
	char *sign[] = { "denki-contract-sign", "-c", "coop.yaml",
		"cleared.jsonl", NULL };
	char *settle[] = { "denki-settle", "-c", "coop.yaml",
		"readings.jsonl", NULL };
	int64_t end;
	long long n;
	size_t j;
	int i;

	snprintf(o, sizeof(o), "%s/orders.jsonl", R->dir);
	snprintf(c, sizeof(c), "%s/cleared.jsonl", R->dir);
	snprintf(x, sizeof(x), "%s/cleared-empty.jsonl", R->dir);
	snprintf(k, sizeof(k), "%s/contracts.jsonl", R->dir);
	snprintf(s, sizeof(s), "%s/settlements.jsonl", R->dir);
	snprintf(rd, sizeof(rd), "%s/readings.jsonl", R->dir);
	for (i = 0; i < R->ndays; i++) {
		if (R->S->progress)
			R->S->progress(R->S->ctx, d + i, R->sc->days, "bid");
		/* the step's bids, or the rest of those begun in the step
		 * before */
		if (i == 0 && R->bg.fn != NULL) {
			if (pool_end(R, &R->bg, 0, e) < 0)
				return -1;
		} else if (i == 0 && R->nbatt < R->sc->nh && each_home(R,
		    bid_step, d, e) < 0)
			return -1;
		for (j = 0; i == 0 && j < R->sc->nh; j++)
			if (R->sc->h[j].bat_wh == 0 && index_orders(R, j, d,
			    e) < 0)
				return -1;
		if (each_home(R, bid, d + i, e) < 0 || gather(R, o, d + i, 1,
		    i > 0, e) < 0 || (R->nbatt > 0 && batteries(R, d + i, e) <
		    0))
			return -1;
	}
	R->S->orders += n = lines(o);
	if (ahead(R, d, e) < 0)
		return -1;
	if (R->S->progress)
		R->S->progress(R->S->ctx, d, R->sc->days, "clear");
	snprintf(log, sizeof(log), "%s/clear.log", R->dir);
	if ((miss = malloc((size_t)R->S->spd * R->ndays)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	if (run1(R, clear, c, log, e) < 0 || missing(R, o, d, miss, e) < 0) {
		free(miss);
		return -1;
	}
	for (i = 0; i < R->S->spd * R->ndays; i++) {
		if (!miss[i])
			continue;
		dk_time_format(R->S->tstart + (int64_t)d * 86400 + (int64_t)i *
		    R->S->rules.slot_minutes * 60, R->S->rules.tz, slot,
		    sizeof(slot));
		if (run1(R, clear1, x, log, e) < 0) {
			free(miss);
			return -1;
		}
		if (append(x, c, &end, e) < 0) {
			free(miss);
			return dk_fail(e, DK_EX_IOERR, "%s: cannot add the "
			    "clearing of %s", c, slot);
		}
	}
	free(miss);
	snprintf(log, sizeof(log), "%s/contract-sign.log", R->dir);
	/* contract-sign's and settle's output is in the ledger, and
	 * nothing reads it: the last step's kept, as the other programs'
	 * (the earlier steps' written would be written over, gigabytes of
	 * a year; to /dev/null they do not make it) */
	if (run1(R, sign, d + R->ndays < R->sc->days ? NULL : k, log, e) < 0)
		return -1;
	if (R->S->progress)
		R->S->progress(R->S->ctx, d, R->sc->days, "settle");
	snprintf(log, sizeof(log), "%s/settle.log", R->dir);
	if (gather(R, rd, d, 0, 0, e) < 0)
		return -1;
	R->S->settled += lines(rd);
	return run1(R, settle, d + R->ndays < R->sc->days ? NULL : s, log, e);
}

int
dk_sim_run(struct dk_sim *S, struct dk_err *e)
{
	struct run R;
	struct dk_conf coop;
	int64_t t0 = now();
	ssize_t n;
	size_t i;
	int d, rc = -1;
	char *d0;
	void (*old)(int);

	memset(&R, 0, sizeof(R));
	memset(&coop, 0, sizeof(coop));
	R.S = S;
	R.sc = S->sc;
	for (i = 0; i < S->sc->nh; i++)
		R.nbatt += S->sc->h[i].bat_wh > 0;
	S->readings = S->settled = S->orders = 0;
	if (S->jobs < 1)
		S->jobs = 1;
	if (S->step < 1)
		S->step = 1;
	if (period(&R, e) < 0)
		return -1;
	if (mkdir(S->dir, 0755) < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s%s", S->dir, strerror(errno),
		    errno == EEXIST ? " (each run makes its own folder)" : "");
	if (realpath(S->dir, R.bindir) == NULL || strlen(R.bindir) >=
	    sizeof(R.dir))
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", S->dir,
		    errno ? strerror(errno) : "too long a path");
	memcpy(R.dir, R.bindir, strlen(R.bindir) + 1);
	/* the programs beside the caller, as denki(1) runs them */
	if ((n = readlink("/proc/self/exe", R.bindir, sizeof(R.bindir) - 1)) >
	    0) {
		R.bindir[n] = '\0';
		d0 = dirname(R.bindir);
		memmove(R.bindir, d0, strlen(d0) + 1);
	} else
		snprintf(R.bindir, sizeof(R.bindir), ".");
	R.h = calloc(S->sc->nh, sizeof(*R.h));
	old = signal(SIGPIPE, SIG_IGN);
	if (R.h == NULL)
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	else if (setup(&R, &coop, e) == 0) {
		for (d = 0; d < S->sc->days; d += R.ndays) {
			R.ndays = step_days(&R, d);
			/* the step's entries read for the figures while
			 * they are in memory */
			if (day(&R, d, e) < 0 || follow(&R, e) < 0)
				break;
		}
		rc = d == S->sc->days ? 0 : -1;
	}
	/* bids begun for a step the run did not reach */
	if (R.bg.fn != NULL)
		(void)pool_end(&R, &R.bg, 1, NULL);
	signal(SIGPIPE, old);
	for (i = 0; i < S->sc->nh && R.h != NULL; i++) {
		free(R.h[i].off);
		free(R.h[i].ooff);
		free(R.h[i].boff);
		dk_sim_series_free(&R.h[i].s);
	}
	free(R.h);
	dk_conf_free(&coop);
	S->ms = now() - t0;
	return rc;
}
