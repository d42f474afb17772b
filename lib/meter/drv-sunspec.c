/*
 * drv-sunspec.c: the "sunspec" driver: SunSpec inverters (models 101-103)
 * and meters (201-204) over Modbus TCP, through libmodbus.  Settings are
 * meter.sunspec.{host,port,unit,base,timeout_ms,retries,power_sign}.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <modbus.h>

#include "meter.h"

struct link {
	modbus_t *mb;
	char where[320];	/* "host:port unit N", for messages */
};

/* A refused address is an answer (1); an exception that says the device
 * is busy, or a transport failure, is worth another try. */
static int
regs(void *ctx, unsigned addr, unsigned n, uint16_t *out, struct dk_err *e)
{
	struct link *l = ctx;
	unsigned done = 0, c;
	int k;

	while (done < n) {
		c = n - done;
		if (c > MODBUS_MAX_READ_REGISTERS)
			c = MODBUS_MAX_READ_REGISTERS;
		k = modbus_read_registers(l->mb, (int)(addr + done), (int)c,
		    out + done);
		if (k == (int)c) {
			done += c;
			continue;
		}
		if (k >= 0)
			return dk_fail(e, DK_EX_TEMPFAIL, "registers %u-%u: "
			    "%d of %u registers in the answer", addr + done,
			    addr + done + c - 1, k, c);
		switch (errno) {
		case EMBXILADD:
		case EMBXILVAL:
			dk_fail(e, DK_EX_DATAERR, "the device refuses "
			    "registers %u-%u (%s)", addr + done,
			    addr + done + c - 1, modbus_strerror(errno));
			return 1;
		case EMBXSBUSY:
		case EMBXACK:
		case EMBXGPATH:
		case EMBXGTAR:
			return dk_fail(e, DK_EX_TEMPFAIL, "registers %u-%u: %s",
			    addr + done, addr + done + c - 1,
			    modbus_strerror(errno));
		case EMBXILFUN:
			return dk_fail(e, DK_EX_DATAERR, "registers %u-%u: %s: "
			    "the device does not serve holding registers "
			    "(function 3)", addr + done, addr + done + c - 1,
			    modbus_strerror(errno));
		}
		return dk_fail(e, DK_EX_TEMPFAIL, "registers %u-%u: %s",
		    addr + done, addr + done + c - 1, modbus_strerror(errno));
	}
	return 0;
}

struct opts {
	const char *host;
	char port[8];
	long long unit, base, timeout_ms, retries;
	int sign;
};

static int
once(struct dk_drv *d, const struct opts *o, struct dk_err *e)
{
	struct link l;
	unsigned found;
	int rc;

	snprintf(l.where, sizeof(l.where), "%s:%s unit %lld", o->host,
	    o->port, o->unit);
	if ((l.mb = modbus_new_tcp_pi(o->host, o->port)) == NULL)
		return dk_fail(e, DK_EX_CONFIG, "%s: %s", l.where,
		    modbus_strerror(errno));
	if (modbus_set_slave(l.mb, (int)o->unit) < 0) {
		dk_fail(e, DK_EX_CONFIG, "%s: unit: %s", l.where,
		    modbus_strerror(errno));
		modbus_free(l.mb);
		return -1;
	}
	modbus_set_response_timeout(l.mb, (uint32_t)(o->timeout_ms / 1000),
	    (uint32_t)(o->timeout_ms % 1000 * 1000));
	if (modbus_connect(l.mb) < 0) {
		dk_fail(e, DK_EX_TEMPFAIL, "%s: cannot connect: %s", l.where,
		    modbus_strerror(errno));
		modbus_free(l.mb);
		return -1;
	}
	rc = dk_sunspec_poll(regs, &l, o->base, o->sign, (int64_t)time(NULL),
	    d->sample, d->ctx, &found, e);
	if (rc < 0 && e->status != DK_EX_IOERR)
		dk_failpre(e, "%s", l.where);
	modbus_close(l.mb);
	modbus_free(l.mb);
	return rc;
}

int
dk_drv_sunspec(struct dk_drv *d, struct dk_err *e)
{
	const struct dk_conf *c = d->conf;
	struct opts o;
	struct timespec ts;
	const char *sign;
	char msg[sizeof(e->msg) + 64];
	long long port, try;
	long ms;

	memset(&o, 0, sizeof(o));
	if ((o.host = dk_conf_str(c, "meter.sunspec.host", NULL)) == NULL ||
	    o.host[0] == '\0')
		return dk_fail(e, DK_EX_CONFIG, "%s: meter.sunspec.host: the "
		    "device's address is needed", c->path ? c->path : "-D");
	if (dk_conf_int(c, "meter.sunspec.port", 502, 1, 65535, &port, e) < 0 ||
	    dk_conf_int(c, "meter.sunspec.unit", 1, 0, 255, &o.unit, e) < 0 ||
	    dk_conf_int(c, "meter.sunspec.base", -1, 0, 65535, &o.base,
	    e) < 0 ||
	    dk_conf_int(c, "meter.sunspec.timeout_ms", 2000, 10, 60000,
	    &o.timeout_ms, e) < 0 ||
	    dk_conf_int(c, "meter.sunspec.retries", 2, 0, 10, &o.retries,
	    e) < 0)
		return -1;
	/* Modbus TCP: a unit id of 1-247, 0 (broadcast) or 255 (none) */
	if (o.unit > 247 && o.unit != 255)
		return dk_fail(e, DK_EX_CONFIG, "%s: meter.sunspec.unit: must "
		    "be from 0 to 247, or 255, got %lld",
		    c->path ? c->path : "-D", o.unit);
	snprintf(o.port, sizeof(o.port), "%lld", port);
	sign = dk_conf_str(c, "meter.sunspec.power_sign", "import");
	if (strcmp(sign, "import") == 0)
		o.sign = 1;
	else if (strcmp(sign, "export") == 0)
		o.sign = -1;
	else
		return dk_fail(e, DK_EX_CONFIG, "%s: meter.sunspec.power_sign: "
		    "must be import or export, got \"%.40s\"",
		    c->path ? c->path : "-D", sign);
	for (try = 0;; try++) {
		if (once(d, &o, e) == 0)
			return 0;
		if (e->status != DK_EX_TEMPFAIL)
			return -1;
		if (try == o.retries) {
			snprintf(msg, sizeof(msg), "%s", e->msg);
			return dk_fail(e, DK_EX_TEMPFAIL, "%s (%lld %s)", msg,
			    try + 1, try ? "tries" : "try");
		}
		if (d->warn != NULL) {
			snprintf(msg, sizeof(msg), "%s; retry %lld of %lld",
			    e->msg, try + 1, o.retries);
			d->warn(d->ctx, msg);
		}
		/* a pause that grows: 0.25 s, 0.5 s, 1 s, ... at most 4 s */
		ms = try < 4 ? 250L << try : 4000;
		ts.tv_sec = ms / 1000;
		ts.tv_nsec = ms % 1000 * 1000000L;
		nanosleep(&ts, NULL);
	}
}
