/*
 * Benchmark helper: makes a community in a folder (operator key, coop.yaml,
 * a ledger holding P registered participants, each with one meter), N
 * signed orders for one slot (or over S slots), and readings.jsonl, one
 * reading of every meter for the first slot, from a seed; or, with -r,
 * measures the raw libsodium Ed25519 verification rate on one core (-r N:
 * on N threads at once, summed); or, with -C, the signatures made and
 * checked a second of one core's CPU time, which other work on a shared
 * machine does not stretch (the floor of denki-simulate's bench part; -C N:
 * on N threads at once, summed, the floor on N cores).
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "denki.h"

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One core's verifications per second, on the thread it runs on. */
static void *
rate1(void *arg)
{
	unsigned char pk[32], sk[64], sig[64], msg[200];
	double t0, t, *out = arg;
	long n = 0;

	crypto_sign_keypair(pk, sk);
	memset(msg, 'x', sizeof(msg));
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	t0 = now();
	do {
		if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0)
			return NULL;
		n++;
	} while ((t = now() - t0) < 1.0);
	*out = n / t;
	return NULL;
}

/* This thread's CPU seconds, which other work on the machine does not
 * stretch. */
static double
cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* -C's rates on one thread, each a second of its CPU time: signing, then
 * (once every thread has signed) checking.  The threads start each part
 * together; those done first wait for the others at the next barrier, so
 * the last milliseconds of a part run with fewer of them busy. */
struct crate {
	pthread_barrier_t *b;
	double sr, vr;		/* 0: a check failed */
};

static void *
crate1(void *arg)
{
	struct crate *c = arg;
	unsigned char pk[32], sk[64], sig[64], msg[200];
	double t0, t;
	long n = 0;

	crypto_sign_keypair(pk, sk);
	memset(msg, 'x', sizeof(msg));
	pthread_barrier_wait(c->b);
	t0 = cpu();
	do {
		msg[n % sizeof(msg)]++;
		crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
		n++;
	} while ((t = cpu() - t0) < 1.0);
	c->sr = n / t;
	n = 0;
	pthread_barrier_wait(c->b);
	t0 = cpu();
	do {
		if (crypto_sign_verify_detached(sig, msg, sizeof(msg), pk) != 0)
			return NULL;
		n++;
	} while ((t = cpu() - t0) < 1.0);
	c->vr = n / t;
	return NULL;
}

/* -C [threads]: "SIGNED CHECKED", a second of one core's CPU time each
 * (threads > 1: summed over that many threads at once: what the cores do
 * together in a second, where each is slowed by the others' use of what
 * they share).  That sum is true only with a core for each thread: more
 * threads than the cores this process may run on would take turns, each
 * at nearly one core's rate, and their sum would promise more than the
 * cores do; so they are refused.  Other work on the machine at the same
 * time has the same effect, and nothing here can see it. */
static int
cpurates(int threads)
{
	pthread_barrier_t b;
	pthread_t t[64];
	struct crate c[64];
	double sr = 0, vr = 0;
	int i, n = 0, rc = 0;
	cpu_set_t set;

	if (threads < 1 || threads > 64) {
		fprintf(stderr, "gen-book: -C: 1 to 64 threads\n");
		return 64;
	}
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && threads >
	    CPU_COUNT(&set)) {
		fprintf(stderr, "gen-book: -C %d: this process may run on %d "
		    "core(s) only: the threads would take turns\n", threads,
		    CPU_COUNT(&set));
		return 64;
	}
	pthread_barrier_init(&b, NULL, (unsigned)threads);
	for (i = 0; i < threads; i++) {
		c[i].b = &b;
		c[i].sr = c[i].vr = 0;
		if (pthread_create(&t[i], NULL, crate1, &c[i]) != 0) {
			/* the barrier waits for threads: none can be left
			 * out, so the run ends here */
			fprintf(stderr, "gen-book: cannot start a thread\n");
			exit(71);
		}
		n++;
	}
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		if (c[i].vr == 0)
			rc = 1;
		sr += c[i].sr;
		vr += c[i].vr;
	}
	pthread_barrier_destroy(&b);
	if (rc == 0)
		printf("%.0f %.0f\n", sr, vr);
	return rc;
}

