#ifndef L2O_CBLAS_SHIM_H
#define L2O_CBLAS_SHIM_H
#include <stddef.h>
#include <cblas.h>
/* Allocator tuning for the numeric runtime (mallopt), declared by glibc's malloc.h. */
#include <malloc.h>

/* LAPACK's symmetric eigensolver, exported by OpenBLAS (Fortran ABI: arguments by reference and
   the hidden lengths of the two character arguments at the end). */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w,
            double *work, const int *lwork, int *info, size_t jobz_len, size_t uplo_len);
#endif
