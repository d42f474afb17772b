/*
 * test-devkey.c: the device key of lib/meter/devkey.c: where it is, made
 * once with its modes, read again the same, refused when others may read
 * it or when damaged; meter.sign: no and no configuration file sign nothing.
 */
#include <sys/stat.h>

#include "meter/meter.h"
#include "check.h"

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

int
main(void)
{
	char *no[] = { "meter.sign=no" }, *maybe[] = { "meter.sign=maybe" };
	struct dk_devkey d, d2;
	struct dk_conf c;
	struct dk_err e = { 0 };
	unsigned char pk[32];
	struct dk_key pub;

	tmpdir_make("test-devkey");

	/* the default: METER.key beside the configuration, made once */
	conf_open(&c, "meter:\n  id: m1\n", NULL, 0);
	CHECKF(dk_devkey_open(&d, &c, "m1", &e) == 0, "%s", e.msg);
	CHECK_STR(d.path, at("m1.key"));
	CHECK_STR(d.pub, at("m1.pub"));
	CHECK_INT(d.made, 1);
	CHECK_INT(mode("m1.key"), 0600);
	CHECK_INT(mode("m1.pub"), 0644);
	memcpy(pk, d.key.pk, 32);
	CHECK_INT(dk_key_read_pub(&pub, at("m1.pub"), &e), 0);
	CHECK(memcmp(pub.pk, pk, 32) == 0);
	CHECK(memcmp(pub.keynum, d.key.keynum, 8) == 0);
	dk_devkey_free(&d);
	/* the next open reads the same key, and makes nothing */
	CHECKF(dk_devkey_open(&d2, &c, "m1", &e) == 0, "%s", e.msg);
	CHECK_INT(d2.made, 0);
	CHECK(memcmp(d2.key.pk, pk, 32) == 0);
	dk_devkey_free(&d2);

	/* others may read it: refused, with the chmod to run */
	chmod(at("m1.key"), 0640);
	CHECK_INT(dk_devkey_open(&d, &c, "m1", &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_HAS(e.msg, "permissions 0640 are too open");
	dk_devkey_free(&d);
	chmod(at("m1.key"), 0600);

	/* damaged: refused, never replaced */
	tmpfile_write("m1.key", "untrusted comment: x\nRWQ\n");
	chmod(at("m1.key"), 0600);
	CHECK_INT(dk_devkey_open(&d, &c, "m1", &e), -1);
	CHECK_INT(e.status, DK_EX_DATAERR);
	CHECK_HAS(e.msg, "m1.key:2: not an Ed25519 secret key");
	CHECK_INT(d.made, 0);
	dk_devkey_free(&d);
	dk_conf_free(&c);

	/* meter.key named: its public half is NAME.pub, .key or not */
	conf_open(&c, "meter:\n  key: dev\n", NULL, 0);
	CHECKF(dk_devkey_open(&d, &c, "m2", &e) == 0, "%s", e.msg);
	CHECK_STR(d.path, at("dev"));
	CHECK_STR(d.pub, at("dev.pub"));
	CHECK_INT(mode("dev"), 0600);
	dk_devkey_free(&d);
	dk_conf_free(&c);

	/* meter.sign: no, or no configuration file: nothing */
	conf_open(&c, "meter:\n  id: m3\n", no, 1);
	CHECK_INT(dk_devkey_open(&d, &c, "m3", &e), 0);
	CHECK(d.path == NULL);
	CHECK_INT(mode("m3.key"), -1);
	dk_devkey_free(&d);
	dk_conf_free(&c);
	conf_open(&c, "meter:\n  id: m3\n", maybe, 1);
	CHECK_INT(dk_devkey_open(&d, &c, "m3", &e), -1);
	CHECK_INT(e.status, DK_EX_CONFIG);
	CHECK_STR(e.msg, "meter.sign: must be yes or no, got \"maybe\"");
	dk_devkey_free(&d);
	dk_conf_free(&c);
	CHECK_INT(dk_conf_open(&c, NULL, DK_CONF_HOME, NULL, 0, &e), 0);
	CHECK_INT(dk_devkey_open(&d, &c, "m3", &e), 0);
	CHECK(d.path == NULL);
	dk_devkey_free(&d);
	dk_conf_free(&c);

	tmpdir_remove();
	return check_done("test-devkey");
}
