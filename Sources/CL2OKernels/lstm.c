#include "l2o_kernels.h"

#include <math.h>

/* e^x for x clamped to [-87, 88]: Cody–Waite reduction x = k ln2 + r, a degree-6 polynomial for
   e^r (|r| <= ln2/2) and 2^k built from its exponent bits — the same approximation as the Swift
   FastMath.exp, written so that the compiler can fuse multiply-adds. */
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
    union { float f; int i; } kb = { kf }, s;
    s.i = (kb.i - 0x4B400000 + 127) << 23;
    return y * s.f;
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

static inline __m256 exp8(__m256 x) {
    /* max/min return their second operand when either is NaN: x last keeps a NaN a NaN. */
    __m256 xc = _mm256_min_ps(_mm256_set1_ps(88.0f), _mm256_max_ps(_mm256_set1_ps(-87.0f), x));
    const __m256 shifter = _mm256_set1_ps(12582912.0f);
    __m256 kf = _mm256_fmadd_ps(xc, _mm256_set1_ps(1.44269504f), shifter);
    __m256 k = _mm256_sub_ps(kf, shifter);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fmadd_ps(k, _mm256_set1_ps(2.1219444e-4f), r);
    __m256 p = _mm256_set1_ps(1.98756915e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.39819995e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.16657959e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.66666655e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.00000012e-1f));
    __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(kf), _mm256_set1_epi32(0x4B400000)),
                                                   _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* a / (1 + e^{s v}) + o, with the reciprocal refined by one Newton step (relative error ~1e-7). */
static inline __m256 logistic8(__m256 v, float s, float a, float o) {
    __m256 d = _mm256_add_ps(_mm256_set1_ps(1.0f), exp8(_mm256_mul_ps(v, _mm256_set1_ps(s))));
    __m256 q = _mm256_rcp_ps(d);
    q = _mm256_mul_ps(q, _mm256_fnmadd_ps(d, q, _mm256_set1_ps(2.0f)));
    return _mm256_fmadd_ps(q, _mm256_set1_ps(a), _mm256_set1_ps(o));
}
#endif

static inline float logistic1(float v, float s, float a, float o) { return a / (1.0f + exp_f32(s * v)) + o; }

void l2o_lstm_block_f32(int rb, int H, float *gates, const float *bias, float *c, float *h) {
    for (int j = 0; j < 4 * H; j++) {
        float *row = gates + (long)j * rb;
        const float b = bias[j];
        const int isG = j >= 2 * H && j < 3 * H;
        const float s = isG ? -2.0f : -1.0f, a = isG ? 2.0f : 1.0f, o = isG ? -1.0f : 0.0f;
        int r = 0;
#if defined(__AVX2__) && defined(__FMA__)
        const __m256 vb = _mm256_set1_ps(b);
        /* Four independent vectors per step: each is a long dependency chain, so interleaving
           them keeps the floating-point units busy. */
        for (; r + 32 <= rb; r += 32) {
            __m256 v0 = logistic8(_mm256_add_ps(_mm256_loadu_ps(row + r), vb), s, a, o);
            __m256 v1 = logistic8(_mm256_add_ps(_mm256_loadu_ps(row + r + 8), vb), s, a, o);
            __m256 v2 = logistic8(_mm256_add_ps(_mm256_loadu_ps(row + r + 16), vb), s, a, o);
            __m256 v3 = logistic8(_mm256_add_ps(_mm256_loadu_ps(row + r + 24), vb), s, a, o);
            _mm256_storeu_ps(row + r, v0);
            _mm256_storeu_ps(row + r + 8, v1);
            _mm256_storeu_ps(row + r + 16, v2);
            _mm256_storeu_ps(row + r + 24, v3);
        }
        for (; r + 8 <= rb; r += 8)
            _mm256_storeu_ps(row + r, logistic8(_mm256_add_ps(_mm256_loadu_ps(row + r), vb), s, a, o));
#endif
        for (; r < rb; r++) row[r] = logistic1(row[r] + b, s, a, o);
    }
    for (int j = 0; j < H; j++) {
        const float *ig = gates + (long)j * rb, *fg = gates + (long)(H + j) * rb;
        const float *gg = gates + (long)(2 * H + j) * rb, *og = gates + (long)(3 * H + j) * rb;
        float *cj = c + (long)j * rb, *hj = h + (long)j * rb;
        int r = 0;
#if defined(__AVX2__) && defined(__FMA__)
        for (; r + 8 <= rb; r += 8) {
            __m256 cv = _mm256_fmadd_ps(_mm256_loadu_ps(fg + r), _mm256_loadu_ps(cj + r),
                                        _mm256_mul_ps(_mm256_loadu_ps(ig + r), _mm256_loadu_ps(gg + r)));
            __m256 th = logistic8(cv, -2.0f, 2.0f, -1.0f);
            _mm256_storeu_ps(cj + r, cv);
            _mm256_storeu_ps(hj + r, _mm256_mul_ps(_mm256_loadu_ps(og + r), th));
        }
#endif
        for (; r < rb; r++) {
            float cv = fg[r] * cj[r] + ig[r] * gg[r];
            cj[r] = cv;
            hj[r] = og[r] * logistic1(cv, -2.0f, 2.0f, -1.0f);
        }
    }
}

void l2o_relu_f32(int count, float *x) {
    for (int k = 0; k < count; k++) x[k] = x[k] > 0.0f ? x[k] : 0.0f;
}

void l2o_tanh_f32(int count, float *x) {
    int k = 0;
#if defined(__AVX2__) && defined(__FMA__)
    for (; k + 8 <= count; k += 8) _mm256_storeu_ps(x + k, logistic8(_mm256_loadu_ps(x + k), -2.0f, 2.0f, -1.0f));
#endif
    for (; k < count; k++) x[k] = logistic1(x[k], -2.0f, 2.0f, -1.0f);
}


const char *l2o_kernels_instruction_set(void) {
#if defined(__AVX2__) && defined(__FMA__)
    return "avx2-fma";
#else
    return "generic";
#endif
}
