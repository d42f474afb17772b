/* Unit tests for lib/conf.c: YAML settings flattened to dotted keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "denki.h"
#include "check.h"

static char dir[64];

static const char *
path(const char *name)
{
	static char p[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, name);
	return p[k];
}

static void
test_load(void)
{
	struct dk_conf c;
	struct dk_err e;
	char *p;
	long long v;

	tmpfile_write("coop.yaml",
	    "# a comment\n"
	    "ledger: ledger.jsonl\n"
	    "operator:\n"
	    "  key: keys/operator.key\n"
	    "  pub: /etc/denki/operator.pub\n"
	    "prices:\n"
	    "  retail: 300000\n"
	    "  buyback: \"100000\"\n"
	    "  fee: 12,3\n"
	    "  deep:\n"
	    "    deeper:\n"
	    "      x: 1\n"
	    "meters: [a, b, c]\n"
	    "block:\n"
	    "  - one\n"
	    "  - 'two, three'\n"
	    "none: []\n"
	    "empty:\n"
	    "slot_minutes: 30\n"
	    "neg: -5\n"
	    "big: 99999999999999999999\n"
	    "tz: Europe/Berlin\n");
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_conf_load(&c, path("coop.yaml"), &e), 0);
	CHECK_STR(c.path, path("coop.yaml"));
	CHECK_STR(c.dir, dir);
	CHECK_STR(dk_conf_str(&c, "ledger", NULL), "ledger.jsonl");
	CHECK_STR(dk_conf_str(&c, "operator.key", NULL), "keys/operator.key");
	CHECK_STR(dk_conf_str(&c, "operator.pub", NULL),
	    "/etc/denki/operator.pub");
	CHECK_STR(dk_conf_str(&c, "prices.retail", NULL), "300000");
	CHECK_STR(dk_conf_str(&c, "prices.buyback", NULL), "100000");
	CHECK_STR(dk_conf_str(&c, "prices.deep.deeper.x", NULL), "1");
	CHECK_STR(dk_conf_str(&c, "meters", NULL), "a,b,c");
	CHECK_STR(dk_conf_str(&c, "block", NULL), "one,two, three");
	CHECK_STR(dk_conf_str(&c, "none", NULL), "");
	CHECK_STR(dk_conf_str(&c, "empty", NULL), "");
	CHECK_STR(dk_conf_str(&c, "tz", NULL), "Europe/Berlin");
	/* mappings are not values themselves */
	CHECK(dk_conf_str(&c, "operator", NULL) == NULL);
	CHECK(dk_conf_str(&c, "prices.deep", NULL) == NULL);
	CHECK_STR(dk_conf_str(&c, "missing", "dflt"), "dflt");
	CHECK(dk_conf_str(&c, "missing", NULL) == NULL);
	CHECK_INT(c.n, 15);

	/* integers */
	v = -1;
	CHECK_INT(dk_conf_int(&c, "prices.retail", 0, 0, DK_MAX_PRICE, &v,
	    &e), 0);
	CHECK_INT(v, 300000);
	CHECK_INT(dk_conf_int(&c, "prices.buyback", 0, 0, DK_MAX_PRICE, &v,
	    &e), 0);
	CHECK_INT(v, 100000);
	CHECK_INT(dk_conf_int(&c, "absent", 77, 0, 10, &v, &e), 0);
	CHECK_INT(v, 77);	/* the default, even outside the range */
	CHECK_INT(dk_conf_int(&c, "neg", 0, -10, 10, &v, &e), 0);
	CHECK_INT(v, -5);
	memset(&e, 0, sizeof(e));
	v = 4;
	CHECK_INT(dk_conf_int(&c, "prices.fee", 0, 0, DK_MAX_PRICE, &v, &e),
	    -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_INT(v, 4);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s: prices.fee: must be an "
		    "integer, got \"12,3\"", path("coop.yaml"));
		CHECK_STR(e.msg, want);
		CHECK_INT(dk_conf_int(&c, "slot_minutes", 0, 1, 15, &v, &e),
		    -1);
		snprintf(want, sizeof(want), "%s: slot_minutes: must be from "
		    "1 to 15, got 30", path("coop.yaml"));
		CHECK_STR(e.msg, want);
	}
	CHECK_INT(dk_conf_int(&c, "neg", 0, 0, 10, &v, &e), -1);
	CHECK_INT(dk_conf_int(&c, "big", 0, 0, DK_MAX_SAFE_INT, &v, &e), -1);
	CHECK_HAS(e.msg, "must be an integer");
	CHECK_INT(dk_conf_int(&c, "empty", 0, 0, 10, &v, &e), -1);
	CHECK_HAS(e.msg, "empty: must be an integer, got \"\"");
	CHECK_INT(dk_conf_int(&c, "tz", 0, 0, 10, &v, &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);

	/* -D key=value replaces a setting or adds one */
	CHECK_INT(dk_conf_set(&c, "prices.retail=250000", &e), 0);
	CHECK_STR(dk_conf_str(&c, "prices.retail", NULL), "250000");
	CHECK_INT(dk_conf_int(&c, "prices.retail", 0, 0, DK_MAX_PRICE, &v,
	    &e), 0);
	CHECK_INT(v, 250000);
	CHECK_INT(dk_conf_set(&c, "new.key=a=b", &e), 0);
	CHECK_STR(dk_conf_str(&c, "new.key", NULL), "a=b");
	CHECK_INT(dk_conf_set(&c, "meters=", &e), 0);
	CHECK_STR(dk_conf_str(&c, "meters", NULL), "");
	CHECK_INT(c.n, 16);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_conf_set(&c, "novalue", &e), -1);
	CHECK_INT(e.status, DK_EX_USAGE);
	CHECK_STR(e.msg, "-D novalue: must be key=value");
	CHECK_INT(dk_conf_set(&c, "=x", &e), -1);
	CHECK_INT(e.status, DK_EX_USAGE);
	CHECK_INT(c.n, 16);

	/* paths resolve against the file's folder, unless absolute */
	p = dk_conf_path(&c, "ledger", NULL);
	CHECK_STR(p, path("ledger.jsonl"));
	free(p);
	p = dk_conf_path(&c, "operator.key", NULL);
	CHECK_STR(p, path("keys/operator.key"));
	free(p);
	p = dk_conf_path(&c, "operator.pub", NULL);
	CHECK_STR(p, "/etc/denki/operator.pub");
	free(p);
	p = dk_conf_path(&c, "state", "home.db");	/* the default too */
	CHECK_STR(p, path("home.db"));
	free(p);
	CHECK(dk_conf_path(&c, "state", NULL) == NULL);
	/* a path given on the command line is the user's: relative to the cwd */
	CHECK_INT(dk_conf_set(&c, "ledger=other/ledger.jsonl", &e), 0);
	p = dk_conf_path(&c, "ledger", NULL);
	CHECK_STR(p, "other/ledger.jsonl");
	free(p);
	dk_conf_free(&c);
	CHECK_INT(c.n, 0);
	CHECK(c.key == NULL && c.path == NULL && c.dir == NULL);
}

