#include <sys/stat.h>

#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "core.h"

/*
 * Configuration is YAML: a mapping whose nested mappings flatten to dotted
 * keys ("prices.retail") and whose sequences of scalars become one value
 * with the items joined by commas ("meters: [a, b]" is "a,b").  Settings
 * given on the command line (-D key=value) replace those of the file.
 *
 * Nothing is guessed: a key that is not in the table below, a key given
 * twice (or as a dotted key and a nested one), a value out of its range,
 * and YAML's tags, anchors, aliases and merge keys are refused, naming the
 * file and the line.
 */

#define COOP	DK_CONF_COOP
#define HOME	DK_CONF_HOME
#define BOTH	(DK_CONF_COOP | DK_CONF_HOME)
#define TEXT	DK_CONF_TEXT
#define INT	DK_CONF_INT
#define PATH	DK_CONF_PATH
#define LIST	DK_CONF_LIST

/*
 * Every setting of every program, in the order of denki-formats(5),
 * CONFIGURATION, which lists them all (tests/unit/test-conf.c holds the
 * page equal to this table).  "*" stands for a name the file chooses.
 */
static const struct dk_confkey table[] = {
	{ "ledger",			COOP, PATH, 0, 0 },
	{ "origin",			COOP, TEXT, 0, 0 },
	{ "operator.key",		COOP, PATH, 0, 0 },
	{ "operator.pub",		COOP, PATH, 0, 0 },
	{ "terms",			COOP, PATH, 0, 0 },
	{ "settle.signed",		COOP, TEXT, 0, 0 },

	{ "currency",			BOTH, TEXT, 0, 0 },
	{ "tz",				BOTH, TEXT, 0, 0 },
	{ "slot_minutes",		BOTH, INT, 1, 1440 },
	{ "mechanism",			BOTH, TEXT, 0, 0 },
	{ "prices.retail",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "prices.buyback",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "prices.fee",			BOTH, INT, 0, DK_MAX_PRICE },
	{ "wheeling.inside",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "wheeling.between",		BOTH, INT, 0, DK_MAX_PRICE },
	{ "links.*.zones",		BOTH, LIST, 0, 0 },
	{ "links.*.capacity_wh",	BOTH, INT, 0, DK_MAX_WH },
	{ "links.*.wheeling",		BOTH, INT, 0, DK_MAX_PRICE },

	{ "participant",		HOME, TEXT, 0, 0 },
	{ "key",			HOME, PATH, 0, 0 },
	{ "meters",			HOME, LIST, 0, 0 },
	{ "state",			HOME, PATH, 0, 0 },
	{ "meter.driver",		HOME, TEXT, 0, 0 },
	{ "meter.id",			HOME, TEXT, 0, 0 },
	{ "meter.import_column",	HOME, TEXT, 0, 0 },
	{ "meter.export_column",	HOME, TEXT, 0, 0 },
	{ "meter.tolerance",		HOME, INT, 0, 43200 },
	{ "meter.key",			HOME, PATH, 0, 0 },
	{ "meter.samples.file",		HOME, TEXT, 0, 0 },
	{ "sim.seed",			HOME, INT, 0, DK_MAX_SAFE_INT },
	{ "sim.pv_peak_w",		HOME, INT, 0, 1000000 },
	{ "sim.load_w",			HOME, INT, 0, 1000000 },
	{ "sim.start",			HOME, TEXT, 0, 0 },
	{ "sim.slots",			HOME, INT, 1, 1000000 },
	{ "bid.min_wh",			HOME, INT, 1, DK_MAX_WH },
	{ "bid.sell_markup",		HOME, INT, 0, 100 },
	{ "bid.buy_markdown",		HOME, INT, 0, 100 },

	{ "meter.echonet.host",		HOME, TEXT, 0, 0 },
	{ "meter.echonet.port",		HOME, INT, 1, 65535 },
	{ "meter.echonet.bind",		HOME, TEXT, 0, 0 },
	{ "meter.echonet.tz",		HOME, TEXT, 0, 0 },
	{ "meter.echonet.timeout",	HOME, INT, 10, 600000 },
	{ "meter.echonet.retries",	HOME, INT, 0, 100 },
	{ "meter.broute.device",	HOME, TEXT, 0, 0 },
	{ "meter.broute.id",		HOME, TEXT, 0, 0 },
	{ "meter.broute.password",	HOME, TEXT, 0, 0 },
	{ "meter.broute.model",		HOME, TEXT, 0, 0 },
	{ "meter.broute.channel",	HOME, TEXT, 0, 0 },
	{ "meter.broute.pan",		HOME, TEXT, 0, 0 },
	{ "meter.broute.addr",		HOME, TEXT, 0, 0 },
	{ "meter.broute.tz",		HOME, TEXT, 0, 0 },
	{ "meter.broute.timeout",	HOME, INT, 10, 600000 },
	{ "meter.broute.retries",	HOME, INT, 0, 100 },
	{ "meter.broute.scan_timeout",	HOME, INT, 10, 3600000 },
	{ "meter.broute.join_timeout",	HOME, INT, 10, 600000 },
	{ "meter.sunspec.host",		HOME, TEXT, 0, 0 },
	{ "meter.sunspec.port",		HOME, INT, 1, 65535 },
	{ "meter.sunspec.unit",		HOME, INT, 0, 255 },
	{ "meter.sunspec.base",		HOME, INT, 0, 65535 },
	{ "meter.sunspec.timeout_ms",	HOME, INT, 10, 60000 },
	{ "meter.sunspec.retries",	HOME, INT, 0, 10 },
	{ "meter.sunspec.power_sign",	HOME, TEXT, 0, 0 },
	{ "meter.dsmr.device",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.tcp",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.baud",		HOME, INT, 1200, 230400 },
	{ "meter.dsmr.serial",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.tz",		HOME, TEXT, 0, 0 },
	{ "meter.dsmr.telegrams",	HOME, INT, 1, 100000 },
	{ "meter.dsmr.timeout",		HOME, INT, 1, 86400 },
	{ "meter.dsmr.retries",		HOME, INT, 0, 100 },
	{ "meter.fronius.url",		HOME, TEXT, 0, 0 },
	{ "meter.fronius.timeout",	HOME, INT, 1, 600 },
	{ "meter.fronius.retries",	HOME, INT, 0, 100 },
	{ "meter.fronius.meter",	HOME, TEXT, 0, 0 },
	{ "meter.fronius.inverter",	HOME, INT, 0, 999 },
	{ "meter.enphase.url",		HOME, TEXT, 0, 0 },
	{ "meter.enphase.api",		HOME, TEXT, 0, 0 },
	{ "meter.enphase.timeout",	HOME, INT, 1, 600 },
	{ "meter.enphase.retries",	HOME, INT, 0, 100 },
};

const struct dk_confkey *
dk_conf_keys(size_t *n)
{
	*n = sizeof(table) / sizeof(table[0]);
	return table;
}

/* "links.*.zones" matches "links.t1.zones": "*" is one dotted part. */
static int
match(const char *pat, const char *k)
{
	while (*pat != '\0') {
		if (*pat == '*') {
			if (*k == '.' || *k == '\0')
				return 0;
			while (*k != '.' && *k != '\0')
				k++;
			pat++;
			continue;
		}
		if (*pat++ != *k++)
			return 0;
	}
	return *k == '\0';
}

const struct dk_confkey *
dk_conf_find(const char *key)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (match(table[i].name, key))
			return &table[i];
	return NULL;
}

