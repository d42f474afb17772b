/*
 * cmd/common/prog.h: what every program does first and last.  lib/ reports and
 * never prints or exits; this is the tool's side, shared by the mains:
 * the options every program takes (-h, --help, --version, -c config
 * with -D key=value where it reads one, -k to keep going and -n for a dry
 * run where it has them), an option's value given twice refused, the
 * usage text, the
 * configuration opened with the -D overrides, and the last words of a
 * failure with its status from the exit table (DK_EXIT_TABLE).
 */
#ifndef DK_PROG_H
#define DK_PROG_H

#include <getopt.h>

#include "core/core.h"

#define DK_PROG_CONF	1	/* takes -c config and -D key=value */
#define DK_PROG_KEEP	2	/* takes -k: keep going past what is bad */
#define DK_PROG_DRY	4	/* takes -n: a dry run, nothing written */

struct dk_prog {
	const char *name;	/* "denki-settle", for messages */
	const char *usage;	/* the whole usage text, from "usage: " */
	int flags;		/* DK_PROG_CONF */
	const char *cfg;	/* -c: NULL for the default */
	char **defs;		/* -D assignments, in the order given */
	size_t ndefs;
	int keep, dry;		/* -k, -n */
	char optstr[64];
	const struct option *lo;	/* getopt_long's table, or NULL */
	const char *many;	/* the letters of the options that take a
				 * value each time they are given (-z zone...);
				 * any other one given twice is refused (64) */
	struct { int opt; const char *arg; } seen[32];
	size_t nseen;
};

void dk_prog_init(struct dk_prog *, const char *name, const char *usage,
    int flags, int argc);
int dk_prog_opt(struct dk_prog *, int argc, char *argv[], const char *own);
void dk_prog_usage(const struct dk_prog *, int status)
    __attribute__((noreturn));
void dk_prog_need_input(const struct dk_prog *, int argc, const char *what);
int dk_prog_conf(const struct dk_prog *, struct dk_conf *, int kind,
    struct dk_err *);
int dk_prog_fail(const struct dk_prog *, const struct dk_err *);
void dk_prog_free(struct dk_prog *);

/* coop.c: the start on the cooperative's side (links the ledger layer):
 * what a program there holds from start to end */
#include "ledger/ledger.h"
struct dk_coop {
	struct dk_conf conf;	/* coop.yaml, -c and -D */
	struct dk_rules rules;	/* the rules in it, with DK_COOP_RULES */
	struct dk_state st;	/* empty until the caller replays the ledger */
	char *lpath;		/* the ledger's path */
	struct dk_key op;	/* a writer's: the operator's secret key */
	struct dk_ledger l;	/* a writer's: the ledger, locked */
	int lopen;
	struct dk_wpolicy wp;	/* a writer's witnesses (witness.*) */
	long wtimeout;		/* witness.timeout, seconds */
	const char *pname;	/* for the witnesses' warnings */
};
#define DK_COOP_RULES	1
int dk_prog_coop(const struct dk_prog *, struct dk_coop *, int flags,
    struct dk_err *);
void dk_coop_free(struct dk_coop *);
/* a verifier's witness policy: -w vkey, -W file, -Q quorum, -S skew */
#define DK_WOPTS "w:W:Q:S:"
int dk_prog_wopt(const struct dk_prog *, struct dk_wpolicy *, int opt,
    const char *arg);

/* coop-write.c: a writer's start (links libcurl's caller, lib/meter):
 * the ledger opened for appending, its witnesses asked at each commit */
int dk_coop_open(struct dk_coop *, struct dk_err *);
int dk_coop_witnesses(struct dk_coop *, struct dk_err *);
void dk_coop_witness_on(struct dk_coop *);

#endif
