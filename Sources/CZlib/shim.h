// System zlib (Debian zlib1g-dev): gzip for HTTP sinks and CRC-32 for the disk buffer.
#include <zlib.h>
