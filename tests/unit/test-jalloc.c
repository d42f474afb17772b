/* Unit tests for lib/core/jalloc.c: JSON values made and freed from the
 * pools keep their contents, a block freed is handed out again, large
 * values and dk_json_dumps's text (for free()) work as before. */
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

int
main(void)
{
	json_t *a, *b;
	pthread_t t;
	void *r;
	char *s;
	void *p;

	dk_jalloc_on();
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
