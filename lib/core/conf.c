/*
 * conf.c: the configuration as the programs see it: a file's settings
 * (conf-yaml.c) with the -D overrides, each checked (conf-keys.c), and
 * read back as text, integers and paths.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf-impl.h"

/* Where a setting came from, for messages: "coop.yaml:17" or "-D". */
const char *
dk_conf_where(const struct dk_conf *c, size_t i, char *buf, size_t n)
{
	if (i < c->n && c->line[i] > 0 && !c->cli[i])
		snprintf(buf, n, "%s:%zu", c->path, c->line[i]);
	else if (i < c->n && c->cli[i])
		snprintf(buf, n, "-D");
	else
		snprintf(buf, n, "%s", c->path ? c->path : "-D");
	return buf;
}

static size_t
dk_conf_index(const struct dk_conf *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->key[i], key) == 0)
			return i;
	return c->n;
}

int
dk_conf_put(struct dk_conf *c, const char *k, const char *v, size_t line)
{
	size_t i;
	char **nk, **nv, *nc;
	size_t *nl;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->key[i], k) == 0) {
			free(c->val[i]);
			c->val[i] = strdup(v);
			c->cli[i] = 0;
			c->line[i] = line;
			return c->val[i] == NULL ? -1 : 0;
		}
	nc = realloc(c->cli, c->n + 1);
	if (nc == NULL)
		return -1;
	c->cli = nc;
	c->cli[c->n] = 0;
	nl = realloc(c->line, (c->n + 1) * sizeof(*nl));
	if (nl == NULL)
		return -1;
	c->line = nl;
	c->line[c->n] = line;
	nk = realloc(c->key, (c->n + 1) * sizeof(*nk));
	if (nk == NULL)
		return -1;
	c->key = nk;
	nv = realloc(c->val, (c->n + 1) * sizeof(*nv));
	if (nv == NULL)
		return -1;
	c->val = nv;
	c->key[c->n] = strdup(k);
	c->val[c->n] = strdup(v);
	if (c->key[c->n] == NULL || c->val[c->n] == NULL)
		return -1;
	c->n++;
	return 0;
}

/* -D key=value: checked at once when the kind of file is known. */
int
dk_conf_set(struct dk_conf *c, const char *a, struct dk_err *e)
{
	const char *eq = strchr(a, '=');
	char key[256];
	size_t i;

	if (eq == NULL || eq == a || (size_t)(eq - a) >= sizeof(key))
		return dk_fail(e, DK_EX_USAGE,
		    "-D %s: must be key=value", a);
	memcpy(key, a, eq - a);
	key[eq - a] = '\0';
	if (dk_conf_put(c, key, eq + 1, 0) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	i = dk_conf_index(c, key);
	c->cli[i] = 1;
	if (c->kind != 0 && dk_conf_check(c, i, e) < 0)
		return -1;
	return 0;
}

const char *
dk_conf_str(const struct dk_conf *c, const char *key, const char *def)
{
	size_t i = dk_conf_index(c, key);

	return i < c->n ? c->val[i] : def;
}

int
dk_conf_int(const struct dk_conf *c, const char *key, long long def,
    long long min, long long max, long long *out, struct dk_err *e)
{
	size_t i = dk_conf_index(c, key);
	const char *s;
	char *end, w[300];
	long long v;

	if (dk_conf_find(key) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "%s: not in the table of "
		    "settings (lib/conf.c)", key);
	if (i == c->n) {
		*out = def;
		return 0;
	}
	s = c->val[i];
	dk_conf_where(c, i, w, sizeof(w));
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0)
		return dk_fail(e, DK_EX_CONFIG,
		    "%s: %s: must be an integer, got \"%.40s\"", w, key, s);
	if (v < min || v > max)
		return dk_fail(e, DK_EX_CONFIG,
		    "%s: %s: must be from %lld to %lld, got %lld", w, key,
		    min, max, v);
	*out = v;
	return 0;
}

/* A path setting, resolved against the configuration file's folder. */
char *
dk_conf_path(const struct dk_conf *c, const char *key, const char *def)
{
	const char *s = dk_conf_str(c, key, def);
	char *p = NULL;
	size_t i;

	if (s == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->key[i], key) == 0 && c->cli[i])
			return strdup(s);
	if (s[0] == '/' || c->dir == NULL || strcmp(c->dir, ".") == 0)
		return strdup(s);
	if (asprintf(&p, "%s/%s", c->dir, s) < 0)
		return NULL;
	return p;
}

void
dk_conf_free(struct dk_conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->key[i]);
		free(c->val[i]);
	}
	free(c->key);
	free(c->val);
	free(c->cli);
	free(c->line);
	free(c->path);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}

/*
 * The file (or none), then each -D key=value given on the command line,
 * every setting checked against the table for this kind of file
 * (DK_CONF_COOP or DK_CONF_HOME).
 */
int
dk_conf_open(struct dk_conf *c, const char *path, int kind,
    char *const *defs, size_t ndefs, struct dk_err *e)
{
	size_t i;

	if (dk_conf_load(c, path, e) < 0)
		goto fail;
	c->kind = kind;
	for (i = 0; i < ndefs; i++)
		if (dk_conf_set(c, defs[i], e) < 0)
			goto fail;
	for (i = 0; i < c->n; i++)
		if (!c->cli[i] && dk_conf_check(c, i, e) < 0)
			goto fail;
	return 0;
fail:
	dk_conf_free(c);
	return -1;
}

