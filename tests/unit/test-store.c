/*
 * Unit tests of meter-read's work in lib/meter: the household's
 * configuration (home.c), csv and sim from it (read.c), a device's run
 * stored, walked and delivered (store.c), dk_stdout_line (deliver.c),
 * and the device key that signs the readings (devkey.c).
 */
#include <sys/stat.h>

#include <fcntl.h>

#include "check.h"
#include "meter/meter.h"

struct got {
	json_t *recs;		/* records put, or lines out, as strings */
	long flushes;
	int warned;
	char warning[1024];
};

static void
got_init(struct got *g)
{
	memset(g, 0, sizeof(*g));
	g->recs = json_array();
}

static void
warn(void *ctx, const char *msg)
{
	struct got *g = ctx;

	g->warned++;
	snprintf(g->warning, sizeof(g->warning), "%s", msg);
}

static int
put(void *ctx, json_t *r, struct dk_err *e)
{
	struct got *g = ctx;

	char *c;

	if ((c = dk_canon(r)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	json_array_append_new(g->recs, json_string(c));
	free(c);
	return 0;
}

static int
out(void *ctx, const char *line, struct dk_err *e)
{
	struct got *g = ctx;

	(void)e;
	if (line == NULL)
		g->flushes++;
	else
		json_array_append_new(g->recs, json_string(line));
	return 0;
}

static const char *
nth(struct got *g, size_t i)
{
	return json_string_value(json_array_get(g->recs, i));
}

static void
conf_open(struct dk_conf *c, const char *text, char *const *defs,
    size_t ndefs)
{
	struct dk_err e = { 0 };
	char path[256];

	snprintf(path, sizeof(path), "%s", tmpfile_write("home.yaml", text));
	CHECKF(dk_conf_open(c, path, DK_CONF_HOME, defs, ndefs, &e) == 0,
	    "%s", e.msg);
}

static void
test_home(void)
{
	char *one[] = { "meter.id=x9" };
	struct dk_conf c;
	struct dk_rules r;
	struct dk_err e = { 0 };
	struct dk_db *d;
	char path[300];

	conf_open(&c, "tz: UTC\nslot_minutes: 15\nmeters: [a1]\n"
	    "state: h.db\n", NULL, 0);
	CHECK_STR(dk_home_meter(&c, NULL), "a1");
	CHECK_STR(dk_home_meter(&c, "m"), "m");
	/* no prices needed to read a meter */
	CHECK_INT(dk_home_rules(&c, &r, &e), 0);
	CHECK_INT(r.slot_minutes, 15);
	CHECK_INT(r.retail, 0);
	CHECK_INT(r.buyback, 0);
	CHECK((d = dk_home_db(&c, &e)) != NULL);
	dk_db_close(d);
	snprintf(path, sizeof(path), "%s/h.db", ck_tmp);
	CHECK(access(path, F_OK) == 0);
	dk_conf_free(&c);

	conf_open(&c, "tz: UTC\nmeters: [a1, a2]\nprices:\n  retail: 300\n"
	    "  buyback: 100\n", NULL, 0);
	CHECK(dk_home_meter(&c, NULL) == NULL);
	CHECK_INT(dk_home_rules(&c, &r, &e), 0);
	CHECK_INT(r.retail, 300);
	CHECK_INT(r.buyback, 100);
	dk_conf_free(&c);
	conf_open(&c, "tz: UTC\nmeters: [a1, a2]\n", one, 1);
	CHECK_STR(dk_home_meter(&c, NULL), "x9");
	dk_conf_free(&c);
}

static void
test_read(void)
{
	struct dk_conf c;
	struct dk_rules r;
	struct dk_err e = { 0 };
	struct dk_csvopt o;
	struct got g;
	char *files[2], p1[300];

	conf_open(&c, "tz: UTC\nslot_minutes: 30\n", NULL, 0);
	CHECK_INT(dk_home_rules(&c, &r, &e), 0);
	memset(&o, 0, sizeof(o));
	o.meter = "m1";
	o.rules = &r;
	o.warn = warn;

	got_init(&g);
	snprintf(p1, sizeof(p1), "%s", tmpfile_write("a.csv",
	    "start,import_wh,export_wh\n2016-07-05T10:00:00Z,12,0\n"));
	files[0] = p1;
	files[1] = (char *)tmpfile_write("b.csv",
	    "start,import_wh,export_wh\n2016-07-05T10:30:00Z,0,7\n");
	CHECK_INT(dk_read_csv(&c, &o, files, 2, put, &g, &e), 0);
	CHECK_INT(json_array_size(g.recs), 2);
	CHECK_STR(nth(&g, 0), "{\"export_wh\":0,\"import_wh\":12,\"meter\":"
	    "\"m1\",\"slot\":\"2016-07-05T10:00:00+00:00\",\"type\":"
	    "\"reading\",\"v\":1}");
	CHECK_HAS(nth(&g, 1), "\"export_wh\":7,");
	files[0] = "/nonexistent.csv";
	CHECK_INT(dk_read_csv(&c, &o, files, 1, put, &g, &e), -1);
	CHECK_INT(e.status, DK_EX_NOINPUT);
	CHECK_HAS(e.msg, "/nonexistent.csv: ");
	json_decref(g.recs);

	got_init(&g);
	o.meter = "s1";
	CHECK_INT(dk_read_sim(&c, &o, "2026-07-01T00:00:00Z", 3, put, &g,
	    &e), 0);
	CHECK_INT(json_array_size(g.recs), 3);
	CHECK_HAS(nth(&g, 2), "\"slot\":\"2026-07-01T01:00:00+00:00\"");
	CHECK_HAS(nth(&g, 0), "\"meter\":\"s1\"");
	/* the same seed, the same readings: the golden file's first */
	CHECK_STR(nth(&g, 0), "{\"export_wh\":0,\"import_wh\":174,\"meter\":"
	    "\"s1\",\"slot\":\"2026-07-01T00:00:00+00:00\",\"type\":"
	    "\"reading\",\"v\":1}");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_read_sim(&c, &o, "2026-07-01T00:10:00Z", 3, put, &g,
	    &e), -1);
	CHECK_INT(e.status, DK_EX_USAGE);
	CHECK(strncmp(e.msg, "-s: ", 4) == 0);
	json_decref(g.recs);
	dk_conf_free(&c);
}

static const char *
samples(const char *name, const char *times[], const long long mwh[],
    size_t n, const char *tail)
{
	char buf[4096];
	size_t i, len = 0;

	for (i = 0; i < n; i++)
		len += snprintf(buf + len, sizeof(buf) - len, "{\"type\":"
		    "\"sample\",\"v\":1,\"meter\":\"m1\",\"kind\":\"grid\","
		    "\"time\":\"%s\",\"exact\":false,\"import_mwh\":%lld,"
		    "\"export_mwh\":0}\n",
		    times[i], mwh[i]);
	snprintf(buf + len, sizeof(buf) - len, "%s", tail);
	return tmpfile_write(name, buf);
}

static void
test_store(void)
{
	const char *t1[] = { "2026-01-01T10:00:00Z", "2026-01-01T10:30:00Z" };
	const long long m1[] = { 1000000, 1400000 };
	const char *t2[] = { "2026-01-01T11:00:00Z", "2026-01-01T13:00:10Z" };
	const long long m2[] = { 1500000, 1900000 };
	struct dk_storeopt so;
	struct dk_conf c;
	struct dk_rules r;
	struct dk_err e = { 0 };
	struct dk_key k;
	struct got g;
	char *files[2], f1[300], f2[300], kp[300];
	json_t *o;

	CHECK_INT(dk_init(&e), 0);
	CHECK_INT(dk_key_generate(&k, &e), 0);
	snprintf(kp, sizeof(kp), "%s/meter.key", ck_tmp);
	CHECK_INT(dk_key_write_sec(&k, kp, "test", 0, &e), 0);
	conf_open(&c, "tz: UTC\nslot_minutes: 30\nmeter:\n  id: m1\n"
	    "  key: meter.key\nstate: s.db\n", NULL, 0);
	CHECK_INT(dk_home_rules(&c, &r, &e), 0);
	snprintf(f1, sizeof(f1), "%s", samples("1.jsonl", t1, m1, 2, ""));
	snprintf(f2, sizeof(f2), "%s", samples("2.jsonl", t2, m2, 2, ""));
	files[0] = f1;
	files[1] = f2;

	got_init(&g);
	memset(&so, 0, sizeof(so));
	so.driver = "samples";
	CHECK((so.drv = dk_driver_find("samples")) != NULL);
	so.conf = &c;
	so.rules = &r;
	so.meter = "m1";
	so.files = files;
	so.nfiles = 2;
	so.out = out;
	so.warn = warn;
	so.ctx = &g;
	CHECKF(dk_store_run(&so, &e) == 0, "%s", e.msg);
	/* two readings, then a gap of four slots, said */
	CHECK_INT(json_array_size(g.recs), 3);
	CHECK_INT(g.flushes, 1);
	CHECK_HAS(nth(&g, 0), "\"import_wh\":400,");
	CHECK_HAS(nth(&g, 0), "\"sig\":");
	CHECK_HAS(nth(&g, 1), "\"import_wh\":100,");
	CHECK_HAS(nth(&g, 2), "\"type\":\"gap\"");
	CHECK_INT(g.warned, 1);
	CHECK_STR(g.warning, "meter m1: slots 2026-01-01T11:00:00+00:00 to "
	    "2026-01-01T12:30:00+00:00: a gap of 4 slots, no reading: no "
	    "sample within the tolerance after one of its boundaries");
	/* signed with meter.key */
	CHECK((o = json_loads(nth(&g, 0), 0, NULL)) != NULL);
	CHECK_INT(dk_verify_record(o, k.pk, &e), 0);
	json_decref(o);

	/* again: nothing new, nothing delivered again */
	so.nfiles = 1;
	CHECK_INT(dk_store_run(&so, &e), 0);
	CHECK_INT(json_array_size(g.recs), 3);

	/* a driver that fails part way: what it said before is kept,
	 * walked and delivered, and then its failure told */
	files[0] = (char *)samples("3.jsonl", (const char *[]){
	    "2026-01-01T13:30:00Z" }, (const long long []){ 2000000 }, 1,
	    "{\"type\":\"sample\"}\n");
	CHECK_INT(dk_store_run(&so, &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "3.jsonl:2");
	CHECK_INT(json_array_size(g.recs), 4);
	CHECK_HAS(nth(&g, 3), "\"import_wh\":100,");
	CHECK_HAS(nth(&g, 3), "\"slot\":\"2026-01-01T13:00:00+00:00\"");
	json_decref(g.recs);

	/* -p: the samples as records, nothing stored */
	got_init(&g);
	CHECK_INT(dk_drv_file(&c, f1, &e), 0);
	CHECK_INT(dk_store_probe(&so, put, &g, &e), 0);
	CHECK_INT(json_array_size(g.recs), 2);
	CHECK_HAS(nth(&g, 0), "\"meter\":\"m1\"");
	CHECK_HAS(nth(&g, 0), "\"type\":\"sample\"");
	CHECK_HAS(nth(&g, 1), "\"import_mwh\":1400000");
	json_decref(g.recs);
	dk_key_free(&k);
	dk_conf_free(&c);
}

/* dk_stdout_line into a file: whole lines, on the disk at the end of a
 * batch. */
static void
test_stdout(void)
{
	struct dk_err e = { 0 };
	char path[300], *s;
	int saved;

	snprintf(path, sizeof(path), "%s/out.jsonl", ck_tmp);
	fflush(stdout);
	saved = dup(1);
	CHECK(freopen(path, "w", stdout) != NULL);
	CHECK_INT(dk_stdout_line(NULL, "{\"a\":1}", &e), 0);
	CHECK_INT(dk_stdout_line(NULL, "{\"b\":2}", &e), 0);
	CHECK_INT(dk_stdout_line(NULL, NULL, &e), 0);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	s = slurp(path, NULL);
	CHECK_STR(s, "{\"a\":1}\n{\"b\":2}\n");
	free(s);
}

static char *
at(const char *name)
{
	static char p[300];

	snprintf(p, sizeof(p), "%s/%s", ck_tmp, name);
	return p;
}

static int
mode(const char *name)
{
	struct stat st;

	return stat(at(name), &st) == 0 ? (int)(st.st_mode & 07777) : -1;
}

/* The device key (devkey.c): where it is, made once with its modes, read
 * again the same, refused when others may read it or when damaged;
 * meter.sign: no and no configuration file sign nothing. */
static void
test_devkey(void)
{
	char *no[] = { "meter.sign=no" }, *maybe[] = { "meter.sign=maybe" };
	struct dk_devkey d, d2;
	struct dk_conf c;
	struct dk_err e = { 0 };
	unsigned char pk[32];
	struct dk_key pub;

	/* the default: METER.key beside the configuration, made once */
	conf_open(&c, "meter:\n  id: dk1\n", NULL, 0);
	CHECKF(dk_devkey_open(&d, &c, "dk1", &e) == 0, "%s", e.msg);
	CHECK_STR(d.path, at("dk1.key"));
	CHECK_STR(d.pub, at("dk1.pub"));
	CHECK_INT(d.made, 1);
	CHECK_INT(mode("dk1.key"), 0600);
	CHECK_INT(mode("dk1.pub"), 0644);
	memcpy(pk, d.key.pk, 32);
	CHECK_INT(dk_key_read_pub(&pub, at("dk1.pub"), &e), 0);
	CHECK(memcmp(pub.pk, pk, 32) == 0);
	CHECK(memcmp(pub.keynum, d.key.keynum, 8) == 0);
	dk_devkey_free(&d);
	/* the next open reads the same key, and makes nothing */
	CHECKF(dk_devkey_open(&d2, &c, "dk1", &e) == 0, "%s", e.msg);
	CHECK_INT(d2.made, 0);
	CHECK(memcmp(d2.key.pk, pk, 32) == 0);
	dk_devkey_free(&d2);

	/* others may read it: refused, with the chmod to run */
	chmod(at("dk1.key"), 0640);
	CHECK_INT(dk_devkey_open(&d, &c, "dk1", &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_HAS(e.msg, "permissions 0640 are too open");
	dk_devkey_free(&d);
	chmod(at("dk1.key"), 0600);

	/* damaged: refused, never replaced */
	tmpfile_write("dk1.key", "untrusted comment: x\nRWQ\n");
	chmod(at("dk1.key"), 0600);
	CHECK_INT(dk_devkey_open(&d, &c, "dk1", &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "dk1.key:2: not an Ed25519 secret key");
	CHECK_INT(d.made, 0);
	dk_devkey_free(&d);
	dk_conf_free(&c);

	/* meter.key named: its public half is NAME.pub, .key or not */
	conf_open(&c, "meter:\n  key: dev\n", NULL, 0);
	CHECKF(dk_devkey_open(&d, &c, "dk2", &e) == 0, "%s", e.msg);
	CHECK_STR(d.path, at("dev"));
	CHECK_STR(d.pub, at("dev.pub"));
	CHECK_INT(mode("dev"), 0600);
	dk_devkey_free(&d);
	dk_conf_free(&c);

	/* meter.sign: no, or no configuration file: nothing */
	conf_open(&c, "meter:\n  id: dk3\n", no, 1);
	CHECK_INT(dk_devkey_open(&d, &c, "dk3", &e), 0);
	CHECK(d.path == NULL);
	CHECK_INT(mode("dk3.key"), -1);
	dk_devkey_free(&d);
	dk_conf_free(&c);
	conf_open(&c, "meter:\n  id: dk3\n", maybe, 1);
	CHECK_INT(dk_devkey_open(&d, &c, "dk3", &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_STR(e.msg, "meter.sign: must be yes or no, got \"maybe\"");
	dk_devkey_free(&d);
	dk_conf_free(&c);
	CHECK_INT(dk_conf_open(&c, NULL, DK_CONF_HOME, NULL, 0, &e), 0);
	CHECK_INT(dk_devkey_open(&d, &c, "dk3", &e), 0);
	CHECK(d.path == NULL);
	dk_devkey_free(&d);
	dk_conf_free(&c);

}

int
main(void)
{
	tmpdir_make("denki-test-store");
	test_home();
	test_devkey();
	test_read();
	test_store();
	test_stdout();
	tmpdir_remove();
	return check_done("test-store");
}