/* The raw rate on one core; with threads > 1, the sum over that many
 * threads verifying at once (how far the cores really scale). */
static int
rate(int threads)
{
	pthread_t t[64];
	double r[64], sum = 0;
	int i;

	if (threads < 1 || threads > 64)
		return 64;
	for (i = 0; i < threads; i++) {
		r[i] = 0;
		if (pthread_create(&t[i], NULL, rate1, &r[i]) != 0)
			return 71;
	}
	for (i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		if (r[i] == 0)
			return 1;
		sum += r[i];
	}
	printf("%.0f\n", sum);
	return 0;
}

/* -p FILE: seconds to parse every line of FILE with jansson and free it,
 * the floor clear is measured against. */
static int
parse_time(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long lines = 0;
	double t0;
	json_t *j;

	if (fp == NULL) {
		perror(path);
		return 66;
	}
	t0 = now();
	while ((n = getline(&line, &cap, fp)) > 0) {
		if ((j = json_loadb(line, (size_t)n, 0, NULL)) == NULL)
			return 65;
		json_decref(j);
		lines++;
	}
	printf("%.3f %ld\n", now() - t0, lines);
	free(line);
	fclose(fp);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct dk_err e = { 0 };
	struct dk_key op, *keys;
	unsigned char *arena;
	struct dk_ledger l;
	char path[512], id[32];
	long np, no, ns, i, wmax;
	char slot[40];
	const char *rm;
	int committed;
	long long start = 1767261600;
	uint64_t s = 88172645463325252ULL;
	json_t *rec;
	FILE *fp;

	if (sodium_init() < 0)
		return 70;
	if (argc == 2 && strcmp(argv[1], "-r") == 0)
		return rate(1);
	if (argc == 3 && strcmp(argv[1], "-r") == 0)
		return rate(atoi(argv[2]));
	if (argc == 2 && strcmp(argv[1], "-C") == 0)
		return cpurates(1);
	if (argc == 3 && strcmp(argv[1], "-C") == 0)
		return cpurates(atoi(argv[2]));
	if (argc == 3 && strcmp(argv[1], "-p") == 0)
		return parse_time(argv[2]);
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: gen-book dir participants orders "
		    "[slots]\n       gen-book -r [threads] | -C [threads]\n"
		    "       gen-book -p file\n");
		return 64;
	}
	np = atol(argv[2]);
	no = atol(argv[3]);
	ns = argc == 5 ? atol(argv[4]) : 1;
	if (ns < 1)
		return 64;
	if (chdir(argv[1]) < 0 || np < 2 || no < 1)
		return 64;
	/* GEN_START: the first slot, Unix seconds on a slot boundary
	 * (default 2026-01-01T10:00Z); a later one for orders still open */
	if (getenv("GEN_START") != NULL)
		start = atoll(getenv("GEN_START"));
	dk_key_generate(&op, &e);
	if (dk_key_write_sec(&op, "operator.key", "bench", 1, &e) < 0 ||
	    dk_key_write_pub(&op, "operator.pub", "bench", 1, &e) < 0)
		goto fail;
	fp = fopen("terms.txt", "w");
	fprintf(fp, "Benchmark terms.\n");
	fclose(fp);
	/* the readings are unsigned (below): a community migrating */
	/* GEN_READINGS: the ledger's readings, committed (the default, as
	 * for a new community) or open */
	rm = getenv("GEN_READINGS") ? getenv("GEN_READINGS") : "committed";
	if (dk_readings_mode(rm, &committed, &e) < 0)
		goto fail;
	fp = fopen("coop.yaml", "w");
	fprintf(fp, "ledger: ledger.jsonl\noperator:\n  key: operator.key\n"
	    "terms: terms.txt\ntz: UTC\nprices:\n  retail: 300000\n"
	    "  buyback: 100000\n  fee: 1000\nsettle:\n  signed: registered\n"
	    "readings: %s\n", rm);
	fclose(fp);
	unlink("ledger.jsonl");
	unlink("ledger.jsonl.openings");
	if (dk_ledger_open(&l, "ledger.jsonl", &op, NULL, NULL, &e) < 0 ||
	    dk_ledger_genesis(&l, "bench.denki.example/ledger", committed,
	    &e) < 0)
		goto fail;
	/* the participants' secret keys in one guarded allocation: a
	 * sodium_malloc each costs guard pages and memory maps of its own,
	 * and the process runs out of maps near 10,000 keys */
	keys = calloc(np, sizeof(*keys));
	arena = sodium_malloc((size_t)np * crypto_sign_SECRETKEYBYTES);
	if (keys == NULL || arena == NULL) {
		fprintf(stderr, "gen-book: out of memory for %ld keys\n", np);
		return 70;
	}
	for (i = 0; i < np; i++) {
		char *b64;
		keys[i].sk = arena + (size_t)i * crypto_sign_SECRETKEYBYTES;
		crypto_sign_keypair(keys[i].pk, keys[i].sk);
		randombytes_buf(keys[i].keynum, sizeof(keys[i].keynum));
		b64 = dk_key_pub_b64(&keys[i]);
		snprintf(id, sizeof(id), "p%ld", i);
		snprintf(path, sizeof(path), "p%ld-m", i);
		rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s,s:s,s:[s]}", "type",
		    "participant", "v", 1, "id", id, "key", b64, "zone", "z",
		    "role", "prosumer", "status", "active", "meters", path);
		free(b64);
		if (dk_ledger_add(&l, rec, &e) < 0)
			goto fail;
		json_decref(rec);
	}
	if (dk_ledger_checkpoint(&l, &e) < 0 || dk_ledger_commit(&l, &e) < 0)
		goto fail;
	dk_ledger_close(&l);
	/* each side of a slot holds at most DK_MAX_WH: the orders' largest
	 * size shrinks as a slot's book grows (5000 Wh up to 60,000 orders a
	 * slot, 300 Wh at a million), half of them selling */
	wmax = 300000000LL * ns / no;
	if (wmax > 5000)
		wmax = 5000;
	if (wmax < 1)
		wmax = 1;
	fp = fopen("orders.jsonl", "w");
	for (i = 0; i < no; i++) {
		long p = i % np;
		int sell = p % 2 == 0;
		snprintf(id, sizeof(id), "p%ld", p);
		/* a participant sells or buys, the same in every slot */
		dk_time_format(start + (i / (no / ns + 1)) * 1800, "UTC",
		    slot, sizeof(slot));
		rec = json_pack("{s:s,s:i,s:s,s:s,s:s,s:I,s:I}", "type",
		    "order", "v", 1, "participant", id,
		    "slot", slot,
		    "side", sell ? "sell" : "buy",
		    "wh", (json_int_t)(1 + rnd(&s) % wmax),
		    "price", (json_int_t)(100000 + rnd(&s) % 200001));
		if (dk_sign_record(rec, &keys[p], &e) < 0)
			goto fail;
		dk_emit(fp, rec);
		json_decref(rec);
	}
	fclose(fp);
	sodium_free(arena);
	free(keys);
	/* every meter's reading of the first slot, unsigned (no meter key
	 * is registered) */
	dk_time_format(start, "UTC", slot, sizeof(slot));
	if ((fp = fopen("readings.jsonl", "w")) == NULL) {
		perror("readings.jsonl");
		return 73;
	}
	for (i = 0; i < np; i++) {
		snprintf(path, sizeof(path), "p%ld-m", i);
		rec = json_pack("{s:s,s:i,s:s,s:s,s:I,s:I}", "type", "reading",
		    "v", 1, "meter", path, "slot", slot,
		    "import_wh", (json_int_t)(rnd(&s) % 5000),
		    "export_wh", (json_int_t)(rnd(&s) % 5000));
		dk_emit(fp, rec);
		json_decref(rec);
	}
	if (fclose(fp) != 0) {
		perror("readings.jsonl");
		return 74;
	}
	return 0;
fail:
	fprintf(stderr, "gen-book: %s\n", e.msg);
	return 1;
}
