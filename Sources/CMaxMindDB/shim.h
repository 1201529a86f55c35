// System-library shim for libmaxminddb (MaxMind DB `.mmdb` reader). Provided by libmaxminddb-dev.
#ifndef SLUICE_CMAXMINDDB_SHIM_H
#define SLUICE_CMAXMINDDB_SHIM_H
#include <maxminddb.h>
#endif
