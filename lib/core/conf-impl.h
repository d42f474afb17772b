/*
 * conf-impl.h: what the files of the configuration share inside the core
 * layer (conf.c, conf-yaml.c, conf-keys.c); programs use core.h.
 */
#ifndef DK_CONF_IMPL_H
#define DK_CONF_IMPL_H

#include "core.h"

/* conf.c */
const char *dk_conf_where(const struct dk_conf *, size_t i, char *buf,
    size_t n);
int dk_conf_put(struct dk_conf *, const char *k, const char *v,
    size_t line);

/* conf-keys.c */
int dk_conf_check(const struct dk_conf *, size_t i, struct dk_err *);

#endif