static size_t
lev(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, d[128], prev, t;

	if (lb >= sizeof(d) / sizeof(d[0]) || la >= 128)
		return (size_t)-1 / 2;
	for (j = 0; j <= lb; j++)
		d[j] = j;
	for (i = 1; i <= la; i++) {
		prev = d[0];
		d[0] = i;
		for (j = 1; j <= lb; j++) {
			t = d[j];
			d[j] = prev + (a[i - 1] != b[j - 1]);
			if (d[j - 1] + 1 < d[j])
				d[j] = d[j - 1] + 1;
			if (t + 1 < d[j])
				d[j] = t + 1;
			prev = t;
		}
	}
	return d[lb];
}

/* The table's name with its "*" parts taken from what was written
 * ("links.t1.zones" for "links.*.zones" near "links.t1.zone"). */
static void
spell(const char *pat, const char *k, char *out, size_t n)
{
	size_t o = 0, len;
	const char *src, *end;

	out[0] = '\0';
	for (;;) {
		end = strchr(pat, '.');
		len = end ? (size_t)(end - pat) : strlen(pat);
		src = pat;
		if (len == 1 && *pat == '*') {
			src = k;
			len = strcspn(k, ".");
			if (len == 0) {
				src = "NAME";
				len = 4;
			}
		}
		if (o + len + 2 > n)
			return;
		memcpy(out + o, src, len);
		o += len;
		out[o] = '\0';
		if (end == NULL)
			return;
		out[o++] = '.';
		out[o] = '\0';
		pat = end + 1;
		k += strcspn(k, ".");
		if (*k == '.')
			k++;
	}
}

/* The known key of this kind nearest to k: the whole name, or its last
 * part alone ("fee" for "prices.fee"); NULL when none is near. */
static const char *
nearest(const char *k, int kind, char *buf, size_t n)
{
	char cand[256];
	const char *kl, *cl;
	size_t i, best = (size_t)-1, s, t;

	kl = strrchr(k, '.') ? strrchr(k, '.') + 1 : k;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (kind != 0 && (table[i].kinds & kind) == 0)
			continue;
		spell(table[i].name, k, cand, sizeof(cand));
		s = lev(k, cand);
		cl = strrchr(cand, '.') ? strrchr(cand, '.') + 1 : cand;
		t = lev(kl, cl) + ((kl - k) != (cl - cand) ||
		    strncmp(k, cand, (size_t)(kl - k)) != 0);
		if (t < s)
			s = t;
		if (s < best) {
			best = s;
			snprintf(buf, n, "%s", cand);
		}
	}
	/* "prices.fe" is near "prices.fee"; "links.t.kv" near nothing */
	if (best > 2 || best >= strlen(kl))
		return NULL;
	return buf;
}

