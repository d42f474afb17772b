/*
 * The witness's add-checkpoint request body (C2SP tlog-witness): the old
 * size, the consistency proof and the signed checkpoint, through the whole
 * of dk_witness_add against a state database, and the routes of its CGI.
 */
#include <fcntl.h>

#include "fuzz.h"

/* the log of the corpus's requests (a community of tests/test_helper.bash,
 * see tests/fuzz/SOURCES.md) */
static const char logkey[] = "denki.local/ledger+9db16a73+"
    "AYcBUl1xstN7haf0cDPG1okaMmQn5VV1XQdzqTbgqxfH";

static struct dk_witness w;
static char state[64];	/* /tmp/fuzz-witness-PID.db */

/* at exit the database closed and removed, with its -wal and -shm files
 * (a replay left two files in /tmp at each run) */
static void
done(void)
{
	char p[sizeof(state) + 4];

	dk_witness_close(&w);
	unlink(state);
	snprintf(p, sizeof(p), "%s-wal", state);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", state);
	unlink(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_key key;
	static int init;
	struct dk_err e = { 0 };
	char *out = NULL, *s, hex[65];
	uint64_t had = 0;
	size_t cut;
	int rc, fd;

	hex[0] = '\0';

	if (!init) {
		FZ_ASSERT(dk_init(&e) == 0);
		FZ_ASSERT(dk_key_generate(&key, &e) == 0);
		snprintf(state, sizeof(state), "/tmp/fuzz-witness-%ld.db",
		    (long)getpid());
		FZ_ASSERT((fd = open(state, O_RDWR | O_CREAT | O_EXCL,
		    0600)) >= 0);
		close(fd);
		FZ_ASSERT(dk_witness_open(&w, state, "fuzz.example/w", &key,
		    &e) == 0);
		FZ_ASSERT((w.logs = calloc(1, sizeof(*w.logs))) != NULL);
		FZ_ASSERT(dk_vkey_parse(logkey, &w.logs[0], &e) == 0);
		w.nlogs = 1;
		FZ_ASSERT(atexit(done) == 0);
		init = 1;
	}
	rc = dk_witness_add(&w, (const char *)data, size, 1796590400, &out,
	    &had, &e);
	/* an HTTP status, and a cosignature line exactly when it is 200 */
	FZ_ASSERT(rc == -1 || (rc >= 200 && rc <= 599));
	FZ_ASSERT((out != NULL) == (rc == 200));
	if (out != NULL)
		FZ_ASSERT(strncmp(out, "\xe2\x80\x94 fuzz.example/w ", 19) ==
		    0 && out[strlen(out) - 1] == '\n');
	free(out);
	/* the CGI's routes: method, script name and path, split at NULs */
	s = fz_str(data, size);
	cut = strlen(s);
	rc = dk_witness_route(s, "/w", cut < size ? s + cut + 1 : "", hex, &e);
	FZ_ASSERT(rc != 2 || strlen(hex) == 64);
	free(s);
	return 0;
}