static void
test_relative_and_none(void)
{
	struct dk_conf c;
	struct dk_err e;
	char *p, cwd[1024];
	char *const defs[] = { "ledger=other.jsonl", "x.y=1" };
	char *const bad[] = { "ok=1", "broken" };

	memset(&e, 0, sizeof(e));
	/* no file: nothing set, paths as given */
	CHECK_INT(dk_conf_load(&c, NULL, &e), 0);
	CHECK_INT(c.n, 0);
	CHECK(c.path == NULL);
	CHECK_STR(c.dir, ".");
	CHECK_INT(dk_conf_set(&c, "ledger=l.jsonl", &e), 0);
	p = dk_conf_path(&c, "ledger", NULL);
	CHECK_STR(p, "l.jsonl");
	free(p);
	dk_conf_free(&c);

	/* a file named relative to the current folder */
	if (getcwd(cwd, sizeof(cwd)) == NULL || chdir(dir) < 0) {
		CHECK(0);
		return;
	}
	mkdir("sub", 0755);
	tmpfile_write("sub/home.yaml", "ledger: ledger.jsonl\nkey: ../k.key\n");
	CHECK_INT(dk_conf_load(&c, "sub/home.yaml", &e), 0);
	CHECK_STR(c.dir, "sub");
	p = dk_conf_path(&c, "ledger", NULL);
	CHECK_STR(p, "sub/ledger.jsonl");
	free(p);
	p = dk_conf_path(&c, "key", NULL);
	CHECK_STR(p, "sub/../k.key");
	free(p);
	dk_conf_free(&c);
	tmpfile_write("here.yaml", "ledger: ledger.jsonl\n");
	CHECK_INT(dk_conf_load(&c, "here.yaml", &e), 0);
	p = dk_conf_path(&c, "ledger", NULL);
	CHECK_STR(p, "ledger.jsonl");
	free(p);
	dk_conf_free(&c);

	/* dk_conf_open: the file, then each -D in order */
	CHECK_INT(dk_conf_open(&c, "sub/home.yaml", defs, 2, &e), 0);
	CHECK_STR(dk_conf_str(&c, "ledger", NULL), "other.jsonl");
	CHECK_STR(dk_conf_str(&c, "x.y", NULL), "1");
	CHECK_STR(dk_conf_str(&c, "key", NULL), "../k.key");
	dk_conf_free(&c);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_conf_open(&c, "sub/home.yaml", bad, 2, &e), -1);
	CHECK_INT(e.status, DK_EX_USAGE);
	CHECK_INT(c.n, 0);	/* freed on failure */
	unlink("sub/home.yaml");
	rmdir("sub");
	if (chdir(cwd) < 0)
		CHECK(0);
}

