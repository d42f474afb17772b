#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "denki.h"

/*
 * Configuration is YAML: a mapping whose nested mappings flatten to dotted
 * keys ("prices.retail") and whose sequences of scalars become one value
 * with the items joined by commas ("meters: [a, b]" is "a,b").  Settings
 * given on the command line (-D key=value) replace those of the file.
 */

static int
conf_put(struct dk_conf *c, const char *k, const char *v)
{
	size_t i;
	char **nk, **nv, *nc;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->key[i], k) == 0) {
			free(c->val[i]);
			c->val[i] = strdup(v);
			c->cli[i] = 0;
			return c->val[i] == NULL ? -1 : 0;
		}
	nc = realloc(c->cli, c->n + 1);
	if (nc == NULL)
		return -1;
	c->cli = nc;
	c->cli[c->n] = 0;
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

struct walk {
	yaml_parser_t p;
	struct dk_conf *c;
	const char *path;
	struct dk_err *e;
};

static int walk_map(struct walk *, const char *prefix, int depth);

static int
next(struct walk *w, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&w->p, ev))
		return dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: %s", w->path,
		    w->p.problem_mark.line + 1,
		    w->p.problem ? w->p.problem : "bad YAML");
	return 0;
}

static int
walk_seq(struct walk *w, const char *key)
{
	yaml_event_t ev;
	char *acc = NULL;
	size_t len = 0;

	for (;;) {
		if (next(w, &ev) < 0)
			goto fail;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			dk_fail(w->e, DK_EX_CONFIG,
			    "%s:%zu: %s: a list may hold only plain values",
			    w->path, ev.start_mark.line + 1, key);
			yaml_event_delete(&ev);
			goto fail;
		}
		{
			size_t n = ev.data.scalar.length;
			char *na = realloc(acc, len + n + 2);
			if (na == NULL) {
				yaml_event_delete(&ev);
				goto fail;
			}
			acc = na;
			if (len > 0)
				acc[len++] = ',';
			memcpy(acc + len, ev.data.scalar.value, n);
			len += n;
			acc[len] = '\0';
		}
		yaml_event_delete(&ev);
	}
	if (conf_put(w->c, key, acc != NULL ? acc : "") < 0) {
		dk_fail(w->e, DK_EX_SOFTWARE, "out of memory");
		goto fail;
	}
	free(acc);
	return 0;
fail:
	free(acc);
	return -1;
}

static int
walk_map(struct walk *w, const char *prefix, int depth)
{
	yaml_event_t ev, kev;
	char key[256];

	if (depth > 8)
		return dk_fail(w->e, DK_EX_CONFIG, "%s: nested too deeply",
		    w->path);
	for (;;) {
		if (next(w, &kev) < 0)
			return -1;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return 0;
		}
		if (kev.type != YAML_SCALAR_EVENT) {
			dk_fail(w->e, DK_EX_CONFIG,
			    "%s:%zu: keys must be plain words", w->path,
			    kev.start_mark.line + 1);
			yaml_event_delete(&kev);
			return -1;
		}
		snprintf(key, sizeof(key), "%s%s%s", prefix,
		    *prefix ? "." : "", (char *)kev.data.scalar.value);
		yaml_event_delete(&kev);
		if (next(w, &ev) < 0)
			return -1;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			if (conf_put(w->c, key,
			    (char *)ev.data.scalar.value) < 0) {
				yaml_event_delete(&ev);
				return dk_fail(w->e, DK_EX_SOFTWARE,
				    "out of memory");
			}
			yaml_event_delete(&ev);
			break;
		case YAML_MAPPING_START_EVENT:
			yaml_event_delete(&ev);
			if (walk_map(w, key, depth + 1) < 0)
				return -1;
			break;
		case YAML_SEQUENCE_START_EVENT:
			yaml_event_delete(&ev);
			if (walk_seq(w, key) < 0)
				return -1;
			break;
		default:
			dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: %s: unexpected "
			    "value", w->path, ev.start_mark.line + 1, key);
			yaml_event_delete(&ev);
			return -1;
		}
	}
}

