// System-library shim for zlib (Debian zlib1g-dev): gzip for HTTP sinks, CRC-32 for the
// disk buffer, and reading gzip-compressed rotated logs.
#ifndef SLUICE_CZLIB_SHIM_H
#define SLUICE_CZLIB_SHIM_H
#include <zlib.h>
#endif
