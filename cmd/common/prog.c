/*
 * prog.c: the start and the end every program shares (see prog.h): the
 * common options, the usage text, the configuration with its -D
 * overrides, and a failure's message and exit status.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "prog.h"

/* the -D overrides' array, freed at exit when the program does not
 * free it itself (dk_prog_free) */
static void *defs;

static void
defs_free(void)
{
	free(defs);
	defs = NULL;
}

void
dk_prog_init(struct dk_prog *p, const char *name, const char *usage,
    int flags, int argc)
{
	memset(p, 0, sizeof(*p));
	p->name = name;
	p->usage = usage;
	p->flags = flags;
	if ((p->defs = calloc(argc > 0 ? argc : 1, sizeof(*p->defs))) == NULL) {
		dk_warnx(name, "out of memory");
		exit(DK_EX_SOFTWARE);
	}
	if (defs == NULL)
		atexit(defs_free);
	else
		free(defs);
	defs = p->defs;
}

void
dk_prog_usage(const struct dk_prog *p, int status)
{
	fputs(p->usage, status ? stderr : stdout);
	exit(status);
}

/*
 * An option's value given again: the second would silently replace the
 * first ("-s A -s B" runs B), so neither is taken: a usage error naming
 * the option and both values.  -D and the letters in p->many take a
 * value each time; options without a value (-q, -f) may repeat.
 */
static void
once(struct dk_prog *p, int c, const struct option *lo, int li)
{
	const char *s;
	char name[48];
	size_t i;

	if (li >= 0 ? lo[li].has_arg == no_argument : c <= 0 || c > 255 ||
	    (s = strchr(p->optstr, c)) == NULL || s[1] != ':')
		return;
	if ((c == 'D' && p->flags & DK_PROG_CONF) || (c < 256 &&
	    p->many != NULL && strchr(p->many, c) != NULL))
		return;
	for (i = 0; i < p->nseen && p->seen[i].opt != c; i++)
		;
	if (i == p->nseen) {
		if (p->nseen < sizeof(p->seen) / sizeof(p->seen[0])) {
			p->seen[p->nseen].opt = c;
			p->seen[p->nseen++].arg = optarg;
		}
		return;
	}
	if (li >= 0)
		snprintf(name, sizeof(name), "--%s", lo[li].name);
	else
		snprintf(name, sizeof(name), "-%c", c);
	dk_warnx(p->name, "%s: given twice (\"%.40s\" and \"%.40s\")", name,
	    p->seen[i].arg != NULL ? p->seen[i].arg : "",
	    optarg != NULL ? optarg : "");
	exit(DK_EX_USAGE);
}

/*
 * The next option of the program's own (the letters in own, getopt's
 * syntax; a leading '+' stops at the first operand), or -1 after the
 * last.  -h and --help print the usage and exit 0, --version the
 * version (p->lo, when set, is the table of long options: it holds
 * those two and the program's own); -c and -D are kept when the program reads a configuration,
 * -k and -n (p->keep, p->dry) when its flags say it takes them;
 * anything else is a usage error (64), and so is an option's value
 * given twice (see once).
 */
int
dk_prog_opt(struct dk_prog *p, int argc, char *argv[], const char *own)
{
	static const struct option lo[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const struct option *t = p->lo != NULL ? p->lo : lo;
	int c, li;

	if (p->optstr[0] == '\0') {
		const char *o = own[0] == '+' ? own + 1 : own;

		snprintf(p->optstr, sizeof(p->optstr), "%s%s%s%sh%s",
		    own[0] == '+' ? "+" : "",
		    p->flags & DK_PROG_CONF ? "c:D:" : "",
		    p->flags & DK_PROG_KEEP ? "k" : "",
		    p->flags & DK_PROG_DRY ? "n" : "", o);
	}
	for (;;) {
		li = -1;
		if ((c = getopt_long(argc, argv, p->optstr, t, &li)) != '?' &&
		    c != ':' && c != -1)
			once(p, c, t, li);
		switch (c) {
		case 'c':
			if (!(p->flags & DK_PROG_CONF))
				return c;
			p->cfg = optarg;
			break;
		case 'D':
			if (!(p->flags & DK_PROG_CONF))
				return c;
			p->defs[p->ndefs++] = optarg;
			break;
		case 'k':
			if (!(p->flags & DK_PROG_KEEP))
				return c;
			p->keep = 1;
			break;
		case 'n':
			if (!(p->flags & DK_PROG_DRY))
				return c;
			p->dry = 1;
			break;
		case 'h':
			dk_prog_usage(p, 0);
		case 'V':
			printf("%s %s\n", p->name, DK_VERSION);
			exit(0);
		case '?':
		case ':':
			dk_prog_usage(p, DK_EX_USAGE);
		default:
			return c;
		}
	}
}

/* No operand and stdin a terminal: nothing would ever come; say so. */
void
dk_prog_need_input(const struct dk_prog *p, int argc, const char *what)
{
	if (optind == argc && isatty(0)) {
		dk_warnx(p->name, "no %s given and stdin is a terminal", what);
		dk_prog_usage(p, DK_EX_USAGE);
	}
}

/* The configuration file of this kind (DK_CONF_COOP, DK_CONF_HOME), -c's
 * or the default, with the -D overrides applied. */
int
dk_prog_conf(const struct dk_prog *p, struct dk_conf *conf, int kind,
    struct dk_err *e)
{
	return dk_conf_open(conf, p->cfg, kind, p->defs, p->ndefs, e);
}

/* The last words of a failure: "prog: message", and its exit status. */
int
dk_prog_fail(const struct dk_prog *p, const struct dk_err *e)
{
	dk_warnx(p->name, "%s", e->msg);
	return e->status ? e->status : DK_EX_SOFTWARE;
}

void
dk_prog_free(struct dk_prog *p)
{
	if (p->defs == defs)
		defs = NULL;
	free(p->defs);
	p->defs = NULL;
}
