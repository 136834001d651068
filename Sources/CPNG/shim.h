#ifndef L2O_CPNG_SHIM_H
#define L2O_CPNG_SHIM_H
#include <png.h>

/* PNG_IMAGE_SIZE is a function-like macro: the buffer size in bytes for the image's format. */
static inline size_t l2o_png_image_size(const png_image *image) { return PNG_IMAGE_SIZE(*image); }

/* The error or warning text libpng left in the image's message buffer. */
static inline const char *l2o_png_image_message(const png_image *image) { return image->message; }

/* Non-zero when the last simplified-API call failed (PNG_IMAGE_FAILED). */
static inline int l2o_png_image_failed(const png_image *image) { return PNG_IMAGE_FAILED(*image); }
#endif
