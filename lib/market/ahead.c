/*
 * ahead.c: an order's signature queued to be checked ahead on every core
 * (lib/crypto/ahead.c), by its participant's key, before the slots are
 * read one by one (denki-contract-sign).
 */
#include <stdlib.h>
#include <string.h>

#include "private.h"

void
dk_order_ahead(json_t *rec, const struct dk_registry *reg, int threads)
{
	const struct dk_participant *p;
	const char *type = json_string_value(json_object_get(rec, "type"));
	const char *id = json_string_value(json_object_get(rec, "participant"));

	if (type != NULL && strcmp(type, "order") == 0 && id != NULL &&
	    (p = dk_registry_find(reg, id)) != NULL)
		dk_ahead_add(rec, p->pk, threads);
}

/* The same for an order read as a line too (line, n: its text; rec may
 * be NULL, the line not parsed yet): when the line is canonical
 * (dk_order_line), the signed message is the line without its "sig", cut
 * out rather than dumped again from rec, and the line (which the caller
 * keeps) is what dk_order_check_line finds good. */
void
dk_order_ahead_line(json_t *rec, const char *line, size_t n,
    const struct dk_rules *r, const struct dk_registry *reg, int threads)
{
	struct dk_ordersig sg;
	struct dk_order o;
	char *msg;

	if (line == NULL || dk_order_line_noid(&o, line, n, r, reg, &sg) != 1) {
		dk_order_ahead(rec, reg, threads);
		return;
	}
	if ((msg = malloc(n - sg.siglen)) == NULL)
		return;
	memcpy(msg, line, sg.sigat);
	memcpy(msg + sg.sigat, line + sg.sigat + sg.siglen,
	    n - sg.sigat - sg.siglen);
	dk_ahead_add_key(line, msg, n - sg.siglen, sg.sig, sg.pk, threads);
}