int
dk_conf_load(struct dk_conf *c, const char *path, struct dk_err *e)
{
	struct walk w;
	yaml_event_t ev;
	FILE *fp;
	char *tmp;
	int rc = -1, started = 0;

	memset(c, 0, sizeof(*c));
	if (path == NULL) {
		c->dir = strdup(".");
		return 0;
	}
	if ((fp = fopen(path, "r")) == NULL)
		return dk_fail(e, errno == ENOENT ? DK_EX_NOINPUT :
		    DK_EX_CONFIG, "%s: %s", path, strerror(errno));
	c->path = strdup(path);
	tmp = strdup(path);
	c->dir = strdup(dirname(tmp));
	free(tmp);
	memset(&w, 0, sizeof(w));
	w.c = c;
	w.path = path;
	w.e = e;
	yaml_parser_initialize(&w.p);
	yaml_parser_set_input_file(&w.p, fp);
	for (;;) {
		if (next(&w, &ev) < 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_MAPPING_START_EVENT && !started) {
			yaml_event_delete(&ev);
			started = 1;
			if (walk_map(&w, "", 0) < 0)
				goto out;
			continue;
		}
		if (ev.type == YAML_SCALAR_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT ||
		    ev.type == YAML_MAPPING_START_EVENT) {
			dk_fail(e, DK_EX_CONFIG,
			    "%s:%zu: must be a mapping of settings", path,
			    ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			goto out;
		}
		yaml_event_delete(&ev);
	}
	rc = 0;
out:
	yaml_parser_delete(&w.p);
	fclose(fp);
	if (rc < 0)
		dk_conf_free(c);	/* nothing to free for a caller */
	return rc;
}

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
	if (conf_put(c, key, eq + 1) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	for (i = 0; i < c->n; i++)
		if (strcmp(c->key[i], key) == 0)
			c->cli[i] = 1;
	return 0;
}

const char *
dk_conf_str(const struct dk_conf *c, const char *key, const char *def)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->key[i], key) == 0)
			return c->val[i];
	return def;
}

int
dk_conf_int(const struct dk_conf *c, const char *key, long long def,
    long long min, long long max, long long *out, struct dk_err *e)
{
	const char *s = dk_conf_str(c, key, NULL);
	char *end;
	long long v;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0)
		return dk_fail(e, DK_EX_CONFIG,
		    "%s: %s: must be an integer, got \"%.40s\"",
		    c->path ? c->path : "-D", key, s);
	if (v < min || v > max)
		return dk_fail(e, DK_EX_CONFIG,
		    "%s: %s: must be from %lld to %lld, got %lld",
		    c->path ? c->path : "-D", key, min, max, v);
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
	free(c->path);
	free(c->dir);
	memset(c, 0, sizeof(*c));
}

/* The file (or none), then each -D key=value given on the command line. */
int
dk_conf_open(struct dk_conf *c, const char *path, char *const *defs,
    size_t ndefs, struct dk_err *e)
{
	size_t i;

	if (dk_conf_load(c, path, e) < 0)
		return -1;
	for (i = 0; i < ndefs; i++)
		if (dk_conf_set(c, defs[i], e) < 0) {
			dk_conf_free(c);
			return -1;
		}
	return 0;
}

/* A key file named by a setting: the secret key, or the public one. */
int
dk_conf_key(const struct dk_conf *c, const char *key, int secret,
    struct dk_key *k, struct dk_err *e)
{
	char *p = dk_conf_path(c, key, NULL);
	int rc;

	if (p == NULL)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: missing (the path "
		    "of a %s key file)", c->path ? c->path : "config", key,
		    secret ? "secret" : "public");
	rc = secret ? dk_key_read_sec(k, p, e) : dk_key_read_pub(k, p, e);
	free(p);
	return rc;
}
