#include "l2o_kernels.h"

#include <stdlib.h>
#include <string.h>

/* Three implementations of the same kernels: portable scalar code, AVX2 + FMA, and AVX-512. The
   vector ones are compiled for their instruction set whatever the build's target, and the fastest
   one the CPU supports is chosen at run time (L2O_KERNELS=generic|avx2|avx512 narrows the choice),
   so one binary runs everywhere and uses AVX-512 where present. */

/* ---------------------------------------------------------------------------------------------
   Portable scalar code. Multiplications and additions are never fused here, so builds with and
   without a target CPU compute the same bits. */
#pragma STDC FP_CONTRACT OFF

/* e^x for x clamped to [-87, 88]: Cody–Waite reduction x = k ln2 + r, a degree-6 polynomial for
   e^r (|r| <= ln2/2) and 2^k built from its exponent bits. */
static inline float exp_f32(float x) {
    /* Comparisons rather than fminf/fmaxf, so that a NaN input stays NaN (divergence must show). */
    float xc = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
    const float shifter = 12582912.0f; /* 1.5 * 2^23 */
    float kf = xc * 1.44269504f + shifter;
    float k = kf - shifter;
    float r = xc - k * 0.693359375f + k * 2.1219444e-4f;
    float p = 1.98756915e-4f;
    p = p * r + 1.39819995e-3f;
    p = p * r + 8.3334519e-3f;
    p = p * r + 4.16657959e-2f;
    p = p * r + 1.66666655e-1f;
    p = p * r + 5.00000012e-1f;
    float y = p * r * r + r + 1.0f;
    union { float f; unsigned int i; } kb = { kf }, s;
    s.i = (kb.i - 0x4B400000u + 127u) << 23;
    return y * s.f;
}

static inline float logistic1(float v, float s, float a, float o) { return a / (1.0f + exp_f32(s * v)) + o; }

static void generic_block(int rb, int nin, int H, int H1, int O, const float *xh, const float *wu, const float *b,
                          float *c, float *h, const float *w1, const float *b1, const float *w2, const float *b2,
                          float *out) {
    const int G = 4 * H, K = nin + H;
    for (int r = 0; r < rb; r++) {
        for (int j = 0; j < H; j++) {
            float gi = b[j], gf = b[H + j], gg = b[2 * H + j], go = b[3 * H + j];
            for (int k = 0; k < K; k++) {
                const float x = xh[(long)k * rb + r], *w = wu + (long)k * G + j;
                gi = gi + w[0] * x; gf = gf + w[H] * x; gg = gg + w[2 * H] * x; go = go + w[3 * H] * x;
            }
            gi = logistic1(gi, -1.0f, 1.0f, 0.0f); gf = logistic1(gf, -1.0f, 1.0f, 0.0f);
            gg = logistic1(gg, -2.0f, 2.0f, -1.0f); go = logistic1(go, -1.0f, 1.0f, 0.0f);
            float cv = gf * c[(long)j * rb + r] + gi * gg;
            c[(long)j * rb + r] = cv;
            h[(long)j * rb + r] = go * logistic1(cv, -2.0f, 2.0f, -1.0f);
        }
        for (int q = 0; q < O; q++) out[(long)q * rb + r] = b2[q];
        for (int j1 = 0; j1 < H1; j1++) {
            float a = b1[j1];
            for (int j = 0; j < H; j++) a = a + w1[(long)j * H1 + j1] * h[(long)j * rb + r];
            a = a > 0.0f ? a : 0.0f;
            for (int q = 0; q < O; q++) out[(long)q * rb + r] = out[(long)q * rb + r] + w2[(long)j1 * O + q] * a;
        }
    }
}

static void generic_tanh(int count, float *x) {
    for (int k = 0; k < count; k++) x[k] = logistic1(x[k], -2.0f, 2.0f, -1.0f);
}

#pragma STDC FP_CONTRACT ON

#if defined(__x86_64__) && defined(__clang__)
#define L2O_HAVE_VECTOR_KERNELS 1
#include <immintrin.h>

