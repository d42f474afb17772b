/* jalloc.c: jansson's small blocks from free lists of one size each, a
 * thread's own: a month's settle run makes and frees some ten million
 * small JSON values, whose malloc and free cost a fifth of its own time. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/*
 * A block is a 16-byte head (its class, 0 for one of malloc's own) and
 * the bytes asked for; class k holds heads and bytes of 16 k bytes at
 * most, for k from 2 to NCLASS, carved from chunks of CHUNK bytes that
 * stay till the process ends (listed, so none is lost).  A block freed
 * goes on the freeing thread's list of its class.  Under
 * AddressSanitizer malloc's blocks stay, for its checks.
 */
#if defined(__SANITIZE_ADDRESS__)
#define NOPOOL 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NOPOOL 1
#endif
#endif

#ifndef NOPOOL
#define GRAIN 16
#define NCLASS 16
#define CHUNK (1 << 20)

struct head {
	size_t cls;
	size_t pad;
};

static __thread void *freel[NCLASS + 1];
static __thread char *bump, *bend;
static void *chunks;		/* the chunks, each's first word the next */
static pthread_mutex_t chunk_lock = PTHREAD_MUTEX_INITIALIZER;

static int
new_chunk(void)
{
	char *c = malloc(CHUNK);

	if (c == NULL)
		return -1;
	pthread_mutex_lock(&chunk_lock);
	*(void **)c = chunks;
	chunks = c;
	pthread_mutex_unlock(&chunk_lock);
	bump = c + GRAIN;
	bend = c + CHUNK;
	return 0;
}

static void *
jmalloc(size_t n)
{
	size_t cls = (n + sizeof(struct head) + GRAIN - 1) / GRAIN, sz;
	struct head *h;
	void *p;

	if (cls < 2)		/* room for the free list's link */
		cls = 2;

	if (n > NCLASS * GRAIN - sizeof(struct head)) {
		if ((h = malloc(sizeof(*h) + n)) == NULL)
			return NULL;
		h->cls = 0;
		return h + 1;
	}
	if ((p = freel[cls]) != NULL) {
		freel[cls] = *(void **)p;
		return p;
	}
	sz = cls * GRAIN;
	if ((bump == NULL || (size_t)(bend - bump) < sz) && new_chunk() < 0)
		return NULL;
	h = (struct head *)bump;
	bump += sz;
	h->cls = cls;
	return h + 1;
}

static void
jfree(void *p)
{
	struct head *h;

	if (p == NULL)
		return;
	h = (struct head *)p - 1;
	if (h->cls == 0) {
		free(h);
		return;
	}
	*(void **)p = freel[h->cls];
	freel[h->cls] = p;
}

#endif /* NOPOOL */

/* jansson's blocks from the pools from now on: before its first value
 * (one made before would be freed into them).  A program's json_dumps
 * text goes through dk_json_dumps. */
void
dk_jalloc_on(void)
{
#ifndef NOPOOL
	json_set_alloc_funcs(jmalloc, jfree);
#endif
}

/* json_dumps(v, flags) in a block of malloc's own, for free(). */
char *
dk_json_dumps(const json_t *v, size_t flags)
{
	json_malloc_t m;
	json_free_t f;
	char *s = json_dumps(v, flags), *t;

	if (s == NULL)
		return NULL;
	json_get_alloc_funcs(&m, &f);
	t = strdup(s);
	f(s);
	return t;
}
