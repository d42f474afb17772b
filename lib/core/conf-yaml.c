/*
 * conf-yaml.c: a configuration file read: YAML, its nested mappings
 * flattened to dotted keys, each with the line it was written on.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "conf-impl.h"

/*
 * Configuration is YAML: a mapping whose nested mappings flatten to dotted
 * keys ("prices.retail") and whose sequences of scalars become one value
 * with the items joined by commas ("meters: [a, b]" is "a,b").  Settings
 * given on the command line (-D key=value) replace those of the file.
 *
 * Nothing is guessed: a key that is not in the table (conf-keys.c), a key given
 * twice (or as a dotted key and a nested one), a value out of its range,
 * and YAML's tags, anchors, aliases and merge keys are refused, naming the
 * file and the line.
 */

struct walk {
	yaml_parser_t p;
	struct dk_conf *c;
	const char *path;
	struct dk_err *e;
};

static int walk_map(struct walk *, const char *prefix, int depth);

/*
 * The next event, refusing what YAML could do behind the reader's back in
 * a file that moves money: tags (!!int, !foo), anchors (&a) and aliases
 * (*a), which also make billion laughs.  Merge keys (<<) are refused where
 * keys are read.
 */
static int
next(struct walk *w, yaml_event_t *ev)
{
	const char *what = NULL;

	if (!yaml_parser_parse(&w->p, ev))
		return dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: %s", w->path,
		    w->p.problem_mark.line + 1,
		    w->p.problem ? w->p.problem : "bad YAML");
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		what = "an alias (*name)";
		break;
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.anchor != NULL)
			what = "an anchor (&name)";
		else if (ev->data.scalar.tag != NULL)
			what = "a tag (!name)";
		break;
	case YAML_SEQUENCE_START_EVENT:
		if (ev->data.sequence_start.anchor != NULL)
			what = "an anchor (&name)";
		else if (ev->data.sequence_start.tag != NULL)
			what = "a tag (!name)";
		break;
	case YAML_MAPPING_START_EVENT:
		if (ev->data.mapping_start.anchor != NULL)
			what = "an anchor (&name)";
		else if (ev->data.mapping_start.tag != NULL)
			what = "a tag (!name)";
		break;
	default:
		break;
	}
	if (what != NULL) {
		dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: %s: not allowed in a "
		    "configuration (no tags, anchors, aliases or merge keys)",
		    w->path, ev->start_mark.line + 1, what);
		yaml_event_delete(ev);
		return -1;
	}
	return 0;
}

static int
walk_seq(struct walk *w, const char *key, size_t line)
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
	if (dk_conf_put(w->c, key, acc != NULL ? acc : "", line) < 0) {
		dk_fail(w->e, DK_EX_SOFTWARE, "out of memory");
		goto fail;
	}
	free(acc);
	return 0;
fail:
	free(acc);
	return -1;
}

/* The keys written in one mapping, to refuse one given twice, or a dotted
 * key ("prices.fee") beside the nested one it would mix with ("prices"). */
struct seen {
	size_t n;
	char **k;
	size_t *line;
};

static int
seen_add(struct walk *w, struct seen *s, const char *prefix, const char *k,
    size_t line)
{
	size_t i, a, b;
	char **nk;
	size_t *nl;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->k[i], k) == 0)
			return dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: %s%s%s: "
			    "given twice (first at line %zu)", w->path, line,
			    prefix, *prefix ? "." : "", k, s->line[i]);
		a = strlen(s->k[i]);
		b = strlen(k);
		if ((a < b && strncmp(s->k[i], k, a) == 0 && k[a] == '.') ||
		    (b < a && strncmp(s->k[i], k, b) == 0 && s->k[i][b] ==
		    '.'))
			return dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: %s%s%s: "
			    "collides with %s%s%s at line %zu; write one "
			    "mapping, dotted or nested, not both", w->path,
			    line, prefix, *prefix ? "." : "", k, prefix,
			    *prefix ? "." : "", s->k[i], s->line[i]);
	}
	if ((nk = realloc(s->k, (s->n + 1) * sizeof(*nk))) == NULL)
		return dk_fail(w->e, DK_EX_SOFTWARE, "out of memory");
	s->k = nk;
	if ((nl = realloc(s->line, (s->n + 1) * sizeof(*nl))) == NULL)
		return dk_fail(w->e, DK_EX_SOFTWARE, "out of memory");
	s->line = nl;
	if ((s->k[s->n] = strdup(k)) == NULL)
		return dk_fail(w->e, DK_EX_SOFTWARE, "out of memory");
	s->line[s->n++] = line;
	return 0;
}

static int
walk_map(struct walk *w, const char *prefix, int depth)
{
	struct seen seen = { 0, NULL, NULL };
	yaml_event_t ev, kev;
	char key[256];
	size_t line, i;
	int rc = -1;

	if (depth > 8)
		return dk_fail(w->e, DK_EX_CONFIG, "%s: nested too deeply",
		    w->path);
	for (;;) {
		if (next(w, &kev) < 0)
			goto out;
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			break;
		}
		line = kev.start_mark.line + 1;
		if (kev.type != YAML_SCALAR_EVENT) {
			dk_fail(w->e, DK_EX_CONFIG,
			    "%s:%zu: keys must be plain words", w->path, line);
			yaml_event_delete(&kev);
			goto out;
		}
		if (strcmp((char *)kev.data.scalar.value, "<<") == 0) {
			dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: a merge key (<<): "
			    "not allowed in a configuration (no tags, anchors, "
			    "aliases or merge keys)", w->path, line);
			yaml_event_delete(&kev);
			goto out;
		}
		if (seen_add(w, &seen, prefix, (char *)kev.data.scalar.value,
		    line) < 0) {
			yaml_event_delete(&kev);
			goto out;
		}
		snprintf(key, sizeof(key), "%s%s%s", prefix,
		    *prefix ? "." : "", (char *)kev.data.scalar.value);
		yaml_event_delete(&kev);
		if (next(w, &ev) < 0)
			goto out;
		switch (ev.type) {
		case YAML_SCALAR_EVENT:
			if (dk_conf_put(w->c, key,
			    (char *)ev.data.scalar.value, line) < 0) {
				yaml_event_delete(&ev);
				dk_fail(w->e, DK_EX_SOFTWARE, "out of memory");
				goto out;
			}
			yaml_event_delete(&ev);
			break;
		case YAML_MAPPING_START_EVENT:
			yaml_event_delete(&ev);
			if (walk_map(w, key, depth + 1) < 0)
				goto out;
			break;
		case YAML_SEQUENCE_START_EVENT:
			yaml_event_delete(&ev);
			if (walk_seq(w, key, line) < 0)
				goto out;
			break;
		default:
			dk_fail(w->e, DK_EX_CONFIG, "%s:%zu: %s: unexpected "
			    "value", w->path, ev.start_mark.line + 1, key);
			yaml_event_delete(&ev);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < seen.n; i++)
		free(seen.k[i]);
	free(seen.k);
	free(seen.line);
	return rc;
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
