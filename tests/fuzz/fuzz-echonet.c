/*
 * ECHONET Lite frames: the input as one frame for dk_el_parse, then as
 * the answers of a node (frames, each after a 2-byte big-endian length)
 * to dk_el_read, which asks the node profile for its instances and reads
 * each smart meter, PV and battery.  Each answer is given the TID and
 * sender of the request it follows, so that it is taken as the answer.
 */
#include "fuzz.h"

struct node {
	const uint8_t *p, *end;
	unsigned char tid[2], deoj[3];
};

static int
send_(void *ctx, const unsigned char *b, size_t len, struct dk_err *e)
{
	struct node *n = ctx;

	(void)e;
	FZ_ASSERT(len >= 12);
	memcpy(n->tid, b + 2, 2);
	memcpy(n->deoj, b + 7, 3);
	return 0;
}

static int
recv_(void *ctx, unsigned char *b, size_t cap, int64_t deadline,
    struct dk_err *e)
{
	struct node *n = ctx;
	size_t len;

	(void)deadline;
	(void)e;
	if (n->end - n->p < 2)
		return 0;
	len = (size_t)n->p[0] << 8 | n->p[1];
	n->p += 2;
	if (len > (size_t)(n->end - n->p))
		len = n->end - n->p;
	if (len > cap)
		len = cap;
	memcpy(b, n->p, len);
	n->p += len;
	if (len >= 10) {
		memcpy(b + 2, n->tid, 2);
		memcpy(b + 4, n->deoj, 3);
	}
	return (int)len;
}

static int
sample(void *ctx, const struct dk_sample *s, struct dk_err *e)
{
	(void)ctx;
	(void)e;
	json_decref(dk_sample_json(s, "Asia/Tokyo"));
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dk_el_frame f;
	struct dk_err e = { 0 };
	struct dk_drv d;
	struct dk_el_io io;
	struct node n;
	char why[160];
	int i;

	if (dk_el_parse(data, size, &f, why, sizeof(why)) == 0)
		for (i = 0; i < f.opc; i++)
			FZ_ASSERT(f.p[i].edt + f.p[i].pdc <= data + size);
	memset(&d, 0, sizeof(d));
	d.sample = sample;
	memset(&io, 0, sizeof(io));
	memset(&n, 0, sizeof(n));
	n.p = data;
	n.end = data + size;
	io.ctx = &n;
	io.peer = "fuzz";
	io.timeout_ms = 0;
	io.retries = 0;
	io.send = send_;
	io.recv = recv_;
	dk_el_read(&d, &io, "Asia/Tokyo", &e);
	return 0;
}
