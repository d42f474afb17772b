/*
 * ledger.c: appending to the ledger: one writer at a time under a lock,
 * entries framed and hash-linked, a checkpoint to end each append, and
 * nothing acknowledged before it is on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "ledger-impl.h"

/*
 * The ledger is a file of JSON lines, one entry each:
 *   {"prev":H,"rec":{...},"seq":N,"type":"entry","v":2}
 * seq counts from 0; prev is the previous entry's leaf hash in the Merkle
 * tree, SHA-256(0x00 || line), in hex (the line without its newline; 64
 * zeros for entry 0).  Lines are canonical (sorted
 * keys, compact), so the bytes are the record.  The operator signs no
 * entry: it signs checkpoints, and a checkpoint's tree covers every byte
 * of every entry before it.
 */

/* Opens for appending: one writer at a time (flock), and the callback sees
 * every entry already there, under the lock. */
int
dk_ledger_open(struct dk_ledger *l, const char *path, const struct dk_key *op,
    dk_entry_fn fn, void *ctx, struct dk_err *e)
{
	return dk_ledger_open_w(l, path, op, fn, ctx, NULL, e);
}

/* The same for a writer with witnesses (w, or NULL): what each cosigned
 * is read into w, and the leaves are kept for their consistency proofs. */
int
dk_ledger_open_w(struct dk_ledger *l, const char *path,
    const struct dk_key *op, dk_entry_fn fn, void *ctx, struct dk_wpolicy *w,
    struct dk_err *e)
{
	FILE *fp;
	int fd2;

	memset(l, 0, sizeof(*l));
	l->info.policy = w;
	l->info.want_leaves = w != NULL && w->n > 0;
	l->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (l->fd < 0)
		return dk_fail(e, DK_EX_CANTCREAT, "%s: %s", path,
		    strerror(errno));
	if (flock(l->fd, LOCK_EX) < 0) {
		dk_fail(e, DK_EX_IOERR, "%s: lock: %s", path, strerror(errno));
		goto fail;
	}
	if ((fd2 = dup(l->fd)) < 0 || (fp = fdopen(fd2, "r")) == NULL) {
		dk_fail(e, DK_EX_IOERR, "%s: %s", path, strerror(errno));
		goto fail;
	}
	rewind(fp);
	if (dk_ledger_scan_fp(fp, path, op->pk, fn, ctx, l->prev, &l->next,
	    &l->info, e) < 0) {
		fclose(fp);
		dk_scaninfo_free(&l->info);
		goto fail;
	}
	fclose(fp);
	if (l->info.origin[0] != '\0' && !l->info.last_type_checkpoint) {
		dk_fail(e, DK_EX_DATAERR, "%s: entries follow the last "
		    "checkpoint: an append that was never acknowledged; run "
		    "denki-ledger-recover first", path);
		dk_scaninfo_free(&l->info);
		goto fail;
	}
	l->path = strdup(path);
	l->op = op;
	l->committed = l->info.good;
	if (fn == dk_scache_apply) {
		/* the cache as the scan left it, kept up to date at commits */
		l->sw = ((struct dk_scache *)ctx)->w;
		((struct dk_scache *)ctx)->w = NULL;
	}
	return 0;
fail:
	close(l->fd);
	l->fd = -1;
	return -1;
}

/* A new ledger starts with its genesis: the origin, the operator key and,
 * when its readings are committed, "readings":"committed". */
int
dk_ledger_genesis(struct dk_ledger *l, const char *origin, int committed,
    struct dk_err *e)
{
	return dk_ledger_genesis_with(l, origin, committed, NULL, e);
}

/* The same, with the optional members of extra (a recovery key). */
int
dk_ledger_genesis_with(struct dk_ledger *l, const char *origin, int committed,
    json_t *extra, struct dk_err *e)
{
	json_t *g;
	char *k, vk[512];
	int rc;

	if (l->next != 0)
		return 0;
	if (strlen(origin) >= sizeof(l->info.origin) ||
	    dk_vkey_make(origin, l->op->pk, vk, sizeof(vk)) < 0)
		return dk_fail(e, DK_EX_CONFIG, "origin: \"%.100s\" must be "
		    "1 to 255 bytes without spaces or '+', like "
		    "coop.example/ledger", origin);
	k = dk_key_pub_b64(l->op);
	g = json_pack("{s:s,s:i,s:s,s:s,s:s}", "type", "ledger", "v", 1,
	    "origin", origin, "key", k, "vkey", vk);
	free(k);
	if (committed)
		json_object_set_new(g, "readings", json_string("committed"));
	if (extra != NULL)
		json_object_update_missing(g, extra);
	rc = dk_ledger_add(l, g, e);
	json_decref(g);
	if (rc == 0) {
		snprintf(l->info.origin, sizeof(l->info.origin), "%s", origin);
		l->info.key = *l->op;
		l->info.key.sk = NULL;
		l->info.committed = committed;
	}
	return rc;
}

