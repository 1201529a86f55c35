// System-library shim for libsystemd (sd-journal, sd-daemon). Provided by libsystemd-dev.
#ifndef SLUICE_CSYSTEMD_SHIM_H
#define SLUICE_CSYSTEMD_SHIM_H
#include <systemd/sd-journal.h>
#include <systemd/sd-daemon.h>
#endif
