/* drv-broute.c: the "broute" driver, a smart meter's Wi-SUN route B
 * through an SKSTACK IP dongle (ROHM BP35A1/BP35C0, RATOC ...) on a serial
 * device. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "meter.h"

/*
 * The dialogue (meters.md section 5): commands end in CRLF and come back
 * as an echo, then "OK" or "FAIL ERxx".  Joining: SKSETPWD C <password>,
 * SKSETRBID <id>, SKSCAN (unless the channel, PAN and address are set),
 * SKSREG S2/S3, SKLL64 <address> (gives the meter's IPv6 address), SKJOIN,
 * then EVENT 25 (joined) or EVENT 24 (PANA refused).  An ECHONET frame goes
 * out with SKSENDTO ... <4-hex length> <bytes>; EVENT 21 ends the send,
 * with 00 sent, 01 failed, 02 still resolving.  Answers come as lines
 * "ERXUDP SENDER DEST RPORT LPORT SENDERLLA [LQI] SECURED [SIDE] DATALEN
 * DATA", 9 to 11 fields as the firmware has it: DATALEN and DATA are the
 * last two, DATA in hex.
 */

#define NQ	4

struct sk {
	struct dk_drv *d;
	int fd;
	const char *dev;
	int side;		/* -1: BP35A1 commands, else BP35C0 side */
	char ip[48];		/* the meter's link-local address */
	int ended;		/* EVENT 26/27/29: the session is over */
	int timeout_ms;		/* for an answer, and for EVENT 21 */
	char in[8192];
	size_t inlen;
	unsigned char q[NQ][1024];
	size_t qlen[NQ];
	int qn;
};

