/* drv-dsmr.c: the dsmr driver: P1 telegrams from a serial port or TCP. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "meter.h"

#define P1_MAX	16384	/* a telegram is 1 to 2 KB; more is not one */

struct p1 {
	struct dk_drv *d;
	const char *device;	/* one of these two */
	const char *tcp;
	const char *tz;
	long long baud, telegrams, timeout, retries;
	int bits, parity, stop;	/* 7/8, 'N'/'E'/'O', 1/2 */
	int fd;
	char where[300];	/* "/dev/ttyUSB0" or "tcp meter:2001" */
	char buf[P1_MAX];
	size_t len;
	long seen;		/* telegrams framed, for messages */
	long good;
};

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
warnf(struct p1 *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
warnf(struct p1 *p, const char *fmt, ...)
{
	char msg[700], head[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(head, sizeof(head), "dsmr: %s: ", p->where);
	if (p->d->warn != NULL) {
		char all[1024];
		snprintf(all, sizeof(all), "%s%s", head, msg);
		p->d->warn(p->d->ctx, all);
	}
}

static speed_t
speed_of(long long baud)
{
	switch (baud) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	case 9600: return B9600;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	case 230400: return B230400;
	}
	return 0;
}

static int
open_serial(struct p1 *p, struct dk_err *e)
{
	struct termios tio;
	int fd;

	if ((fd = open(p->device, O_RDONLY | O_NOCTTY | O_NONBLOCK |
	    O_CLOEXEC)) < 0)
		return dk_fail(e, errno == EACCES ? DK_EX_NOPERM :
		    DK_EX_UNAVAILABLE, "dsmr: %s: %s", p->where,
		    strerror(errno));
	/* A FIFO or a capture file is read as it is. */
	if (tcgetattr(fd, &tio) == 0) {
		cfmakeraw(&tio);
		cfsetispeed(&tio, speed_of(p->baud));
		cfsetospeed(&tio, speed_of(p->baud));
		tio.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
		tio.c_cflag |= (p->bits == 7 ? CS7 : CS8) | CLOCAL | CREAD;
		if (p->parity != 'N')
			tio.c_cflag |= PARENB | (p->parity == 'O' ? PARODD : 0);
		if (p->stop == 2)
			tio.c_cflag |= CSTOPB;
		tio.c_cc[VMIN] = 1;
		tio.c_cc[VTIME] = 0;
		if (tcsetattr(fd, TCSANOW, &tio) < 0) {
			int err = errno;
			close(fd);
			return dk_fail(e, DK_EX_UNAVAILABLE, "dsmr: %s: "
			    "cannot set %lld %d%c%d: %s", p->where, p->baud,
			    p->bits, p->parity, p->stop, strerror(err));
		}
	}
	p->fd = fd;
	return 0;
}

static int
open_tcp(struct p1 *p, int64_t deadline, struct dk_err *e)
{
	struct addrinfo hints, *res, *ai;
	char host[256], *port;
	int fd = -1, rc, err = 0, soerr;
	socklen_t sl;

	snprintf(host, sizeof(host), "%s", p->tcp);
	if ((port = strrchr(host, ':')) == NULL || port[1] == '\0')
		return dk_fail(e, DK_EX_CONFIG, "meter.dsmr.tcp: \"%s\": "
		    "must be host:port", p->tcp);
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return dk_fail(e, DK_EX_UNAVAILABLE, "dsmr: %s: %s", p->where,
		    gai_strerror(rc));
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct pollfd pf;
		int64_t left;

		if ((fd = socket(ai->ai_family, ai->ai_socktype |
		    SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol)) < 0) {
			err = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		if (errno == EINPROGRESS) {
			pf.fd = fd;
			pf.events = POLLOUT;
			left = deadline - now_ms();
			if (left > 0 && poll(&pf, 1, (int)left) == 1) {
				sl = sizeof(soerr);
				if (getsockopt(fd, SOL_SOCKET, SO_ERROR,
				    &soerr, &sl) == 0 && soerr == 0)
					break;
				err = soerr;
			} else
				err = ETIMEDOUT;
		} else
			err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return dk_fail(e, err == ETIMEDOUT ? DK_EX_TEMPFAIL :
		    DK_EX_UNAVAILABLE, "dsmr: %s: %s", p->where,
		    strerror(err));
	p->fd = fd;
	return 0;
}

/* e's message without the "dsmr: where: " that warnf puts back */
static const char *
reason(struct p1 *p, struct dk_err *e)
{
	size_t n = strlen(p->where);

	if (strncmp(e->msg, "dsmr: ", 6) == 0 &&
	    strncmp(e->msg + 6, p->where, n) == 0 &&
	    strncmp(e->msg + 6 + n, ": ", 2) == 0)
		return e->msg + 8 + n;
	return e->msg;
}

/* A telegram framed: parse it, and either hand it on or refuse it. */
static int
telegram(struct p1 *p, const char *t, size_t n, int whole,
    struct dk_err *e)
{
	struct dk_err pe = { 0 };
	struct dk_dsmr m;
	struct dk_sample s;

	p->seen++;
	if (!whole || dk_dsmr_parse(t, n, p->tz, &m, &pe) < 0) {
		p->d->rejected++;
		if (!whole)
			warnf(p, "telegram %ld: refused: %s", p->seen,
			    n >= P1_MAX - 1 ? "longer than 16 KB" :
			    "cut short or garbled (no \"!CRC\" CR LF "
			    "before the next '/')");
		else
			warnf(p, "telegram %ld: refused: %s", p->seen,
			    pe.msg + (strncmp(pe.msg, "telegram: ", 10) == 0 ?
			    10 : strncmp(pe.msg, "telegram ", 9) == 0 ? 9 : 0));
		return 0;
	}
	memset(&s, 0, sizeof(s));
	snprintf(s.kind, sizeof(s.kind), "grid");
	s.t = m.t != DK_NOVAL ? m.t : (int64_t)time(NULL);
	s.import_mwh = m.import_mwh;
	s.export_mwh = m.export_mwh;
	s.power_w = m.power_w;
	if (p->d->sample(p->d->ctx, &s, e) < 0)
		return -1;
	p->good++;
	return 0;
}

/* Frames what is in the buffer; keeps the unfinished rest. */
static int
drain(struct p1 *p, struct dk_err *e)
{
	size_t st, en;
	int rc;

	while (p->good < p->telegrams) {
		rc = dk_dsmr_frame(p->buf, p->len, &st, &en);
		if (rc == 0) {
			if (st > 0) {
				memmove(p->buf, p->buf + st, p->len - st);
				p->len -= st;
			}
			if (p->len >= P1_MAX - 1) {
				if (telegram(p, p->buf, p->len, 0, e) < 0)
					return -1;
				p->len = 0;
			}
			return 0;
		}
		if (telegram(p, p->buf + st, en - st, rc == 1, e) < 0)
			return -1;
		memmove(p->buf, p->buf + en, p->len - en);
		p->len -= en;
	}
	return 0;
}

static int
settings(struct p1 *p, const struct dk_conf *c, struct dk_err *e)
{
	const char *f;

	p->device = dk_conf_str(c, "meter.dsmr.device", NULL);
	p->tcp = dk_conf_str(c, "meter.dsmr.tcp", NULL);
	p->tz = dk_conf_str(c, "meter.dsmr.tz", "Europe/Amsterdam");
	if ((p->device == NULL) == (p->tcp == NULL))
		return dk_fail(e, DK_EX_CONFIG, "%s: meter.dsmr.device (a "
		    "serial port) or meter.dsmr.tcp (host:port) must be set, "
		    "and not both", c->path ? c->path : "-D");
	if (dk_conf_int(c, "meter.dsmr.baud", 115200, 1200, 230400, &p->baud,
	    e) < 0 ||
	    dk_conf_int(c, "meter.dsmr.telegrams", 1, 1, 100000,
	    &p->telegrams, e) < 0 ||
	    dk_conf_int(c, "meter.dsmr.timeout", 30, 1, 86400, &p->timeout,
	    e) < 0 ||
	    dk_conf_int(c, "meter.dsmr.retries", 2, 0, 100, &p->retries,
	    e) < 0)
		return -1;
	if (speed_of(p->baud) == 0)
		return dk_fail(e, DK_EX_CONFIG, "%s: meter.dsmr.baud: %lld: "
		    "must be 1200, 2400, 4800, 9600, 19200, 38400, 57600, "
		    "115200 or 230400", c->path ? c->path : "-D", p->baud);
	f = dk_conf_str(c, "meter.dsmr.serial", "8N1");
	if (strlen(f) != 3 || (f[0] != '7' && f[0] != '8') ||
	    strchr("NEO", f[1]) == NULL || (f[2] != '1' && f[2] != '2'))
		return dk_fail(e, DK_EX_CONFIG, "%s: meter.dsmr.serial: \"%s\":"
		    " must be data bits, parity and stop bits, like 8N1 or "
		    "7E1", c->path ? c->path : "-D", f);
	p->bits = f[0] - '0';
	p->parity = f[1];
	p->stop = f[2] - '0';
	if (p->device != NULL)
		snprintf(p->where, sizeof(p->where), "%s", p->device);
	else
		snprintf(p->where, sizeof(p->where), "tcp %s", p->tcp);
	return 0;
}

/*
 * Reads until meter.dsmr.telegrams good telegrams, or the timeout.  A port
 * that will not open, or a stream that ends, is tried again up to
 * meter.dsmr.retries times, a second apart.
 */
int
dk_drv_dsmr(struct dk_drv *d, struct dk_err *e)
{
	struct p1 *p;
	int64_t deadline;
	long tries = 0;
	int rc = -1;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return dk_fail(e, DK_EX_SOFTWARE, "out of memory");
	p->d = d;
	p->fd = -1;
	if (settings(p, d->conf, e) < 0)
		goto out;
	deadline = now_ms() + p->timeout * 1000;
	while (p->good < p->telegrams) {
		struct pollfd pf;
		unsigned char chunk[4096];
		int64_t left = deadline - now_ms();
		ssize_t n;
		size_t i;

		if (left <= 0) {
			dk_fail(e, DK_EX_TEMPFAIL, "dsmr: %s: %ld of %lld "
			    "good telegram%s in %lld s (%ld refused)",
			    p->where, p->good, p->telegrams,
			    p->telegrams == 1 ? "" : "s", p->timeout,
			    d->rejected);
			goto out;
		}
		if (p->fd < 0) {
			if ((p->device ? open_serial(p, e) :
			    open_tcp(p, deadline, e)) < 0) {
				if (e->status == DK_EX_CONFIG ||
				    tries++ >= p->retries)
					goto out;
				warnf(p, "%s; trying again (%ld of %lld)",
				    reason(p, e), tries, p->retries);
				usleep(left > 1000 ? 1000000 : left * 1000);
			}
			continue;
		}
		pf.fd = p->fd;
		pf.events = POLLIN;
		if ((n = poll(&pf, 1, (int)left)) < 0 && errno != EINTR) {
			dk_fail(e, DK_EX_IOERR, "dsmr: %s: poll: %s", p->where,
			    strerror(errno));
			goto out;
		}
		if (n <= 0)
			continue;
		n = read(p->fd, chunk, sizeof(chunk));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			/* EOF, or EIO from a pty whose other end closed */
			const char *why = n == 0 ? "end of stream" :
			    strerror(errno);
			close(p->fd);
			p->fd = -1;
			if (p->len > 0 && memchr(p->buf, '/', p->len) != NULL) {
				p->seen++;
				d->rejected++;
				warnf(p, "telegram %ld: refused: cut short by "
				    "%s", p->seen, why);
			}
			p->len = 0;
			if (tries++ >= p->retries) {
				dk_fail(e, DK_EX_UNAVAILABLE, "dsmr: %s: %s "
				    "after %ld of %lld good telegram%s",
				    p->where, why, p->good, p->telegrams,
				    p->telegrams == 1 ? "" : "s");
				goto out;
			}
			warnf(p, "%s; opening again (%ld of %lld)", why,
			    tries, p->retries);
			continue;
		}
		/* P1 is ASCII: bit 7 is a parity bit read as data when the
		 * port is set 8N1 for a 7E1 meter. */
		for (i = 0; i < (size_t)n; i++) {
			if (p->len >= sizeof(p->buf))
				break;
			p->buf[p->len++] = chunk[i] & 0x7f;
			if (p->len == sizeof(p->buf) && drain(p, e) < 0)
				goto out;
		}
		if (drain(p, e) < 0)
			goto out;
	}
	rc = 0;
out:
	if (p->fd >= 0)
		close(p->fd);
	free(p);
	return rc;
}
