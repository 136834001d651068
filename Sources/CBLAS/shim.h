#ifndef L2O_CBLAS_SHIM_H
#define L2O_CBLAS_SHIM_H
#include <cblas.h>
#endif
