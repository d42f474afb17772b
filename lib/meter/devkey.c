/*
 * devkey.c: the device key that signs a meter's readings (meter.key): where
 * it is, made on the first run (0600, its public half 0644 beside it), and
 * read on every run after, refused when others may read or own it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "meter.h"

#define COMMENT "denki device key of meter %s"

/*
 * Where the key is: meter.key, else METER.key beside the configuration
 * file; NULL (and 0) when readings are not to be signed: meter.sign is
 * "no", or there is no configuration file and no meter.key.
 */
static int
key_path(struct dk_devkey *d, const struct dk_conf *c, const char *meter,
    struct dk_err *e)
{
	const char *s = dk_conf_str(c, "meter.sign", "yes");
	char *def = NULL;
	size_t n;

	if (strcmp(s, "no") == 0)
		return 0;
	if (strcmp(s, "yes") != 0)
		return dk_fail(e, DK_EX_CONFIG, "meter.sign: must be yes or "
		    "no, got \"%.40s\"", s);
	if (dk_conf_str(c, "meter.key", NULL) == NULL && c->path == NULL)
		return 0;
	if (asprintf(&def, "%s.key", meter) < 0 ||
	    (d->path = dk_conf_path(c, "meter.key", def)) == NULL) {
		free(def);
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	}
	free(def);
	/* its public half: x.key's is x.pub, any other name's name.pub */
	n = strlen(d->path);
	if (n > 4 && strcmp(d->path + n - 4, ".key") == 0)
		n -= 4;
	if (asprintf(&d->pub, "%.*s.pub", (int)n, d->path) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	return 0;
}

/* A new key pair: the secret 0600, never over a file that came first
 * (another run that made it meanwhile: that one is read), then the
 * public half 0644. */
static int
make(struct dk_devkey *d, const char *meter, struct dk_err *e)
{
	struct dk_err we = { 0 };
	char comment[128];
	struct stat st;

	snprintf(comment, sizeof(comment), COMMENT, meter);
	if (dk_key_generate(&d->key, e) < 0)
		return -1;
	if (dk_key_write_sec(&d->key, d->path, comment, 0, &we) < 0) {
		dk_key_free(&d->key);
		if (lstat(d->path, &st) == 0)
			return 1;
		*e = we;
		return -1;
	}
	d->made = 1;
	if (dk_key_write_pub(&d->key, d->pub, comment, 1, e) < 0)
		return dk_failpre(e, "the device key %s was made, but not its "
		    "public half", d->path);
	return 0;
}

int
dk_devkey_open(struct dk_devkey *d, const struct dk_conf *c,
    const char *meter, struct dk_err *e)
{
	struct stat st;
	int rc;

	memset(d, 0, sizeof(*d));
	if (key_path(d, c, meter, e) < 0)
		return -1;
	if (d->path == NULL)
		return 0;
	if (dk_init(e) < 0)
		return -1;
	if (stat(d->path, &st) < 0 && errno == ENOENT &&
	    (rc = make(d, meter, e)) <= 0)
		return rc;
	if (stat(d->path, &st) < 0)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", d->path,
		    strerror(errno));
	/* a key another account owns is one that account can replace, and
	 * records it makes for the meter would be written under ours */
	if (st.st_uid != geteuid())
		return dk_fail(e, DK_EX_NOPERM, "%s: owned by uid %u, not by "
		    "uid %u that runs this: a device key must belong to the "
		    "account that signs with it", d->path,
		    (unsigned)st.st_uid, (unsigned)geteuid());
	if (dk_key_read_sec(&d->key, d->path, e) < 0)
		return dk_failpre(e, "meter.key");
	return 0;
}

/* The public key file's text, as -P prints it: for the enrolment request. */
char *
dk_devkey_pub_text(const struct dk_devkey *d, const char *meter,
    struct dk_err *e)
{
	char *b, *t = NULL;

	if (d->path == NULL) {
		dk_fail(e, DK_EX_CONFIG, "readings are not signed (meter.sign: "
		    "no, or no configuration file and no meter.key): there is "
		    "no device key");
		return NULL;
	}
	if ((b = dk_key_pub_b64(&d->key)) == NULL ||
	    asprintf(&t, "untrusted comment: " COMMENT "\n%s\n", meter,
	    b) < 0) {
		free(b);
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	free(b);
	return t;
}

void
dk_devkey_free(struct dk_devkey *d)
{
	dk_key_free(&d->key);
	free(d->path);
	free(d->pub);
	memset(d, 0, sizeof(*d));
}
