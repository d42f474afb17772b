/* http.c: GET through libcurl, with a timeout and bounded retries; a POST
 * once (a checkpoint to a witness, a batch of lines to the intake), with
 * curl's options for TLS, timeouts and a proxy. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dlfcn.h>
#include <curl/curl.h>

#include "meter.h"

struct buf {
	char *p;
	size_t n;
};

#define HTTP_MAX (4 * 1024 * 1024)

static size_t
take(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct buf *b = ctx;
	size_t n = size * nmemb;
	char *q;

	if (b->n + n > HTTP_MAX || (q = realloc(b->p, b->n + n + 1)) == NULL)
		return 0;
	memcpy(q + b->n, data, n);
	b->p = q;
	b->n += n;
	b->p[b->n] = '\0';
	return n;
}

/*
 * GETs url.  A connection that fails or times out, and a 5xx answer, are
 * tried again up to retries times, a second apart; each retry is told to
 * warn.  On success *body is the malloc'd answer (NUL-terminated) of a
 * 2xx status.  Errors: 69 refused or an HTTP error, 75 timed out.
 */
/*
 * libcurl is opened when a device is first asked over HTTP, not linked:
 * linked, it and its thirty libraries (TLS, Kerberos, LDAP ...) would cost
 * every denki program megabytes of memory on a Pi that most never use.
 */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	void (*easy_reset)(CURL *);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

static int
curl_open(struct dk_err *e)
{
	void *h;

	if (cu.easy_init != NULL)
		return 0;
	if ((h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL)) == NULL)
		return dk_fail(e, DK_EX_UNAVAILABLE, "%s (the HTTP drivers need "
		    "libcurl: apt-get install libcurl4)", dlerror());
	*(void **)&cu.global_init = dlsym(h, "curl_global_init");
	*(void **)&cu.easy_reset = dlsym(h, "curl_easy_reset");
	*(void **)&cu.easy_setopt = dlsym(h, "curl_easy_setopt");
	*(void **)&cu.easy_perform = dlsym(h, "curl_easy_perform");
	*(void **)&cu.easy_getinfo = dlsym(h, "curl_easy_getinfo");
	*(void **)&cu.easy_cleanup = dlsym(h, "curl_easy_cleanup");
	*(void **)&cu.easy_strerror = dlsym(h, "curl_easy_strerror");
	*(void **)&cu.slist_append = dlsym(h, "curl_slist_append");
	*(void **)&cu.slist_free_all = dlsym(h, "curl_slist_free_all");
	*(void **)&cu.easy_init = dlsym(h, "curl_easy_init");
	if (cu.slist_append == NULL || cu.slist_free_all == NULL ||
	    cu.global_init == NULL || cu.easy_reset == NULL ||
	    cu.easy_setopt == NULL || cu.easy_perform == NULL ||
	    cu.easy_getinfo == NULL || cu.easy_cleanup == NULL ||
	    cu.easy_strerror == NULL || cu.easy_init == NULL) {
		cu.easy_init = NULL;
		return dk_fail(e, DK_EX_UNAVAILABLE, "libcurl.so.4: a function "
		    "is missing (libcurl older than 7.85?)");
	}
	return 0;
}

/* libcurl opened and initialised once, and a handle */
static CURL *
easy(struct dk_err *e)
{
	static int inited;
	CURL *c;

	if (curl_open(e) < 0)
		return NULL;
	if (!inited) {
		if (cu.global_init(CURL_GLOBAL_DEFAULT) != 0) {
			dk_fail(e, DK_EX_SOFTWARE, "libcurl: cannot initialise");
			return NULL;
		}
		inited = 1;
	}
	if ((c = cu.easy_init()) == NULL)
		dk_fail(e, DK_EX_SOFTWARE, "libcurl: out of memory");
	return c;
}

static void
setup(CURL *c, const char *url, long timeout, struct buf *b, char *ebuf)
{
	ebuf[0] = '\0';
	cu.easy_reset(c);
	cu.easy_setopt(c, CURLOPT_URL, url);
	cu.easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, timeout);
	cu.easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.easy_setopt(c, CURLOPT_USERAGENT, "denki/" DK_VERSION);
	cu.easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
	cu.easy_setopt(c, CURLOPT_WRITEDATA, b);
	cu.easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
}

/* no answer: 75 timed out, else 69 */
static void
failed(CURL *c, const char *url, CURLcode rc, const char *ebuf,
    struct dk_err *e)
{
	long oserr = 0;

	cu.easy_getinfo(c, CURLINFO_OS_ERRNO, &oserr);
	dk_fail(e, rc == CURLE_OPERATION_TIMEDOUT ? DK_EX_TEMPFAIL :
	    DK_EX_UNAVAILABLE, "%s: %s%s%s%s", url, ebuf[0] ? ebuf :
	    cu.easy_strerror(rc), oserr ? " (" : "", oserr ?
	    strerror(oserr) : "", oserr ? ")" : "");
}

