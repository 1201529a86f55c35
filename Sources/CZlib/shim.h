// System-library shim for zlib (gzip-compressed rotated logs). Provided by zlib1g-dev.
#ifndef SLUICE_CZLIB_SHIM_H
#define SLUICE_CZLIB_SHIM_H
#include <zlib.h>
#endif
