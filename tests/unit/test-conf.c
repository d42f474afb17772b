/* Unit tests for lib/core/conf.c: YAML settings flattened to dotted keys. */
#include <ctype.h>
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
	    "sim.load_w:\n"
	    "slot_minutes: 30\n"
	    "sim.seed: -5\n"
	    "sim.slots: 99999999999999999999\n"
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
	CHECK_STR(dk_conf_str(&c, "sim.load_w", NULL), "");
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
	CHECK_INT(dk_conf_int(&c, "sim.pv_peak_w", 77, 0, 10, &v, &e), 0);
	CHECK_INT(v, 77);	/* the default, even outside the range */
	CHECK_INT(dk_conf_int(&c, "sim.seed", 0, -10, 10, &v, &e), 0);
	CHECK_INT(v, -5);
	memset(&e, 0, sizeof(e));
	v = 4;
	CHECK_INT(dk_conf_int(&c, "prices.fee", 0, 0, DK_MAX_PRICE, &v, &e),
	    -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_INT(v, 4);
	{
		char want[512];

		snprintf(want, sizeof(want), "%s:9: prices.fee: must be an "
		    "integer, got \"12,3\"", path("coop.yaml"));
		CHECK_STR(e.msg, want);
		CHECK_INT(dk_conf_int(&c, "slot_minutes", 0, 1, 15, &v, &e),
		    -1);
		snprintf(want, sizeof(want), "%s:19: slot_minutes: must be "
		    "from 1 to 15, got 30", path("coop.yaml"));
		CHECK_STR(e.msg, want);
	}
	CHECK_INT(dk_conf_int(&c, "sim.seed", 0, 0, 10, &v, &e), -1);
	CHECK_INT(dk_conf_int(&c, "sim.slots", 0, 0, DK_MAX_SAFE_INT, &v, &e),
	    -1);
	CHECK_HAS(e.msg, "must be an integer");
	CHECK_INT(dk_conf_int(&c, "sim.load_w", 0, 0, 10, &v, &e), -1);
	CHECK_HAS(e.msg, "sim.load_w: must be an integer, got \"\"");
	/* a program may read only what the table knows */
	CHECK_INT(dk_conf_int(&c, "prices.deep.deeper.x", 0, 0, 10, &v, &e),
	    -1);
	CHECK_INT(e.status, DK_EX_SOFTWARE);
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
	char *const defs[] = { "ledger=other.jsonl", "meter.id=1" };
	char *const bad[] = { "tz=UTC", "broken" };
	const int any = DK_CONF_COOP | DK_CONF_HOME;

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
	CHECK_INT(dk_conf_open(&c, "sub/home.yaml", any, defs, 2, &e), 0);
	CHECK_STR(dk_conf_str(&c, "ledger", NULL), "other.jsonl");
	CHECK_STR(dk_conf_str(&c, "meter.id", NULL), "1");
	CHECK_STR(dk_conf_str(&c, "key", NULL), "../k.key");
	dk_conf_free(&c);
	memset(&e, 0, sizeof(e));
	CHECK_INT(dk_conf_open(&c, "sub/home.yaml", any, bad, 2, &e), -1);
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

/* dk_conf_open of a file of this kind, which must fail with 78 and say
 * msg; with NULL msg, it must load. */
static void
open_check(int kind, const char *text, char *const *defs, size_t ndefs,
    const char *msg, int line)
{
	struct dk_conf c;
	struct dk_err e;
	int rc;

	tmpfile_write("k.yaml", text);
	memset(&e, 0, sizeof(e));
	rc = dk_conf_open(&c, path("k.yaml"), kind, defs, ndefs, &e);
	if (msg == NULL) {
		CHECKF(rc == 0, "line %d: refused: %s", line, e.msg);
		if (rc == 0)
			dk_conf_free(&c);
		return;
	}
	CHECKF(rc == -1 && e.status == DK_EX_CONFIG, "line %d: rc %d, "
	    "status %d", line, rc, e.status);
	CHECKF(strstr(e.msg, msg) != NULL, "line %d: message \"%s\" lacks "
	    "\"%s\"", line, e.msg, msg);
	CHECK(c.n == 0 && c.key == NULL);
}
#define OPEN_OK(k, t) open_check((k), (t), NULL, 0, NULL, __LINE__)
#define OPEN_BAD(k, t, m) open_check((k), (t), NULL, 0, (m), __LINE__)
#define OPEN_BAD_D(k, t, d, m) open_check((k), (t), (d), 1, (m), __LINE__)

static void
test_checked(void)
{
	const int coop = DK_CONF_COOP, home = DK_CONF_HOME;
	char *const fe[] = { "prices.fe=1" };
	char *const dev[] = { "ledger=/dev/null" };
	char *const folder[] = { "state=." };
	char want[512];

	OPEN_OK(coop, "ledger: l.jsonl\nprices:\n  fee: 1\n"
	    "links:\n  t1:\n    zones: [a, b]\n    capacity_wh: 5\n");
	OPEN_BAD(coop, "prices:\n  retail: 1\n  fe: 5000\n",
	    "k.yaml:3: prices.fe: unknown setting; did you mean prices.fee?");
	OPEN_BAD(coop, "fee: 5000\n",
	    ":1: fee: unknown setting; did you mean prices.fee?");
	OPEN_BAD(coop, "slot_minute: 30\n",
	    ":1: slot_minute: unknown setting; did you mean slot_minutes?");
	OPEN_BAD(coop, "links:\n  t1:\n    zone: [a, b]\n",
	    ":3: links.t1.zone: unknown setting; did you mean links.t1.zones?");
	OPEN_BAD(coop, "links:\n  t1:\n    kv: 6600\n",
	    ":3: links.t1.kv: unknown setting (zones, capacity_wh, wheeling)");
	OPEN_BAD(coop, "prices:\n  fx: 1\n",
	    ":2: prices.fx: unknown setting (imbalance, tolerance_wh, "
	    "tolerance_pct, fee_bps, fee_payer, monthly_fee, retail, buyback, "
	    "fee)");
	OPEN_BAD(coop, "xyzzy: 1\n",
	    ":1: xyzzy: unknown setting (denki-formats(5), CONFIGURATION)");
	OPEN_BAD(home, "ledger: l.jsonl\n", ":1: ledger: a setting of the "
	    "cooperative's file, not of a household's");
	OPEN_BAD(coop, "tz: UTC\nkey: a.key\n", ":2: key: a setting of a "
	    "household's file, not of the cooperative's");
	/* in a household's file, the nearest of a household's settings */
	OPEN_BAD(home, "statee: x.db\n", "did you mean state?");
	OPEN_BAD_D(coop, "tz: UTC\n", fe,
	    "-D: prices.fe: unknown setting; did you mean prices.fee?");

	OPEN_BAD(coop, "tz: UTC\ntz: Asia/Tokyo\n",
	    ":2: tz: given twice (first at line 1)");
	OPEN_BAD(coop, "prices:\n  fee: 1\n  fee: 2\n",
	    ":3: prices.fee: given twice (first at line 2)");
	OPEN_BAD(coop, "prices:\n  fee: 1\nprices:\n  retail: 2\n",
	    ":3: prices: given twice (first at line 1)");
	OPEN_BAD(coop, "prices.fee: 1\nprices:\n  fee: 2\n",
	    ":2: prices: collides with prices.fee at line 1");
	OPEN_BAD(coop, "prices:\n  retail: 2\nprices.fee: 1\n",
	    ":3: prices.fee: collides with prices at line 1");

	OPEN_BAD(coop, "prices:\n  fee: &f 1\n  retail: *f\n",
	    ":2: an anchor (&name): not allowed");
	OPEN_BAD(coop, "prices: &p\n  fee: 1\n", ":1: an anchor (&name)");
	OPEN_BAD(coop, "prices:\n  fee: !!int 1\n", ":2: a tag (!name)");
	OPEN_BAD(coop, "meters: !!seq [a]\n", ":1: a tag (!name)");
	OPEN_BAD(coop, "prices:\n  <<: {fee: 1}\n", ":2: a merge key (<<)");
	OPEN_BAD(coop, "a: &a [x]\nb: *a\n", "an anchor");
	OPEN_BAD(coop, "b: *a\n", "k.yaml:1:");

	OPEN_BAD(coop, "slot_minutes: 0\n",
	    ":1: slot_minutes: must be from 1 to 1440, got 0");
	OPEN_BAD(coop, "prices:\n  fee: 5,000\n",
	    ":2: prices.fee: must be an integer, got \"5,000\"");
	OPEN_BAD(home, "meter:\n  dsmr:\n    baud: 100\n",
	    ":3: meter.dsmr.baud: must be from 1200 to 230400, got 100");

	snprintf(want, sizeof(want), ":1: ledger: %s/.: not a regular file "
	    "(a folder)", dir);
	OPEN_BAD(coop, "ledger: .\n", want);
	OPEN_BAD(coop, "ledger: /dev/zero\n",
	    ":1: ledger: /dev/zero: not a regular file (a device)");
	OPEN_BAD_D(coop, "tz: UTC\n", dev,
	    "-D: ledger: /dev/null: not a regular file (a device)");
	OPEN_BAD_D(home, "tz: UTC\n", folder,
	    "-D: state: .: not a regular file (a folder)");
	OPEN_BAD(coop, "terms:\n", ":1: terms: must be the path of a file");
	mkfifo(path("fifo"), 0600);
	OPEN_BAD(home, "key: fifo\n", "not a regular file (a fifo)");
	unlink(path("fifo"));
	/* -D replaces the file's value, and only what is used is checked */
	{
		char *const good[] = { "ledger=l.jsonl" };
		open_check(coop, "ledger: /dev/zero\n", good, 1, NULL,
		    __LINE__);
	}
}

/*
 * denki-formats(5), CONFIGURATION, lists every setting of the table, in
 * four tag lists: the cooperative's, those of both files, a household's,
 * the meter drivers' (a household's).  An integer's item gives its range
 * as "MIN to MAX", a path's says "path", a list's says "list".
 */
static void
man_item(const char *name, const char *text, int kinds, char *seen)
{
	const struct dk_confkey *t;
	size_t n, i;
	char range[128];

	t = dk_conf_keys(&n);
	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			break;
	CHECKF(i < n, "denki-formats(5) lists %s, which the table has not",
	    name);
	if (i == n)
		return;
	CHECKF(!seen[i], "denki-formats(5) lists %s twice", name);
	seen[i] = 1;
	CHECKF(t[i].kinds == kinds, "%s: kinds %d in the table, %d in "
	    "denki-formats(5)", name, t[i].kinds, kinds);
	snprintf(range, sizeof(range), "%lld to %lld", t[i].min, t[i].max);
	if (t[i].type == DK_CONF_INT) {
		const char *r = text;
		size_t len = strlen(range);

		/* the whole numbers: "1 to 60" is not in "1 to 600" */
		while ((r = strstr(r, range)) != NULL && ((r > text &&
		    isdigit((unsigned char)r[-1])) ||
		    isdigit((unsigned char)r[len])))
			r++;
		CHECKF(r != NULL, "denki-formats(5): %s: \"%s\" is not said "
		    "in \"%s\"", name, range, text);
	}
	if (t[i].type == DK_CONF_PATH)
		CHECKF(strstr(text, "path") != NULL, "denki-formats(5): %s: "
		    "not said to be a path", name);
	if (t[i].type == DK_CONF_LIST)
		CHECKF(strstr(text, "list") != NULL, "denki-formats(5): %s: "
		    "not said to be a list", name);
}

static void
test_man(void)
{
	static const int kinds[] = { DK_CONF_COOP,
	    DK_CONF_COOP | DK_CONF_HOME, DK_CONF_HOME, DK_CONF_HOME };
	const struct dk_confkey *t;
	char line[1024], name[256] = "", text[4096] = "", *tok, *sp;
	char seen[256] = { 0 };
	int in = 0, depth = 0, list = -1, tag = 0;
	size_t n, i;
	FILE *fp;

	t = dk_conf_keys(&n);
	CHECK(n < sizeof(seen));
	/* run from the top of the tree, as make check does */
	if ((fp = fopen("man/denki-formats.5", "r")) == NULL) {
		CHECKF(0, "man/denki-formats.5: cannot open");
		return;
	}
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, ".Sh ", 4) == 0) {
			in = strcmp(line, ".Sh CONFIGURATION") == 0;
			continue;
		}
		if (!in)
			continue;
		if (strncmp(line, ".Bl ", 4) == 0) {
			if (depth++ == 0 && (tag = strstr(line, "-tag") !=
			    NULL))
				list++;
			continue;
		}
		if ((strcmp(line, ".El") == 0 || (strncmp(line, ".It", 3) ==
		    0 && depth == 1)) && tag && name[0] != '\0' &&
		    list >= 0 && list < 4) {
			man_item(name, text, kinds[list], seen);
			name[0] = text[0] = '\0';
		}
		if (strcmp(line, ".El") == 0) {
			depth--;
			continue;
		}
		if (strncmp(line, ".It ", 4) == 0 && depth == 1 && tag) {
			/* .It Cm links . Ns Ar NAME Ns Cm .zones */
			name[0] = '\0';
			for (tok = strtok_r(line + 4, " ", &sp); tok != NULL;
			    tok = strtok_r(NULL, " ", &sp)) {
				if (strcmp(tok, "Cm") == 0 ||
				    strcmp(tok, "Ns") == 0)
					continue;
				if (strcmp(tok, "Ar") == 0) {
					tok = strtok_r(NULL, " ", &sp);
					strcat(name, "*");
					continue;
				}
				if (strlen(name) + strlen(tok) < 200)
					strcat(name, tok);
			}
			continue;
		}
		if (depth >= 1 && name[0] != '\0' &&
		    strlen(text) + strlen(line) + 2 < sizeof(text)) {
			strcat(text, " ");
			strcat(text, line);
		}
	}
	fclose(fp);
	CHECKF(list == 3, "denki-formats(5), CONFIGURATION: %d lists of "
	    "settings, want 4", list + 1);
	for (i = 0; i < n; i++)
		CHECKF(seen[i], "the table's %s is not in denki-formats(5), "
		    "CONFIGURATION", t[i].name);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "%s", tmpdir_make("test-conf"));
	test_load();
	test_relative_and_none();
	test_bad();
	test_checked();
	test_man();
	tmpdir_remove();
	return check_done("test-conf");
}
