/* Unit tests for lib/core/jalloc.c: JSON values made and freed from the
 * pools keep their contents, a block freed is handed out again (by
 * another thread too), large values and dk_json_dumps's text (for
 * free()) work as before. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "denki.h"
#include "check.h"

#define N 20000

/* Values of every size class and past the last, checked after all are
 * made, freed, then made again. */
static int
round_trip(void)
{
	static json_t *v[N];
	char key[16], big[600];
	size_t i;
	int bad = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		big[i % (sizeof(big) - 1)] = '\0';
		v[i] = json_pack("{s:s,s:I,s:[i,s]}", key, big, "n",
		    (json_int_t)i, "a", (int)i, key);
		big[i % (sizeof(big) - 1)] = 'x';
	}
	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		if (json_string_length(json_object_get(v[i], key)) !=
		    i % (sizeof(big) - 1) ||
		    json_integer_value(json_object_get(v[i], "n")) !=
		    (json_int_t)i || strcmp(json_string_value(json_array_get(
		    json_object_get(v[i], "a"), 1)), key) != 0)
			bad++;
	}
	for (i = 0; i < N; i++)
		json_decref(v[i]);
	return bad;
}

static void *
thread(void *arg)
{
	(void)arg;
	return (void *)(long)round_trip();
}

/* Values made in one thread, freed in another. */
static json_t *shared[N];

/* Frees the odd ones of shared (made by main), then makes and checks
 * values of its own from those blocks, and frees them. */
static void *
crossing(void *arg)
{
	char key[16];
	json_t *mine[N / 2];
	size_t i;
	long bad = 0;

	(void)arg;
	for (i = 1; i < N; i += 2) {
		json_decref(shared[i]);
		shared[i] = NULL;
	}
	for (i = 0; i < N / 2; i++) {
		snprintf(key, sizeof(key), "t%zu", i);
		mine[i] = json_pack("{s:s}", key, key);
	}
	for (i = 0; i < N / 2; i++) {
		snprintf(key, sizeof(key), "t%zu", i);
		if (strcmp(json_string_value(json_object_get(mine[i], key)),
		    key) != 0)
			bad++;
		json_decref(mine[i]);
	}
	return (void *)bad;
}

/* main's values, half freed by another thread meanwhile: the others kept
 * whole; the number found changed */
static int
across(void)
{
	char key[16];
	pthread_t t;
	void *r = NULL;
	size_t i;
	int bad = 0;

	for (i = 0; i < N; i++) {
		snprintf(key, sizeof(key), "m%zu", i);
		shared[i] = json_pack("{s:s,s:I}", key, key, "n",
		    (json_int_t)i);
	}
	if (pthread_create(&t, NULL, crossing, NULL) != 0 ||
	    pthread_join(t, &r) != 0)
		return -1;
	bad += (int)(long)r;
	for (i = 0; i < N; i += 2) {
		snprintf(key, sizeof(key), "m%zu", i);
		if (strcmp(json_string_value(json_object_get(shared[i], key)),
		    key) != 0 || json_integer_value(json_object_get(shared[i],
		    "n")) != (json_int_t)i)
			bad++;
		json_decref(shared[i]);
	}
	return bad;
}

int
main(void)
{
	json_t *a, *b;
	pthread_t t;
	void *r;
	char *s;
	void *p;

	dk_jalloc_on();
#ifndef __SANITIZE_ADDRESS__	/* the pools are on: jansson's are not malloc */
	{
		json_malloc_t m;
		json_free_t f;

		json_get_alloc_funcs(&m, &f);
		CHECK(m != malloc && f != free);
	}
#endif
	CHECK(round_trip() == 0);
	CHECK(round_trip() == 0);
	/* a value freed: its block the next of its size */
	a = json_string("a freed block");
	p = a;
	json_decref(a);
	b = json_string("a freed block");
#ifndef __SANITIZE_ADDRESS__	/* malloc's blocks then, for its checks */
	CHECK((void *)b == p);
#else
	(void)p;
#endif
	json_decref(b);
	/* another thread's values, freed there and here */
	CHECK(pthread_create(&t, NULL, thread, NULL) == 0);
	CHECK(pthread_join(t, &r) == 0 && r == NULL);
	CHECK(round_trip() == 0);
	/* a block of 0 bytes (jansson asks none) holds the free list's
	 * link itself: freed, it writes nothing over the next block's
	 * head, the 16 bytes before what the next one handed out (the
	 * pools' heads: under AddressSanitizer, malloc's blocks have none) */
#ifndef __SANITIZE_ADDRESS__
	{
		json_malloc_t m;
		json_free_t f;
		unsigned char head[16];
		char *z, *o;

		json_get_alloc_funcs(&m, &f);
		z = m(0);
		o = m(0);	/* the same size: next to it in a chunk */
		CHECK(z != NULL && o != NULL);
		if (z != NULL && o != NULL) {
			memcpy(head, o - 16, 16);
			f(z);
			CHECK(memcmp(head, o - 16, 16) == 0);
			f(o);
		}
	}
#endif
	/* made here, half freed and made again there */
	CHECK_INT(across(), 0);
	CHECK(round_trip() == 0);
	/* dumps: text of malloc's own, what json_dumps writes */
	a = json_pack("{s:s,s:i}", "\xc3\xa9", "x", "v", 1);
	s = dk_json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	CHECK(s != NULL && strcmp(s, "{\"v\":1,\"\xc3\xa9\":\"x\"}") == 0);
	free(s);
	s = dk_canon(a);	/* UTF-8: jansson's dump, through the pools */
	CHECK(s != NULL && strcmp(s, "{\"v\":1,\"\xc3\xa9\":\"x\"}") == 0);
	free(s);
	json_decref(a);
	return check_done("test-jalloc");
}
