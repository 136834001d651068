#ifndef L2O_CZLIB_SHIM_H
#define L2O_CZLIB_SHIM_H
#include <zlib.h>
#endif
