#ifndef L2O_CBLAS_SHIM_H
#define L2O_CBLAS_SHIM_H
#include <cblas.h>
/* Allocator tuning for the numeric runtime (mallopt), declared by glibc's malloc.h. */
#include <malloc.h>
#endif
