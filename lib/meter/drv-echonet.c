/* drv-echonet.c: the "echonet" driver, ECHONET Lite over UDP (port 3610). */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "meter.h"

/*
 * A node answers on port 3610 of the asker, whatever port the question
 * came from (echonet-lite sends from 23610; meters.md 1.2), so the socket
 * is bound to the same port, with SO_REUSEADDR beside other ECHONET
 * software, on meter.echonet.bind (0.0.0.0 unless told).  Answers are taken
 * from the node's address, any source port.
 */

struct udp {
	int fd;
	struct sockaddr_in to;
};

static int
udp_send(void *ctx, const unsigned char *b, size_t len, struct dk_err *e)
{
	struct udp *u = ctx;
	char a[INET_ADDRSTRLEN];

	if (sendto(u->fd, b, len, 0, (struct sockaddr *)&u->to,
	    sizeof(u->to)) == (ssize_t)len)
		return 0;
	if (errno == ECONNREFUSED || errno == EHOSTUNREACH ||
	    errno == ENETUNREACH || errno == EAGAIN)
		return 1;
	inet_ntop(AF_INET, &u->to.sin_addr, a, sizeof(a));
	return dk_fail(e, DK_EX_IOERR, "%s:%u: send: %s", a,
	    ntohs(u->to.sin_port), strerror(errno));
}

static int
udp_recv(void *ctx, unsigned char *b, size_t cap, int64_t deadline,
    struct dk_err *e)
{
	struct udp *u = ctx;
	struct sockaddr_in from;
	struct pollfd pfd;
	socklen_t fl;
	ssize_t n;
	int64_t left;

	for (;;) {
		if ((left = deadline - dk_el_now_ms()) <= 0)
			return 0;
		pfd.fd = u->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return dk_fail(e, DK_EX_IOERR, "poll: %s",
			    strerror(errno));
		}
		if (!(pfd.revents & POLLIN))
			continue;
		fl = sizeof(from);
		n = recvfrom(u->fd, b, cap, MSG_TRUNC, (struct sockaddr *)&from,
		    &fl);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == ECONNREFUSED)
				continue;
			return dk_fail(e, DK_EX_IOERR, "recv: %s",
			    strerror(errno));
		}
		if (from.sin_family != AF_INET ||
		    from.sin_addr.s_addr != u->to.sin_addr.s_addr)
			continue;	/* another node */
		if ((size_t)n > cap)
			n = cap;	/* cut: the parser refuses it */
		return n > 0 ? (int)n : 0;
	}
}

static int
resolve(const char *host, struct in_addr *a, const char *key,
    struct dk_err *e)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_DGRAM;
	if ((rc = getaddrinfo(host, NULL, &hints, &res)) != 0)
		return dk_fail(e, DK_EX_CONFIG, "meter.echonet.%s: %s: %s",
		    key, host, gai_strerror(rc));
	*a = ((struct sockaddr_in *)res->ai_addr)->sin_addr;
	freeaddrinfo(res);
	return 0;
}

struct dk_el_udp {
	struct udp u;
	char peer[300];
};

/*
 * The socket to the node at host, with meter.echonet.port, bind, timeout
 * and retries from c, set up as io's transport (io->peer names it);
 * dk_el_udp_close ends it.  NULL on failure (e says why).
 */
struct dk_el_udp *
dk_el_udp_open(const struct dk_conf *c, const char *host,
    struct dk_el_io *io, struct dk_err *e)
{
	const char *bindto;
	struct sockaddr_in me;
	struct dk_el_udp *x;
	long long port, timeout, retries;
	int one = 1;

	bindto = dk_conf_str(c, "meter.echonet.bind", "0.0.0.0");
	if (dk_conf_int(c, "meter.echonet.port", 3610, 1, 65535, &port,
	    e) < 0 || dk_conf_int(c, "meter.echonet.timeout", 2000, 10,
	    600000, &timeout, e) < 0 || dk_conf_int(c,
	    "meter.echonet.retries", 2, 0, 100, &retries, e) < 0)
		return NULL;
	if ((x = calloc(1, sizeof(*x))) == NULL) {
		dk_fail(e, DK_EX_SOFTWARE, "out of memory");
		return NULL;
	}
	x->u.to.sin_family = AF_INET;
	x->u.to.sin_port = htons((uint16_t)port);
	memset(&me, 0, sizeof(me));
	me.sin_family = AF_INET;
	me.sin_port = htons((uint16_t)port);
	if (resolve(host, &x->u.to.sin_addr, "host", e) < 0 ||
	    resolve(bindto, &me.sin_addr, "bind", e) < 0) {
		free(x);
		return NULL;
	}
	snprintf(x->peer, sizeof(x->peer), "%s:%lld", host, port);
	if ((x->u.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0) {
		dk_fail(e, DK_EX_IOERR, "socket: %s", strerror(errno));
		free(x);
		return NULL;
	}
	setsockopt(x->u.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(x->u.fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		dk_fail(e, DK_EX_UNAVAILABLE, "-d echonet: bind %s:%lld "
		    "(answers come to the ECHONET port): %s", bindto, port,
		    strerror(errno));
		close(x->u.fd);
		free(x);
		return NULL;
	}
	memset(io, 0, sizeof(*io));
	io->ctx = &x->u;
	io->peer = x->peer;
	io->timeout_ms = (int)timeout;
	io->retries = (int)retries;
	io->send = udp_send;
	io->recv = udp_recv;
	return x;
}

void
dk_el_udp_close(struct dk_el_udp *x)
{
	if (x == NULL)
		return;
	close(x->u.fd);
	free(x);
}

int
dk_drv_echonet(struct dk_drv *d, struct dk_err *e)
{
	const struct dk_conf *c = d->conf;
	const char *host, *tz;
	struct dk_el_udp *x;
	struct dk_el_io io;
	int rc;

	if ((host = dk_conf_str(c, "meter.echonet.host", NULL)) == NULL)
		return dk_fail(e, DK_EX_CONFIG, "-d echonet: meter.echonet.host "
		    "(the node's IPv4 address) is not set");
	tz = dk_conf_str(c, "meter.echonet.tz", dk_conf_str(c, "tz",
	    "Asia/Tokyo"));
	if ((x = dk_el_udp_open(c, host, &io, e)) == NULL)
		return -1;
	rc = dk_el_read(d, &io, tz, e);
	dk_el_udp_close(x);
	return rc;
}
