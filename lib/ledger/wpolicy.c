/*
 * wpolicy.c: the witnesses of a ledger: the ones a verifier trusts and how
 * many of them must have cosigned a checkpoint (a witness policy), or the
 * ones a writer asks; their cosignatures found and checked in a note.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"

void
dk_wpolicy_init(struct dk_wpolicy *p)
{
	memset(p, 0, sizeof(*p));
	p->quorum = -1;
	p->skew = DK_SKEW_DEFAULT;
}

/* A witness by its verifier key (C2SP tlog-cosignature, type 0x04), and
 * where a writer sends it checkpoints (url, or NULL). */
int
dk_wpolicy_add(struct dk_wpolicy *p, const char *vkey, const char *url,
    struct dk_err *e)
{
	struct dk_wkey *w;
	size_t i;

	if (p->n == DK_WITNESS_MAX)
		return dk_fail(e, DK_EX_USAGE, "more than %d witnesses",
		    DK_WITNESS_MAX);
	w = &p->w[p->n];
	memset(w, 0, sizeof(*w));
	if (dk_cosig_vkey_parse(vkey, &w->k, e) < 0)
		return dk_failpre(e, "witness key \"%.80s\"", vkey);
	for (i = 0; i < p->n; i++)
		if (p->w[i].k.id == w->k.id &&
		    strcmp(p->w[i].k.name, w->k.name) == 0)
			return dk_fail(e, DK_EX_USAGE, "witness %s+%08x named "
			    "twice", w->k.name, w->k.id);
	if (url != NULL && (w->url = strdup(url)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	p->n++;
	return 0;
}

/*
 * A policy file: one witness verifier key a line, and "quorum N" once;
 * blank lines and lines from '#' on are skipped.  A quorum given on the
 * command line wins (the caller sets it after).
 */
int
dk_wpolicy_file(struct dk_wpolicy *p, const char *path, struct dk_err *e)
{
	struct dk_reader r;
	char *line, *s, *end;
	long n, q;

	if (dk_reader_open(&r, path, e) < 0)
		return -1;
	while ((n = dk_reader_next(&r, &line, e)) >= 0) {
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		for (s = line + strlen(line); s > line && (s[-1] == ' ' ||
		    s[-1] == '\t' || s[-1] == '\r'); )
			*--s = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		if (*s == '\0')
			continue;
		if (strncmp(s, "quorum ", 7) == 0) {
			errno = 0;
			q = strtol(s + 7, &end, 10);
			if (*end != '\0' || s[7] == '\0' || q < 0 ||
			    q > DK_WITNESS_MAX || errno != 0) {
				dk_fail(e, DK_EX_DATAERR, "%s:%ld: quorum: must "
				    "be 0 to %d", path, r.line, DK_WITNESS_MAX);
				break;
			}
			p->quorum = q;
			continue;
		}
		if (dk_wpolicy_add(p, s, NULL, e) < 0) {
			dk_failpre(e, "%s:%ld", path, r.line);
			e->status = DK_EX_DATAERR;
			break;
		}
	}
	dk_reader_close(&r);
	return e->status != 0 ? -1 : 0;
}

/* The quorum in force: as set, or every witness named. */
size_t
dk_wpolicy_quorum(const struct dk_wpolicy *p)
{
	return p->quorum >= 0 ? (size_t)p->quorum : p->n;
}

/*
 * The cosignatures of the policy's witnesses in note, a checkpoint cp:
 * each must verify and, when cp has a time, be within p->skew seconds of
 * it.  0 with *count the witnesses that cosigned (each one's size raised
 * to cp's), or -1 with e filled.
 */
int
dk_wpolicy_note(struct dk_wpolicy *p, const char *note,
    const struct dk_checkpoint *cp, size_t *count, struct dk_err *e)
{
	struct dk_wkey *w;
	uint64_t t;
	long long d;
	size_t i;
	int rc;

	*count = 0;
	for (i = 0; i < p->n; i++) {
		w = &p->w[i];
		if ((rc = dk_cosig_find(note, strlen(note), &w->k, &t, e)) < 0)
			return -1;
		if (rc == 0)
			continue;
		d = cp->time >= 0 ? (long long)t - cp->time : 0;
		if (d > p->skew || -d > p->skew)
			return dk_fail(e, DK_EX_NO, "witness %s+%08x cosigned "
			    "at %llu, %lld seconds from the checkpoint's time "
			    "%lld (the skew allowed is %lld)", w->k.name,
			    w->k.id, (unsigned long long)t, d,
			    (long long)cp->time, p->skew);
		if (cp->size > w->size)
			w->size = cp->size;
		++*count;
	}
	return 0;
}

/* A note (a proof's checkpoint, a ledger's latest) against the policy:
 * its witnesses' lines check and at least the quorum cosigned. */
int
dk_wpolicy_check(struct dk_wpolicy *p, const char *note, struct dk_err *e)
{
	struct dk_checkpoint cp;
	size_t got;

	if (p->n == 0 && p->quorum <= 0)
		return 0;
	if (dk_checkpoint_parse(note, strlen(note), &cp, e) < 0 ||
	    dk_wpolicy_note(p, note, &cp, &got, e) < 0)
		return -1;
	if (got < dk_wpolicy_quorum(p))
		return dk_fail(e, DK_EX_NO, "checkpoint of %llu entries: "
		    "cosigned by %zu of the %zu witnesses named, the quorum "
		    "is %zu", (unsigned long long)cp.size, got, p->n,
		    dk_wpolicy_quorum(p));
	return 0;
}

/*
 * The ledger at path (signed by pk) against the policy: every cosignature
 * line of its witnesses, in every checkpoint, verifies and is within the
 * skew, and its last checkpoint has the quorum.  The other checkpoints
 * need not: an append's checkpoints but its last are never shown to a
 * witness (denki-formats(5), Checkpoints).
 */
int
dk_wpolicy_ledger(struct dk_wpolicy *p, const char *path,
    const unsigned char pk[32], struct dk_err *e)
{
	struct dk_scaninfo si;
	int rc;

	memset(&si, 0, sizeof(si));
	si.policy = p;
	rc = dk_ledger_scan_info(path, pk, NULL, NULL, &si, e);
	if (rc == 0)
		rc = dk_wpolicy_last(p, path, &si, e);
	if (rc < 0 && e->status == DK_EX_DATAERR)
		e->status = DK_EX_NO;
	dk_scaninfo_free(&si);
	return rc;
}

/* After a scan with the policy p (si->policy), whose checkpoints' lines
 * it checked: the quorum of the last checkpoint, si->note. */
int
dk_wpolicy_last(const struct dk_wpolicy *p, const char *path,
    const struct dk_scaninfo *si, struct dk_err *e)
{
	if (si->note == NULL && dk_wpolicy_quorum(p) > 0)
		return dk_fail(e, DK_EX_NO, "%s: no checkpoint for the "
		    "witnesses to have cosigned", path);
	if (si->note_cosigs < dk_wpolicy_quorum(p))
		return dk_fail(e, DK_EX_NO, "%s: the last checkpoint (entry "
		    "%lld) is cosigned by %zu of the %zu witnesses named; the "
		    "quorum is %zu", path, si->note_seq, si->note_cosigs, p->n,
		    dk_wpolicy_quorum(p));
	return 0;
}

void
dk_wpolicy_free(struct dk_wpolicy *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->w[i].url);
		p->w[i].url = NULL;
	}
	p->n = 0;
}