static void
say(struct sk *s, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (s->d->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->d->warn(s->d->ctx, msg);
}

static int
put(struct sk *s, const void *b, size_t len, struct dk_err *e)
{
	const char *p = b;
	ssize_t n;

	while (len > 0) {
		if ((n = write(s->fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return dk_fail(e, DK_EX_IOERR, "%s: write: %s", s->dev,
			    strerror(errno));
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* A line without its CR LF: 1, 0 at the deadline, -1 error. */
static int
getline_(struct sk *s, char *line, size_t cap, int64_t deadline,
    struct dk_err *e)
{
	struct pollfd pfd;
	char *nl;
	size_t n;
	ssize_t got;
	int64_t left;

	for (;;) {
		if ((nl = memchr(s->in, '\n', s->inlen)) != NULL ||
		    s->inlen == sizeof(s->in)) {
			n = nl ? (size_t)(nl - s->in) : s->inlen;
			if (n > 0 && s->in[n - 1] == '\r')
				n--;
			if (n >= cap)
				n = cap - 1;
			memcpy(line, s->in, n);
			line[n] = '\0';
			n = nl ? (size_t)(nl - s->in) + 1 : s->inlen;
			memmove(s->in, s->in + n, s->inlen - n);
			s->inlen -= n;
			return 1;
		}
		if ((left = deadline - dk_el_now_ms()) <= 0)
			return 0;
		pfd.fd = s->fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) < 0) {
			if (errno == EINTR)
				continue;
			return dk_fail(e, DK_EX_IOERR, "%s: poll: %s", s->dev,
			    strerror(errno));
		}
		if (pfd.revents & (POLLHUP | POLLERR) && !(pfd.revents & POLLIN))
			return dk_fail(e, DK_EX_IOERR, "%s: the dongle hung up",
			    s->dev);
		if (!(pfd.revents & POLLIN))
			continue;
		got = read(s->fd, s->in + s->inlen, sizeof(s->in) - s->inlen);
		if (got < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (got <= 0)
			return dk_fail(e, DK_EX_IOERR, "%s: read: %s", s->dev,
			    got < 0 ? strerror(errno) : "end of file");
		s->inlen += got;
	}
}

static int
starts(const char *line, const char *word)
{
	size_t n = strlen(word);

	return strncmp(line, word, n) == 0 &&
	    (line[n] == '\0' || line[n] == ' ');
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = toupper(c);
	return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/*
 * One line from the dongle, if it is an ERXUDP with an ECHONET frame (port
 * 0E1A) from ip ("" or NULL: from any sender): the frame's bytes into out.
 * Returns 1 and the frame's length in *len; 0 for any other line (PANA,
 * events, answers); -1 for an ERXUDP refused, with why.  line is cut into
 * its fields.
 */
int
dk_broute_erxudp(char *line, const char *ip, unsigned char *out, size_t cap,
    size_t *len, char *why, size_t whylen)
{
	char *tok[12], *p, *save = NULL;
	size_t i, n, dl;
	int nt = 0, hi, lo;

	if (!starts(line, "ERXUDP"))
		return 0;
	for (p = strtok_r(line, " ", &save); p != NULL && nt < 12;
	    p = strtok_r(NULL, " ", &save))
		tok[nt++] = p;
	if (nt < 9 || nt > 11) {
		snprintf(why, whylen, "ERXUDP with %d fields refused (9 to 11 "
		    "expected)", nt);
		return -1;
	}
	/* only ECHONET from the meter: PANA (02CC) and others pass by */
	if (strcmp(tok[3], "0E1A") != 0 || (ip != NULL && ip[0] != '\0' &&
	    strcasecmp(tok[1], ip) != 0))
		return 0;
	dl = strtoul(tok[nt - 2], &p, 16);
	n = strlen(tok[nt - 1]);
	if (*p != '\0' || strlen(tok[nt - 2]) != 4 || n != 2 * dl ||
	    dl > cap) {
		snprintf(why, whylen, "ERXUDP refused: DATALEN %.8s but %zu hex "
		    "digits of data", tok[nt - 2], n);
		return -1;
	}
	for (i = 0; i < dl; i++) {
		hi = hexval(tok[nt - 1][2 * i]);
		lo = hexval(tok[nt - 1][2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(why, whylen, "ERXUDP refused: data is not hex");
			return -1;
		}
		out[i] = hi << 4 | lo;
	}
	*len = dl;
	return 1;
}

/* Lines that may come at any time: ERXUDP (ECHONET answers from the meter
 * are queued for sk_recv) and the events that end the session. */
static void
async_line(struct sk *s, char *line)
{
	unsigned char frame[sizeof(s->q[0])];
	char why[128];
	size_t len;
	int rc;

	if (starts(line, "EVENT")) {
		if (strncmp(line, "EVENT 26 ", 9) == 0 ||
		    strncmp(line, "EVENT 27 ", 9) == 0 ||
		    strncmp(line, "EVENT 29 ", 9) == 0)
			s->ended = atoi(line + 6) == 26 ? 0x26 :
			    atoi(line + 6) == 27 ? 0x27 : 0x29;
		return;
	}
	rc = dk_broute_erxudp(line, s->ip, frame, sizeof(frame), &len, why,
	    sizeof(why));
	if (rc < 0) {
		s->d->rejected++;
		say(s, "%s: %s", s->dev, why);
		return;
	}
	if (rc == 0)
		return;
	if (s->qn == NQ) {
		say(s, "%s: ERXUDP dropped: %d frames wait already", s->dev,
		    NQ);
		return;
	}
	memcpy(s->q[s->qn], frame, len);
	s->qlen[s->qn++] = len;
}

/* Sends a command and waits for its OK. */
static int
command(struct sk *s, const char *cmd, int timeout_ms, struct dk_err *e)
{
	char line[4200], name[16];
	int64_t deadline = dk_el_now_ms() + timeout_ms;
	size_t n = strcspn(cmd, " ");
	int rc;

	/* the command's word, for the messages */
	if (n >= sizeof(name))
		n = sizeof(name) - 1;
	memcpy(name, cmd, n);
	name[n] = '\0';
	if (put(s, cmd, strlen(cmd), e) < 0 || put(s, "\r\n", 2, e) < 0)
		return -1;
	while ((rc = getline_(s, line, sizeof(line), deadline, e)) > 0) {
		if (starts(line, "OK"))
			return 0;
		if (starts(line, "FAIL"))
			return dk_fail(e, DK_EX_UNAVAILABLE, "%s: %s: %s", s->dev,
			    name, line);
		async_line(s, line);
	}
	if (rc < 0)
		return -1;
	return dk_fail(e, DK_EX_UNAVAILABLE, "%s: %s: no OK from the dongle "
	    "within %d ms", s->dev, name, timeout_ms);
}

static int
sk_send(void *ctx, const unsigned char *b, size_t len, struct dk_err *e)
{
	struct sk *s = ctx;
	char head[128], line[4200], side[16] = "";
	const char *last;
	int64_t deadline = dk_el_now_ms() + s->timeout_ms;
	int rc;

	if (s->ended)
		return dk_fail(e, DK_EX_TEMPFAIL, "%s: the meter ended the "
		    "session (EVENT %02X); the next run joins again", s->dev,
		    s->ended);
	if (s->side >= 0)
		snprintf(side, sizeof(side), " %d", s->side);
	snprintf(head, sizeof(head), "SKSENDTO 1 %s 0E1A 1%s %04zX ", s->ip,
	    side, len);
	if (put(s, head, strlen(head), e) < 0 || put(s, b, len, e) < 0)
		return -1;
	while ((rc = getline_(s, line, sizeof(line), deadline, e)) > 0) {
		if (starts(line, "FAIL"))
			return dk_fail(e, DK_EX_UNAVAILABLE, "%s: SKSENDTO: %s",
			    s->dev, line);
		if (strncmp(line, "EVENT 21 ", 9) != 0) {
			async_line(s, line);
			continue;
		}
		last = strrchr(line, ' ') + 1;
		if (strcmp(last, "00") == 0)
			return 0;
		if (strcmp(last, "01") == 0) {
			say(s, "%s: SKSENDTO: the dongle could not send "
			    "(EVENT 21 01)", s->dev);
			return 1;
		}
	}
	return rc < 0 ? -1 : 1;
}

static int
sk_recv(void *ctx, unsigned char *b, size_t cap, int64_t deadline,
    struct dk_err *e)
{
	struct sk *s = ctx;
	char line[4200];
	size_t n;
	int rc;

	for (;;) {
		if (s->qn > 0) {
			n = s->qlen[0] < cap ? s->qlen[0] : cap;
			memcpy(b, s->q[0], n);
			s->qn--;
			memmove(s->q[0], s->q[1], s->qn * sizeof(s->q[0]));
			memmove(s->qlen, s->qlen + 1, s->qn * sizeof(s->qlen[0]));
			return (int)n;
		}
		if (s->ended)
			return dk_fail(e, DK_EX_TEMPFAIL, "%s: the meter ended "
			    "the session (EVENT %02X); the next run joins "
			    "again", s->dev, s->ended);
		if ((rc = getline_(s, line, sizeof(line), deadline, e)) <= 0)
			return rc;
		async_line(s, line);
	}
}

/* EPANDESC: "  Key:Value" lines until EVENT 22 (scan done). */
static int
scan(struct sk *s, int duration, long long timeout, char *ch, char *pan,
    char *addr, struct dk_err *e)
{
	char cmd[64], line[4200], *v;
	int64_t deadline;
	int rc;

	snprintf(cmd, sizeof(cmd), "SKSCAN 2 FFFFFFFF %d%s", duration,
	    s->side >= 0 ? " 0" : "");
	if (command(s, cmd, 5000, e) < 0)
		return -1;
	deadline = dk_el_now_ms() + timeout;
	while ((rc = getline_(s, line, sizeof(line), deadline, e)) > 0) {
		if (strncmp(line, "EVENT 22 ", 9) == 0)
			return addr[0] != '\0' && ch[0] != '\0' &&
			    pan[0] != '\0';
		for (v = line; *v == ' '; v++)
			;
		if (strncmp(v, "Channel:", 8) == 0)
			snprintf(ch, 8, "%s", v + 8);
		else if (strncmp(v, "Pan ID:", 7) == 0)
			snprintf(pan, 8, "%s", v + 7);
		else if (strncmp(v, "Addr:", 5) == 0)
			snprintf(addr, 20, "%s", v + 5);
		else
			async_line(s, line);
	}
	if (rc < 0)
		return -1;
	return dk_fail(e, DK_EX_UNAVAILABLE, "%s: SKSCAN: no end of scan "
	    "(EVENT 22) within %lld ms", s->dev, timeout);
}

static int
ll64(struct sk *s, const char *addr, struct dk_err *e)
{
	char cmd[64], line[4200];
	int64_t deadline = dk_el_now_ms() + 5000;
	int rc, i;

	snprintf(cmd, sizeof(cmd), "SKLL64 %s", addr);
	if (put(s, cmd, strlen(cmd), e) < 0 || put(s, "\r\n", 2, e) < 0)
		return -1;
	while ((rc = getline_(s, line, sizeof(line), deadline, e)) > 0) {
		if (strlen(line) != 39)
			continue;
		for (i = 0; i < 39; i++)
			if (i % 5 == 4 ? line[i] != ':' :
			    hexval(line[i]) < 0)
				break;
		if (i == 39) {
			snprintf(s->ip, sizeof(s->ip), "%.39s", line);
			return 0;
		}
	}
	if (rc < 0)
		return -1;
	return dk_fail(e, DK_EX_UNAVAILABLE, "%s: SKLL64 %s: no IPv6 address "
	    "from the dongle", s->dev, addr);
}

static int
join(struct sk *s, long long timeout, int attempts, struct dk_err *e)
{
	char cmd[80], line[4200];
	int64_t deadline;
	int attempt, rc;

	for (attempt = 1; attempt <= attempts; attempt++) {
		snprintf(cmd, sizeof(cmd), "SKJOIN %s", s->ip);
		if (command(s, cmd, 5000, e) < 0)
			return -1;
		deadline = dk_el_now_ms() + timeout;
		while ((rc = getline_(s, line, sizeof(line), deadline,
		    e)) > 0) {
			if (strncmp(line, "EVENT 25 ", 9) == 0) {
				s->ended = 0;
				return 0;
			}
			if (strncmp(line, "EVENT 24 ", 9) == 0)
				break;
			async_line(s, line);
		}
		if (rc < 0)
			return -1;
		say(s, "%s: SKJOIN %s: %s (attempt %d of %d)", s->dev, s->ip,
		    rc > 0 ? "PANA authentication failed (EVENT 24)" :
		    "no EVENT 25 in time", attempt, attempts);
	}
	return dk_fail(e, DK_EX_UNAVAILABLE, "%s: the meter %s refused to "
	    "join %d times (check meter.broute.id and meter.broute.password)",
	    s->dev, s->ip, attempts);
}

static int
valid(const char *v, size_t len)
{
	size_t i;

	if (strlen(v) != len)
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)v[i]))
			return 0;
	return 1;
}

static int
run(struct sk *s, const struct dk_conf *c, struct dk_err *e)
{
	const char *id, *pwd, *tz, *model;
	char cmd[80], ch[8] = "", pan[8] = "", addr[20] = "", peer[300];
	long long timeout, retries, scantime, jointime, dur;
	struct dk_el_io io;
	int found = 0;

	id = dk_conf_str(c, "meter.broute.id", NULL);
	pwd = dk_conf_str(c, "meter.broute.password", NULL);
	if (id == NULL || !valid(id, 32))
		return dk_fail(e, DK_EX_CONFIG, "-d broute: meter.broute.id "
		    "must be the 32 letters and digits of the route B ID");
	if (pwd == NULL || !valid(pwd, 12))
		return dk_fail(e, DK_EX_CONFIG, "-d broute: "
		    "meter.broute.password must be the 12 letters and digits "
		    "of the route B password");
	model = dk_conf_str(c, "meter.broute.model", "bp35a1");
	if (strcmp(model, "bp35a1") == 0)
		s->side = -1;
	else if (strcmp(model, "bp35c0") == 0)
		s->side = 0;
	else
		return dk_fail(e, DK_EX_CONFIG, "-d broute: meter.broute.model "
		    "must be bp35a1 or bp35c0, got \"%.40s\"", model);
	tz = dk_conf_str(c, "meter.broute.tz", dk_conf_str(c, "tz",
	    "Asia/Tokyo"));
	if (dk_conf_int(c, "meter.broute.timeout", 10000, 10, 600000,
	    &timeout, e) < 0 || dk_conf_int(c, "meter.broute.retries", 2, 0,
	    100, &retries, e) < 0 || dk_conf_int(c,
	    "meter.broute.scan_timeout", 120000, 10, 3600000, &scantime,
	    e) < 0 || dk_conf_int(c, "meter.broute.join_timeout", 60000, 10,
	    600000, &jointime, e) < 0)
		return -1;
	snprintf(ch, sizeof(ch), "%s", dk_conf_str(c, "meter.broute.channel",
	    ""));
	snprintf(pan, sizeof(pan), "%s", dk_conf_str(c, "meter.broute.pan",
	    ""));
	snprintf(addr, sizeof(addr), "%s", dk_conf_str(c, "meter.broute.addr",
	    ""));

	snprintf(cmd, sizeof(cmd), "SKSETPWD C %s", pwd);
	if (command(s, cmd, 5000, e) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "SKSETRBID %s", id);
	if (command(s, cmd, 5000, e) < 0)
		return -1;
	if (ch[0] == '\0' || pan[0] == '\0' || addr[0] == '\0') {
		ch[0] = pan[0] = addr[0] = '\0';
		for (dur = 6; !found && dur <= 6 + retries; dur++) {
			if ((found = scan(s, (int)dur, scantime, ch, pan, addr,
			    e)) < 0)
				return -1;
			if (!found)
				say(s, "%s: SKSCAN 2 FFFFFFFF %lld: no meter "
				    "answered", s->dev, dur);
		}
		if (!found)
			return dk_fail(e, DK_EX_UNAVAILABLE, "%s: no meter "
			    "answered %lld scans", s->dev, retries + 1);
		say(s, "%s: found the meter %s on channel %s, PAN %s (set "
		    "meter.broute.channel, pan and addr to skip the scan)",
		    s->dev, addr, ch, pan);
	}
	snprintf(cmd, sizeof(cmd), "SKSREG S2 %s", ch);
	if (command(s, cmd, 5000, e) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "SKSREG S3 %s", pan);
	if (command(s, cmd, 5000, e) < 0 || ll64(s, addr, e) < 0 ||
	    join(s, jointime, (int)retries + 1, e) < 0)
		return -1;
	s->timeout_ms = (int)timeout;
	snprintf(peer, sizeof(peer), "%s %s", s->dev, s->ip);
	memset(&io, 0, sizeof(io));
	io.ctx = s;
	io.peer = peer;
	io.timeout_ms = (int)timeout;
	io.retries = (int)retries;
	io.send = sk_send;
	io.recv = sk_recv;
	return dk_el_read(s->d, &io, tz, e);
}

int
dk_drv_broute(struct dk_drv *d, struct dk_err *e)
{
	static struct sk s;
	struct termios t;
	int rc;

	memset(&s, 0, sizeof(s));
	s.d = d;
	if ((s.dev = dk_conf_str(d->conf, "meter.broute.device", NULL)) ==
	    NULL)
		return dk_fail(e, DK_EX_CONFIG, "-d broute: "
		    "meter.broute.device (the dongle's serial device) is not "
		    "set");
	if ((s.fd = open(s.dev, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
		return dk_fail(e, DK_EX_NOINPUT, "%s: %s", s.dev,
		    strerror(errno));
	if (tcgetattr(s.fd, &t) < 0) {
		rc = dk_fail(e, DK_EX_CONFIG, "%s: not a serial device: %s",
		    s.dev, strerror(errno));
		close(s.fd);
		return rc;
	}
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	cfsetispeed(&t, B115200);
	cfsetospeed(&t, B115200);
	if (tcsetattr(s.fd, TCSANOW, &t) < 0) {
		rc = dk_fail(e, DK_EX_IOERR, "%s: 115200 bps raw: %s", s.dev,
		    strerror(errno));
		close(s.fd);
		return rc;
	}
	tcflush(s.fd, TCIFLUSH);
	rc = run(&s, d->conf, e);
	close(s.fd);
	return rc;
}