/* The settings beside k ("zones, capacity_wh, wheeling" for
 * "links.t.kv"); NULL for a key at the top, or with none beside it. */
static const char *
siblings(const char *k, int kind, char *buf, size_t n)
{
	char cand[256];
	const char *kl = strrchr(k, '.'), *cl;
	size_t i, plen, o = 0;

	if (kl == NULL)
		return NULL;
	plen = (size_t)(kl - k);
	buf[0] = '\0';
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (kind != 0 && (table[i].kinds & kind) == 0)
			continue;
		spell(table[i].name, k, cand, sizeof(cand));
		cl = strrchr(cand, '.');
		if (cl == NULL || (size_t)(cl - cand) != plen ||
		    strncmp(cand, k, plen) != 0)
			continue;
		o += snprintf(buf + o, n - o, "%s%s", o > 0 ? ", " : "",
		    cl + 1);
		if (o >= n)
			return NULL;
	}
	return o > 0 ? buf : NULL;
}

/* Where a setting came from, for messages: "coop.yaml:17" or "-D". */
static const char *
where(const struct dk_conf *c, size_t i, char *buf, size_t n)
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
find(const struct dk_conf *c, const char *key)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->key[i], key) == 0)
			return i;
	return c->n;
}

/* A setting's name and value against the table, for a file of this kind. */
static int
check_key(const struct dk_conf *c, size_t i, struct dk_err *e)
{
	const struct dk_confkey *k = dk_conf_find(c->key[i]);
	char w[300], near[256];
	const char *s = c->val[i];
	char *end, *p;
	long long v;
	struct stat sb;
	int rc = 0;

	where(c, i, w, sizeof(w));
	if (k == NULL) {
		if (nearest(c->key[i], c->kind, near, sizeof(near)) != NULL)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: unknown "
			    "setting; did you mean %s?", w, c->key[i], near);
		if (siblings(c->key[i], c->kind, near, sizeof(near)) != NULL)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: unknown "
			    "setting (%s)", w, c->key[i], near);
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: unknown setting "
		    "(denki-formats(5), CONFIGURATION)", w, c->key[i]);
	}
	if (c->kind != 0 && (k->kinds & c->kind) == 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s: %s", w, c->key[i],
		    c->kind == DK_CONF_HOME ? "a setting of the cooperative's "
		    "file, not of a household's" : "a setting of a "
		    "household's file, not of the cooperative's");
	switch (k->type) {
	case DK_CONF_INT:
		errno = 0;
		v = strtoll(s, &end, 10);
		if (*s == '\0' || *end != '\0' || errno != 0)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be an "
			    "integer, got \"%.40s\"", w, c->key[i], s);
		if (v < k->min || v > k->max)
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be from "
			    "%lld to %lld, got %lld", w, c->key[i], k->min,
			    k->max, v);
		break;
	case DK_CONF_PATH:
		if (*s == '\0')
			return dk_fail(e, DK_EX_CONFIG, "%s: %s: must be the "
			    "path of a file, got nothing", w, c->key[i]);
		if ((p = dk_conf_path(c, c->key[i], NULL)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		/* a device, a fifo or a folder would hang or mislead the
		 * program that opens it: a file, or nothing yet */
		if (stat(p, &sb) == 0 && !S_ISREG(sb.st_mode))
			rc = dk_fail(e, DK_EX_CONFIG, "%s: %s: %s: not a "
			    "regular file (%s)", w, c->key[i], p,
			    S_ISDIR(sb.st_mode) ? "a folder" :
			    S_ISFIFO(sb.st_mode) ? "a fifo" :
			    S_ISCHR(sb.st_mode) || S_ISBLK(sb.st_mode) ?
			    "a device" : "a socket");
		free(p);
		return rc;
	default:
		break;
	}
	return 0;
}

static int
conf_put(struct dk_conf *c, const char *k, const char *v, size_t line)
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
	if (conf_put(w->c, key, acc != NULL ? acc : "", line) < 0) {
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
			if (conf_put(w->c, key,
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
	if (conf_put(c, key, eq + 1, 0) < 0)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	i = find(c, key);
	c->cli[i] = 1;
	if (c->kind != 0 && check_key(c, i, e) < 0)
		return -1;
	return 0;
}

const char *
dk_conf_str(const struct dk_conf *c, const char *key, const char *def)
{
	size_t i = find(c, key);

	return i < c->n ? c->val[i] : def;
}

int
dk_conf_int(const struct dk_conf *c, const char *key, long long def,
    long long min, long long max, long long *out, struct dk_err *e)
{
	size_t i = find(c, key);
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
	where(c, i, w, sizeof(w));
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
		if (!c->cli[i] && check_key(c, i, e) < 0)
			goto fail;
	return 0;
fail:
	dk_conf_free(c);
	return -1;
}