/* A checkpoint of every entry so far, as the next entry. */
int
dk_ledger_checkpoint(struct dk_ledger *l, struct dk_err *e)
{
	unsigned char root[32];
	char *text, *note;
	json_t *c;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (l->info.origin[0] == '\0')
		return dk_fail(e, DK_EX_DATAERR, "%s: the ledger has no "
		    "genesis entry, so no origin to sign checkpoints for",
		    l->path);
	/* a checkpoint earlier than the last one would make the ledger fail
	 * every audit from now on: wait for the clock, or set it right */
	if (l->info.cp_time_seq > 0 && now < l->info.cp_time)
		return dk_fail(e, DK_EX_TEMPFAIL, "%s: the clock says %lld, "
		    "earlier than the time %lld of the checkpoint at entry "
		    "%lld; nothing was appended (set the clock right)",
		    l->path, (long long)now, (long long)l->info.cp_time,
		    l->info.cp_time_seq);
	dk_mtree_root(&l->info.tree, root);
	if ((text = dk_checkpoint_text(l->info.origin, l->info.tree.size,
	    root, now)) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	note = dk_note_sign(text, l->info.origin, l->op, e);
	free(text);
	if (note == NULL)
		return -1;
	c = json_pack("{s:s,s:i,s:s}", "type", "checkpoint", "v", 1, "note",
	    note);
	rc = dk_ledger_add(l, c, e);
	json_decref(c);
	free(l->cp_note);
	l->cp_note = note;
	if (rc == 0) {
		l->info.cp_time = now;
		l->info.cp_time_seq = l->next - 1;
	}
	return rc;
}

/* The writer's witnesses (n of them), asked at each commit. */
void
dk_ledger_witnesses(struct dk_ledger *l, dk_cosign_fn fn, void *ctx, size_t n)
{
	l->cosign = fn;
	l->cosign_ctx = ctx;
	/* a line: em dash, space, name (255), space, base64 of 76 bytes,
	 * newline, escaped in JSON */
	l->cosign_room = n * 2 * (4 + 255 + 1 + 104 + 1);
}

/* The entry's line around the record's canonical text c (n bytes), as
 * dk_canon would write {"prev","rec","seq","type","v"}: its keys in that
 * order, prev and the numbers plain. */
static int spill(struct dk_ledger *, struct dk_err *);

static int
frame(struct dk_ledger *l, const char *c, size_t n, struct dk_err *e)
{
	static const char h0[] = "{\"prev\":\"", h1[] = "\",\"rec\":",
	    t0[] = ",\"seq\":", t1[] = ",\"type\":\"entry\",\"v\":2}\n";
	char head[96], tail[64];
	size_t hn, tn, pn = strnlen(l->prev, 64), used;
	char *np;

	/* no printf: a settle run frames every entry it adds */
	memcpy(head, h0, sizeof(h0) - 1);
	memcpy(head + sizeof(h0) - 1, l->prev, pn);
	memcpy(head + sizeof(h0) - 1 + pn, h1, sizeof(h1));
	hn = sizeof(h0) - 1 + pn + sizeof(h1) - 1;
	memcpy(tail, t0, sizeof(t0) - 1);
	tn = sizeof(t0) - 1 + dk_lltoa((long long)l->next, tail +
	    sizeof(t0) - 1);
	memcpy(tail + tn, t1, sizeof(t1));
	tn += sizeof(t1) - 1;
	used = l->npend - l->pout;
	if (l->hold > 0 && used > 0 && used + hn + n + tn > l->hold) {
		if (spill(l, e) < 0)
			return -1;
		used = l->npend - l->pout;	/* 0, or all held still */
	}
	if (used + hn + n + tn > l->cappend) {
		size_t cap = (l->cappend + hn + n + tn) * 2;
		if ((np = realloc(l->pend, cap)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		l->pend = np;
		l->cappend = cap;
	}
	np = l->pend + used;
	l->rec_off = l->npend + hn;
	memcpy(np, head, hn);
	memcpy(np + hn, c, n);
	memcpy(np + hn + n, tail, tn);
	return (int)(hn + n + tn);
}

static int add(struct dk_ledger *, json_t *, const char *, size_t,
    struct dk_err *);

int
dk_ledger_add(struct dk_ledger *l, json_t *rec, struct dk_err *e)
{
	return dk_ledger_add_canon(l, rec, NULL, e);
}

/* The same, with rec's canonical text c (dk_canon's) when the caller has
 * it already, or NULL.  The state cache's line of the entry is made of rec
 * (its type, slot, meter, reason, provisional, a contract's members) and,
 * when it holds the record, of c: the two must agree on those.  A flat
 * text in the profile (dk_profile_flat: every order, trade and contract
 * at least) spares the walk of rec's tree, which at 4,000 records a slot
 * misses the cache at every member. */
int
dk_ledger_add_canon(struct dk_ledger *l, json_t *rec, const char *c,
    struct dk_err *e)
{
	size_t n = c != NULL ? strlen(c) : 0;

	if ((c == NULL || !dk_profile_flat(c, n)) &&
	    dk_profile_check(rec, e) < 0)
		return -1;
	return add(l, rec, c, n, e);
}

/* The same for a text c of n bytes that is taken only when it is flat
 * (dk_profile_flat), rec the head the state and its cache read of it (its
 * type and slot, say): 1 when it is not, nothing added (the caller adds
 * its whole record then).  A settle run checks each text it makes so, once. */
int
dk_ledger_add_flat(struct dk_ledger *l, json_t *rec, const char *c, size_t n,
    struct dk_err *e)
{
	if (!dk_profile_flat(c, n))
		return 1;
	return add(l, rec, c, n, e);
}

/* An order's line that dk_order_line read (canonical, and in the profile
 * by its reading: known keys, plain ASCII strings, integers of 15 digits
 * at most) as an entry, without its record: neither the state nor its
 * cache reads an order's (state-cache.c's line_of writes none).  A
 * contract-sign run appends some 4,000 a slot at 1,000 homes. */
int
dk_ledger_add_order(struct dk_ledger *l, const char *line, struct dk_err *e)
{
	return add(l, NULL, line, strlen(line), e);
}

/* rec (NULL: an order's, not made) with its text c (cn bytes; NULL:
 * dk_canon's of rec) as the next entry. */
static int
add(struct dk_ledger *l, json_t *rec, const char *c, size_t cn,
    struct dk_err *e)
{
	char *s = NULL;
	int n;
	unsigned char leaf[32];

	if (l->npend == 0) {
		l->cut = 0;
		memcpy(l->base_prev, l->prev, sizeof(l->prev));
		l->base_next = l->next;
		l->base_tree = l->info.tree;
		l->base_nleaves = l->info.nleaves;
	}
	l->cp_off = l->npend;
	memcpy(l->cp_prev, l->prev, sizeof(l->prev));
	l->cp_tree = l->info.tree;
	l->cp_nleaves = l->info.nleaves;
	if (c == NULL) {
		if ((c = s = dk_canon(rec)) == NULL)
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		cn = strlen(c);
	}
	if ((n = frame(l, c, cn, e)) < 0) {
		free(s);
		return -1;
	}
	/* the leaf hashes the line without its newline */
	dk_merkle_leaf(l->pend + (l->npend - l->pout), (size_t)n - 1, leaf);
	l->npend += (size_t)n;
	if (dk_scaninfo_leaf(&l->info, leaf, e) < 0) {
		free(s);
		return -1;
	}
	dk_hash_hex(leaf, l->prev);
	dk_mtree_append(&l->info.tree, leaf);
	l->last_cp = rec != NULL && strcmp(json_string_value(
	    json_object_get(rec, "type")), "checkpoint") == 0;
	l->next++;
	if (l->sw != NULL && rec != NULL &&
	    dk_scache_w_add(l->sw, l, rec, c, cn) < 0) {
		dk_scache_w_free(l->sw);	/* the next start reads it */
		l->sw = NULL;
	}
	free(s);
	return 0;
}

/* Where the record's text of the entry added last starts in the pending
 * lines (the bytes dk_ledger_add_canon was given, or dk_canon's of its
 * record), past frame()'s head: a caller that needs those bytes again
 * after the commit (denki-settle's and denki-contract-sign's stdout) reads
 * them at dk_ledger_lines() + this offset rather than keep a copy.  They
 * stay there until entries are added again or the ledger is closed. */
size_t
dk_ledger_last_text(const struct dk_ledger *l)
{
	return l->rec_off;
}

/* n bytes at p to fd, a MiB a write at most: a settle run appends some
 * 200 MB, which in writes of a page each cost 51,000 calls (0.15 CPU-s) */
static int
put(int fd, const char *p, size_t n)
{
	size_t off = 0, most = 1 << 20;
	ssize_t w;

	while (off < n) {
		w = write(fd, p + off, n - off < most ? n - off : most);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		off += w;
	}
	return 0;
}

/*
 * Pending lines written ahead of their commit (dk_ledger_spill): the
 * files, the sizes acknowledged and the process that wrote them, so that
 * a run that ends without its commit cuts them: at exit (an error, a
 * rejected record, a return from main that closes nothing), and at a
 * signal that would end it (ahead_sigs, where nothing else handles it;
 * ftruncate is safe in a handler).  A run killed outright (SIGKILL, a
 * crash, a power loss) leaves them: what ends at a checkpoint among them
 * stays, and denki-ledger-recover cuts what follows the last.  A child
 * forked meanwhile shares the files but cuts nothing.
 */
static volatile struct {
	int fd;		/* set last, cleared first: a handler that sees it */
	off_t size;	/* sees these whole */
	pid_t pid;
} ahead[4] = { { -1, 0, 0 }, { -1, 0, 0 }, { -1, 0, 0 }, { -1, 0, 0 } };
static int ahead_hooked;
static const int ahead_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	SIGPIPE, SIGALRM, SIGUSR1, SIGUSR2, SIGXFSZ };

static void
cut_ahead(void)
{
	size_t i;
	pid_t me = getpid();
	int fd;

	for (i = 0; i < sizeof(ahead) / sizeof(ahead[0]); i++)
		if ((fd = ahead[i].fd) >= 0 && ahead[i].pid == me &&
		    ftruncate(fd, ahead[i].size) == 0)
			fsync(fd);
}

/* slot k noted (fd >= 0: its size and pid first) or cleared (-1) */
static void
ahead_set(int k, int fd, off_t size)
{
	ahead[k].fd = -1;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (fd < 0)
		return;
	ahead[k].size = size;
	ahead[k].pid = getpid();
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	ahead[k].fd = fd;
}

/* the cut, then the signal's own end */
static void
cut_ahead_sig(int sig)
{
	cut_ahead();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* The cut at exit, and at the signals nothing else handles. */
static int
ahead_hook(void)
{
	struct sigaction sa, old;
	size_t i;

	if (atexit(cut_ahead) != 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cut_ahead_sig;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(ahead_sigs) / sizeof(ahead_sigs[0]); i++)
		if (sigaction(ahead_sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			sigaction(ahead_sigs[i], &sa, NULL);
	return 0;
}

/* fd's slot in ahead[] (fd -1: a free one), or -1 when none is */
static int
ahead_slot(int fd)
{
	size_t i;

	for (i = 0; i < sizeof(ahead) / sizeof(ahead[0]); i++)
		if (ahead[i].fd == fd)
			return (int)i;
	return -1;
}

/*
 * Pending lines beyond hold bytes (0: none) are written to the file as
 * entries are added, before the commit, rather than held: a settle run of
 * a month at 1,000 homes adds 2 GB, memory that each run touches afresh.
 * Only for a run that will commit (not a dry one).  first (NULL: none) is
 * called before each such write, with ctx, to put on disk what must be
 * there before the lines (settle's openings of their commitments).  No
 * reader sees them before the commit (a reader waits for the writer's
 * lock); a failed write or a run that ends without its commit cuts them
 * (dk_ledger_close, at exit, at a signal).  A run killed outright leaves
 * them, and with them the checkpoints among them: what ends at one stays
 * (denki-ledger-recover cuts what follows the last), as after a crash in
 * the middle of a commit.  After the commit, dk_ledger_lines() gives them
 * back, from the file.
 */
void
dk_ledger_spill(struct dk_ledger *l, size_t hold,
    int (*first)(void *, struct dk_err *), void *ctx)
{
	if (!ahead_hooked && hold > 0) {
		if (ahead_hook() < 0)
			return;	/* held, as before */
		ahead_hooked = 1;
	}
	l->hold = hold;
	l->spill_first = first;
	l->spill_ctx = ctx;
}

static void undo(struct dk_ledger *);

/* The pending lines held, to the file (the last commit's size noted for
 * a cut at exit): 0, or -1 with e filled and nothing of the run kept. */
static int
spill(struct dk_ledger *l, struct dk_err *e)
{
	int k = ahead_slot(l->fd);

	if (k < 0) {
		if ((k = ahead_slot(-1)) < 0) {
			l->hold = 0;	/* no room to note it: held */
			return 0;
		}
		ahead_set(k, l->fd, l->committed);
	}
	if (l->spill_first != NULL && l->spill_first(l->spill_ctx, e) < 0) {
		undo(l);
		return -1;
	}
	if (put(l->fd, l->pend, l->npend - l->pout) < 0) {
		dk_fail(e, DK_EX_IOERR, "%s: write: %s; nothing of this run "
		    "was appended", l->path, strerror(errno ? errno : EIO));
		undo(l);
		return -1;
	}
	l->pout = l->npend;
	return 0;
}

/* Nothing of the pending run kept: the file cut back to what was
 * acknowledged, the chain, tree and cache as they were before it. */
static void
undo(struct dk_ledger *l)
{
	int k;

	if (ftruncate(l->fd, l->committed) == 0)
		fsync(l->fd);
	if ((k = ahead_slot(l->fd)) >= 0)
		ahead_set(k, -1, 0);
	/* its lines name entries that are gone: the next start reads on
	 * from the cache's last mark */
	dk_scache_w_free(l->sw);
	l->sw = NULL;
	l->npend = l->pout = 0;
	l->cut = 1;
	memcpy(l->prev, l->base_prev, sizeof(l->prev));
	l->next = l->base_next;
	l->info.tree = l->base_tree;
	l->info.nleaves = l->base_nleaves;
}

/* The lines of the last commit, or of the entries added on a dry run,
 * where dk_ledger_last_text's offsets point (before the entries added
 * next): held, or mapped back from the file when some were written ahead.
 * NULL with e filled (a run cut back holds none). */
const char *
dk_ledger_lines(struct dk_ledger *l, struct dk_err *e)
{
	off_t at;
	void *m;

	if (l->cut) {
		dk_fail(e, DK_EX_SOFTWARE, "%s: what this run added was cut "
		    "off again", l->path);
		return NULL;
	}
	if (!l->run_out)
		return l->pend;
	if (l->view == NULL) {
		at = l->run_at - l->run_at % sysconf(_SC_PAGESIZE);
		m = mmap(NULL, (size_t)(l->run_at - at) + l->run_n, PROT_READ,
		    MAP_SHARED, l->fd, at);
		if (m == MAP_FAILED) {
			dk_fail(e, DK_EX_SOFTWARE, "%s: cannot read back "
			    "what was appended: %s", l->path, strerror(errno));
			return NULL;
		}
		l->view = m;
		l->nview = (size_t)(l->run_at - at) + l->run_n;
		l->view_skip = (size_t)(l->run_at - at);
	}
	return l->view + l->view_skip;
}

/*
 * The last checkpoint added, to the witnesses, in an order that keeps a
 * witness from cosigning a tree the ledger then fails to hold: room for the
 * whole append (its checkpoint with every witness's line) reserved first,
 * so a full disk fails before any witness is asked; the entries before the
 * checkpoint written and synced (unacknowledged: no checkpoint covers them
 * yet); then the witnesses; then the checkpoint entry with their lines,
 * into the room reserved.  What remains: a crash between a witness's
 * answer and the last fsync leaves entries that ledger-recover cuts, and
 * that witness ahead of the ledger (denki-ledger-recover(1)).
 */
static int
witnessed(struct dk_ledger *l, struct dk_err *e)
{
	size_t body = l->cp_off, hold = l->hold;
	char *lines, *note;
	json_t *c;
	int rc, k;

	if (fallocate(l->fd, FALLOC_FL_KEEP_SIZE, l->committed, l->npend +
	    l->cosign_room) < 0 && errno != EOPNOTSUPP && errno != ENOSYS)
		return -1;
	if (put(l->fd, l->pend, body - l->pout) < 0 || fsync(l->fd) < 0)
		return -1;
	/* once a witness may have cosigned, a signal's cut would leave it
	 * ahead of the ledger: a signal from here ends the run as a crash
	 * does, for denki-ledger-recover */
	if ((k = ahead_slot(l->fd)) >= 0)
		ahead_set(k, -1, 0);
	if ((lines = l->cosign(l->cosign_ctx, l, l->cp_note, e)) == NULL)
		return -2;
	if (*lines != '\0') {
		/* the checkpoint entry again, its note cosigned */
		rc = asprintf(&note, "%s%s", l->cp_note, lines);
		free(lines);
		if (rc < 0) {
			dk_fail(e, DK_EX_SOFTWARE, "out of memory");
			return -2;
		}
		l->npend = body;
		l->next--;
		memcpy(l->prev, l->cp_prev, sizeof(l->prev));
		l->info.tree = l->cp_tree;
		l->info.nleaves = l->cp_nleaves;
		c = json_pack("{s:s,s:i,s:s}", "type", "checkpoint", "v", 1,
		    "note", note);
		free(note);
		/* held: the lines before it are written already */
		l->hold = 0;
		rc = c == NULL ? -1 : dk_ledger_add(l, c, e);
		l->hold = hold;
		json_decref(c);
		if (rc < 0)
			return -2;
	} else
		free(lines);
	if (put(l->fd, l->pend + (body - l->pout), l->npend - body) < 0 ||
	    fsync(l->fd) < 0)
		return -1;
	return 0;
}

/* Writes what was added and fsyncs before anyone is told: an append that
 * was acknowledged survives a crash.  On a failed write (a full disk) the
 * file is cut back to the last acknowledged entry. */
int
dk_ledger_commit(struct dk_ledger *l, struct dk_err *e)
{
	int rc, k;

	if (l->cosign != NULL && l->last_cp && l->npend > 0)
		rc = witnessed(l, e);
	else
		rc = put(l->fd, l->pend, l->npend - l->pout) < 0 ||
		    fsync(l->fd) < 0 ? -1 : 0;
	if (rc == 0) {
		/* acknowledged: nothing to cut at a signal from here */
		if ((k = ahead_slot(l->fd)) >= 0)
			ahead_set(k, -1, 0);
		if (l->view != NULL)
			munmap(l->view, l->nview);
		l->view = NULL;
		l->run_at = l->committed;
		l->run_n = l->npend;
		l->run_out = l->pout > 0;
		l->committed += l->npend;
		l->npend = l->pout = 0;
		/* only now: a cache never holds an entry a failed write lost */
		if (l->sw != NULL && (l->cosign != NULL ||
		    dk_scache_w_commit(l->sw, l) < 0)) {
			dk_scache_w_free(l->sw);
			l->sw = NULL;
		}
		return 0;
	}
	if (rc == -1)
		dk_fail(e, DK_EX_IOERR, "%s: write: %s; nothing of this run "
		    "was appended", l->path, strerror(errno ? errno : EIO));
	else
		dk_failpre(e, "%s: nothing of this run was appended", l->path);
	undo(l);
	return -1;
}

/* The end of a writer's run: a checkpoint after what was added, unless
 * the last entry added is one, then the commit (none on a dry run). */
int
dk_ledger_finish(struct dk_ledger *l, int dry, struct dk_err *e)
{
	if (l->npend > 0 && !l->last_cp && dk_ledger_checkpoint(l, e) < 0)
		return -1;
	if (dry && l->pout > 0)
		undo(l);	/* dk_ledger_spill is for a run that commits */
	return dry ? 0 : dk_ledger_commit(l, e);
}

void
dk_ledger_close(struct dk_ledger *l)
{
	if (l->fd >= 0 && l->pout > 0)
		undo(l);	/* written ahead of a commit that never came */
	if (l->view != NULL)
		munmap(l->view, l->nview);
	l->view = NULL;
	if (l->fd >= 0)
		close(l->fd);	/* releases the lock */
	l->fd = -1;
	free(l->pend);
	free(l->path);
	free(l->cp_note);
	dk_scache_w_free(l->sw);
	l->sw = NULL;
	dk_scaninfo_free(&l->info);
	l->cp_note = NULL;
	l->pend = NULL;
	l->path = NULL;
}