/* ---------------------------------------------------------------------------------------------
   AVX2 + FMA: 8 lanes. */
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#define V __m256
#define VL 8
#define NAME(x) avx2_##x
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSET1(x) _mm256_set1_ps(x)
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define VFNMA(a, b, c) _mm256_fnmadd_ps((a), (b), (c))
#define VADD(a, b) _mm256_add_ps((a), (b))
#define VSUB(a, b) _mm256_sub_ps((a), (b))
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define VMIN(a, b) _mm256_min_ps((a), (b))
#define VMAX(a, b) _mm256_max_ps((a), (b))
#define VRCP(a) _mm256_rcp_ps(a)
#define VSCALE(y, k, kf) _mm256_mul_ps((y), _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(kf), 23)))
#include "cwnet_body.inc"
#pragma clang attribute pop

/* ---------------------------------------------------------------------------------------------
   AVX-512 (F): 16 lanes. The reciprocal estimate (VRCP14PS, relative error ≤ 2⁻¹⁴) is more
   accurate than AVX2's, so results differ from the AVX2 path in the last bits. */
#pragma clang attribute push(__attribute__((target("avx512f,avx2,fma"))), apply_to = function)
#define V __m512
#define VL 16
#define NAME(x) avx512_##x
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSET1(x) _mm512_set1_ps(x)
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#define VFNMA(a, b, c) _mm512_fnmadd_ps((a), (b), (c))
#define VADD(a, b) _mm512_add_ps((a), (b))
#define VSUB(a, b) _mm512_sub_ps((a), (b))
#define VMUL(a, b) _mm512_mul_ps((a), (b))
#define VMIN(a, b) _mm512_min_ps((a), (b))
#define VMAX(a, b) _mm512_max_ps((a), (b))
#define VRCP(a) _mm512_rcp14_ps(a)
#define VSCALE(y, k, kf) _mm512_scalef_ps((y), (k))
#include "cwnet_body.inc"
#pragma clang attribute pop
#endif

/* ---------------------------------------------------------------------------------------------
   Dispatch. */

static const char *const level_names[] = { "generic", "avx2-fma", "avx512" };

static int best_level(void) {
#ifdef L2O_HAVE_VECTOR_KERNELS
    __builtin_cpu_init();
    if (!(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) return 0;
    return __builtin_cpu_supports("avx512f") ? 2 : 1;
#else
    return 0;
#endif
}

static int selected = -1;

static int level(void) {
    int l = __atomic_load_n(&selected, __ATOMIC_RELAXED);
    if (l >= 0) return l;
    l = best_level();
    const char *e = getenv("L2O_KERNELS");
    if (e && *e) {
        for (int k = 0; k < 3; k++)
            if ((!strcmp(e, level_names[k]) || (k == 1 && !strcmp(e, "avx2"))) && k < l) l = k;
    }
    __atomic_store_n(&selected, l, __ATOMIC_RELAXED);
    return l;
}

int l2o_kernels_select(const char *name) {
    int best = best_level();
    for (int k = 0; k < 3; k++) {
        if (!strcmp(name, level_names[k]) || (k == 1 && !strcmp(name, "avx2"))) {
            if (k > best) return -2;
            __atomic_store_n(&selected, k, __ATOMIC_RELAXED);
            return 0;
        }
    }
    return -1;
}

const char *l2o_kernels_best_instruction_set(void) { return level_names[best_level()]; }

const char *l2o_kernels_instruction_set(void) { return level_names[level()]; }

void l2o_cwnet_block_f32(int rb, int nin, int H, int H1, int O, const float *xh, const float *wu, const float *b,
                         float *c, float *h, const float *w1, const float *b1, const float *w2, const float *b2,
                         float *out) {
    switch (level()) {
#ifdef L2O_HAVE_VECTOR_KERNELS
    case 2: avx512_block(rb, nin, H, H1, O, xh, wu, b, c, h, w1, b1, w2, b2, out); return;
    case 1: avx2_block(rb, nin, H, H1, O, xh, wu, b, c, h, w1, b1, w2, b2, out); return;
#endif
    default: generic_block(rb, nin, H, H1, O, xh, wu, b, c, h, w1, b1, w2, b2, out); return;
    }
}

void l2o_tanh_f32(int count, float *x) {
    switch (level()) {
#ifdef L2O_HAVE_VECTOR_KERNELS
    case 2: avx512_tanh(count, x); return;
    case 1: avx2_tanh(count, x); return;
#endif
    default: generic_tanh(count, x); return;
    }
}
