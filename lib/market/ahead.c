/*
 * ahead.c: an order's signature queued to be checked ahead on every core
 * (lib/crypto/ahead.c), by its participant's key, before the slots are
 * read one by one (denki-contract-sign).
 */
#include <string.h>

#include "market.h"

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
