/*
 * Issue 17's storage battery (class 0x027D): the input as a node's
 * answers (frames, each after a 2-byte big-endian length) to the SetC of
 * dk_batt_set (operation mode and charging power), each given the TID
 * and sender it asks for unless its length has the top bit set (so
 * that it is taken as the answer); dk_batt_answer on the input as one
 * frame; and a sample record's battery fields (dk_batt_sample_from_json,
 * then back).
 */
#include "fuzz.h"

struct node {
	const uint8_t *p, *end;
	unsigned char tid[2];
};

static const unsigned char eoj[3] = { 0x02, 0x7D, 0x01 };

static int
send_(void *ctx, const unsigned char *b, size_t len, struct dk_err *e)
{
	struct node *n = ctx;

	(void)e;
	FZ_ASSERT(len >= 12 && b[10] == DK_EL_SETC);
	memcpy(n->tid, b + 2, 2);
	return 0;
}

static int
recv_(void *ctx, unsigned char *b, size_t cap, int64_t deadline,
    struct dk_err *e)
{
	struct node *n = ctx;
	size_t len;
	int as;

	(void)deadline;
	(void)e;
	if (n->end - n->p < 2)
		return 0;
	as = (n->p[0] & 0x80) == 0;
	len = (size_t)(n->p[0] & 0x7F) << 8 | n->p[1];
	n->p += 2;
	if (len > (size_t)(n->end - n->p))
		len = n->end - n->p;
	if (len > cap)
		len = cap;
	memcpy(b, n->p, len);
	n->p += len;
	if (as && len >= 10) {
		memcpy(b + 2, n->tid, 2);
		memcpy(b + 4, eoj, 3);
	}
	return (int)len;
}

static void
warn(void *ctx, const char *msg)
{
	(void)ctx;
	FZ_ASSERT(msg[0] != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_el_frame f;
	static const struct dk_el_setprop set[2] = {
		{ 0xDA, 1, { 0x42 } }, { 0xEB, 4, { 0, 0, 0x07, 0xD0 } } };
	struct dk_err e = { 0 };
	struct dk_el_io io;
	struct dk_sample s;
	struct node n;
	char why[160];
	json_t *v, *o;
	int rc;

	if (dk_el_parse(data, size, &f, why, sizeof(why)) == 0) {
		rc = dk_batt_answer(&f, set, 2, "fuzz", &e);
		FZ_ASSERT(rc == 0 || (rc < 0 && e.msg[0] != '\0'));
		if (rc == 0)
			FZ_ASSERT(f.esv == DK_EL_SET_RES);
	}
	memset(&io, 0, sizeof(io));
	memset(&n, 0, sizeof(n));
	n.p = data;
	n.end = data + size;
	io.ctx = &n;
	io.peer = "fuzz";
	io.timeout_ms = 0;
	io.retries = 1;
	io.send = send_;
	io.recv = recv_;
	e.msg[0] = '\0';
	rc = dk_batt_set(&io, eoj, set, 2, 0x1234, warn, NULL, &e);
	FZ_ASSERT(rc == 0 || e.msg[0] != '\0');
	/* a battery sample record */
	if ((v = dk_parse((const char *)data, size, &e)) != NULL) {
		if (json_is_object(v)) {
			memset(&s, 0, sizeof(s));
			strcpy(s.kind, "battery");
			if (dk_batt_sample_from_json(&s, v, 2, &e) == 0 &&
			    s.batt) {
				FZ_ASSERT(s.soc_pct <= 100 && s.soc_wh <=
				    999999999);
				FZ_ASSERT((o = json_object()) != NULL);
				dk_batt_sample_json(&s, o);
				json_decref(o);
			}
		}
		json_decref(v);
	}
	return 0;
}