int
dk_http_get(const char *url, long timeout, long retries,
    void (*warn)(void *, const char *), void *ctx, char **body, size_t *len,
    struct dk_err *e)
{
	char ebuf[CURL_ERROR_SIZE], msg[600];
	struct buf b;
	CURL *c;
	CURLcode rc;
	long status = 0, attempt;

	if ((c = easy(e)) == NULL)
		return -1;
	for (attempt = 0;; attempt++) {
		memset(&b, 0, sizeof(b));
		setup(c, url, timeout, &b, ebuf);
		rc = cu.easy_perform(c);
		status = 0;
		cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_OK && status >= 200 && status < 300) {
			cu.easy_cleanup(c);
			*body = b.p ? b.p : strdup("");
			*len = b.n;
			return 0;
		}
		free(b.p);
		if (rc != CURLE_OK)
			failed(c, url, rc, ebuf, e);
		else
			dk_fail(e, DK_EX_UNAVAILABLE, "%s: HTTP status %ld",
			    url, status);
		if (attempt >= retries || (rc == CURLE_OK && status < 500) ||
		    rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL)
			break;
		if (warn != NULL) {
			snprintf(msg, sizeof(msg), "%s; trying again (%ld of "
			    "%ld)", e->msg, attempt + 1, retries);
			warn(ctx, msg);
		}
		sleep(1);
	}
	cu.easy_cleanup(c);
	return -1;
}

/*
 * POSTs len bytes of body to url, once.  0 when an answer came, whatever
 * its status (*status), with *answer its body (malloc'd, NUL-terminated);
 * -1 when none did (69, or 75 timed out).
 */
int
dk_http_post(const char *url, const char *body, size_t len, long timeout,
    long *status, char **answer, size_t *alen, struct dk_err *e)
{
	struct dk_http_opt o = { 0 };

	o.connect_timeout = o.max_time = timeout;
	return dk_http_post_opt(url, body, len, &o, status, answer, alen, e);
}

/* As dk_http_post, with o's TLS files, timeouts, proxy, content type and
 * protocols (o->https_only: no plain HTTP, even after a redirect, which
 * is never followed anyway). */
int
dk_http_post_opt(const char *url, const char *body, size_t len,
    const struct dk_http_opt *o, long *status, char **answer, size_t *alen,
    struct dk_err *e)
{
	char ebuf[CURL_ERROR_SIZE], ct[128];
	struct curl_slist *hdr = NULL;
	struct buf b;
	CURL *c;
	CURLcode rc;

	if ((c = easy(e)) == NULL)
		return -1;
	memset(&b, 0, sizeof(b));
	setup(c, url, o->max_time, &b, ebuf);
	cu.easy_setopt(c, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	if (o->https_only)
		cu.easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	if (o->cacert != NULL)
		cu.easy_setopt(c, CURLOPT_CAINFO, o->cacert);
	if (o->cert != NULL)
		cu.easy_setopt(c, CURLOPT_SSLCERT, o->cert);
	if (o->key != NULL)
		cu.easy_setopt(c, CURLOPT_SSLKEY, o->key);
	if (o->proxy != NULL)
		cu.easy_setopt(c, CURLOPT_PROXY, o->proxy);
	if (o->content_type != NULL) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", o->content_type);
		if ((hdr = cu.slist_append(NULL, ct)) == NULL) {
			cu.easy_cleanup(c);
			return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		}
		cu.easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	}
	cu.easy_setopt(c, CURLOPT_POSTFIELDS, body);
	cu.easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = cu.easy_perform(c);
	*status = 0;
	cu.easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (hdr != NULL)
		cu.slist_free_all(hdr);
	if (rc != CURLE_OK) {
		failed(c, url, rc, ebuf, e);
		/* the network, not the peer's certificate nor our options */
		if (o->net_tempfail && (rc == CURLE_COULDNT_CONNECT ||
		    rc == CURLE_COULDNT_RESOLVE_HOST ||
		    rc == CURLE_COULDNT_RESOLVE_PROXY ||
		    rc == CURLE_SEND_ERROR || rc == CURLE_RECV_ERROR ||
		    rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE))
			e->status = DK_EX_TEMPFAIL;
		free(b.p);
		cu.easy_cleanup(c);
		return -1;
	}
	cu.easy_cleanup(c);
	*answer = b.p ? b.p : strdup("");
	*alen = b.n;
	return *answer == NULL ? dk_fail(e, DK_EX_SOFTWARE, "out of memory") :
	    0;
}

/* 0 an https:// URL; 1 a plain http:// one to this machine (127.0.0.1,
 * localhost, [::1]); -1 any other, which must not be used: what goes and
 * comes back is the member's, and a path between could change or drop it
 * unseen. */
int
dk_url_local(const char *url)
{
	static const char *const here[] = { "http://127.0.0.1",
		"http://localhost", "http://[::1]", NULL };
	size_t i, n;

	if (strncmp(url, "https://", 8) == 0)
		return 0;
	for (i = 0; here[i] != NULL; i++) {
		n = strlen(here[i]);
		if (strncmp(url, here[i], n) == 0 && (url[n] == '\0' ||
		    url[n] == ':' || url[n] == '/'))
			return 1;
	}
	return -1;
}
