// System-library shim for jemalloc (Debian libjemalloc-dev). Linking it makes jemalloc the
// process's malloc: Sluice's events are built on one thread and freed on another, which
// glibc's per-arena locks serialize (see BENCHMARKS.md, "The allocator"). Only `mallctl` is
// declared here, for `sluice version`; jemalloc.h would redeclare malloc and free.
#ifndef SLUICE_CJEMALLOC_SHIM_H
#define SLUICE_CJEMALLOC_SHIM_H
#include <stddef.h>
int mallctl(const char *name, void *oldp, size_t *oldlenp, void *newp, size_t newlen);
#endif
