/*
 * contract.c: trades become contracts under the rules in force, and the
 * work of denki-contract-sign: a cleared slot's records checked by a
 * replay, then written to the ledger.
 */
#include <stdlib.h>
#include <string.h>

#include "market.h"

/* A trade becomes a contract under the rules in force: firm delivery, the
 * deviations of each party settled with the utility. */
json_t *
dk_contract_json(json_t *trade, const struct dk_rules *r)
{
	json_t *c = json_deep_copy(trade);

	if (c == NULL)
		return NULL;
	json_object_set_new(c, "type", json_string("contract"));
	json_object_set_new(c, "currency", json_string(r->currency));
	json_object_set_new(c, "terms", json_string(r->terms));
	json_object_set_new(c, "delivery", json_string("firm"));
	json_object_set_new(c, "fee", json_integer(r->fee));
	json_object_set_new(c, "retail", json_integer(r->retail));
	json_object_set_new(c, "buyback", json_integer(r->buyback));
	return c;
}