static void
load_bad(const char *name, const char *text, int status, const char *msg,
    int line)
{
	struct dk_conf c;
	struct dk_err e;
	int rc;

	if (text != NULL)
		tmpfile_write(name, text);
	memset(&e, 0, sizeof(e));
	rc = dk_conf_load(&c, path(name), &e);
	CHECKF(rc == -1, "line %d: %s loaded", line, name);
	CHECKF(e.status == status, "line %d: %s: status %d, want %d", line,
	    name, e.status, status);
	CHECKF(strstr(e.msg, msg) != NULL, "line %d: %s: message \"%s\" "
	    "lacks \"%s\"", line, name, e.msg, msg);
	CHECKF(strstr(e.msg, name) != NULL, "line %d: message \"%s\" does "
	    "not name the file", line, e.msg);
	/* what was allocated before the failure is the caller's to free */
	dk_conf_free(&c);
}
#define LOAD_BAD(n, t, s, m) load_bad((n), (t), (s), (m), __LINE__)

static void
test_bad(void)
{
	LOAD_BAD("missing.yaml", NULL, DK_EX_NOINPUT, "No such file");
	LOAD_BAD("scalar.yaml", "just words\n", DK_EX_CONFIG,
	    ":1: must be a mapping of settings");
	LOAD_BAD("list.yaml", "- a\n- b\n", DK_EX_CONFIG,
	    "must be a mapping");
	LOAD_BAD("syntax.yaml", "a: b\n  c: [d\n", DK_EX_CONFIG,
	    "syntax.yaml:");
	LOAD_BAD("nested-list.yaml", "a:\n  - x: 1\n", DK_EX_CONFIG,
	    ":2: a: a list may hold only plain values");
	LOAD_BAD("key.yaml", "[a]: 1\n", DK_EX_CONFIG,
	    ":1: keys must be plain words");
	LOAD_BAD("deep.yaml", "a:\n b:\n  c:\n   d:\n    e:\n     f:\n"
	    "      g:\n       h:\n        i:\n         j:\n          k: 1\n",
	    DK_EX_CONFIG, "nested too deeply");
	LOAD_BAD("twodocs.yaml", "a: 1\n---\nb: 2\n", DK_EX_CONFIG,
	    "must be a mapping of settings");
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_make("test-conf"));
	test_load();
	test_relative_and_none();
	test_bad();
	tmpdir_remove();
	return check_done("test-conf");
}
