/*
 * libdenki: the map of the library, one layer a folder, each with its own
 * header that is the map of that layer.  A layer includes only the layers
 * beneath it:
 *
 *   core     errors and exit statuses, canonical JSON lines, money,
 *            times and slots, the configuration       lib/core/core.h
 *   crypto   keys, record signatures, signed notes    lib/crypto/crypto.h
 *   ledger   rules and registry records, the ledger
 *            file and its Merkle tree, the replay     lib/ledger/ledger.h
 *   meter    drivers, counters to slots, the spool    lib/meter/meter.h
 *   market   orders, the auction of a slot, trades    lib/market/market.h
 *   settle   metered energy against contracts, the
 *            audit of a whole ledger, the report      lib/settle/settle.h
 *
 * lib/ reports, cmd/ decides: functions fill a struct dk_err and return -1
 * (or NULL); they never print or exit.  A program includes this file, or
 * only the layers it uses.
 */
#ifndef DENKI_H
#define DENKI_H

#include "core/core.h"
#include "crypto/crypto.h"
#include "ledger/ledger.h"
#include "meter/meter.h"
#include "market/market.h"
#include "settle/settle.h"

#endif
