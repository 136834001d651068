#ifndef L2O_KERNELS_H
#define L2O_KERNELS_H

/// One block of a coordinate-wise network (LSTM cell, then relu(h' W₁ + b₁) W₂ + b₂) over `rb`
/// rows stored feature-major (feature k of row r at p[k·rb + r]):
///   [i, f, g, o] = [σ, σ, tanh, σ](xh·[W ; U] + b),  c' = f c + i g,  h' = o tanh(c')
/// `xh [nin + H, rb]` holds the features and the previous h; `wu [(nin + H), 4H]`, `b [4H]`,
/// `w1 [H, H1]`, `b1 [H1]`, `w2 [H1, O]`, `b2 [O]` are row-major. `c [H, rb]` is updated in place,
/// `h [H, rb]` (not overlapping `xh`) receives h', `out [O, rb]` the outputs before any output
/// activation. Sums run in a fixed order (bias first), the same for every row.
void l2o_cwnet_block_f32(int rb, int nin, int H, int H1, int O, const float *xh, const float *wu, const float *b,
                         float *c, float *h, const float *w1, const float *b1, const float *w2, const float *b2,
                         float *out);

/// `x[k] = tanh(x[k]) = 2 sigmoid(2 x[k]) - 1` for k < count (absolute error below 1.04e-6 — `2(6u + (1.5·2⁻¹²)²) + u`, the vector paths' reciprocal estimate being accurate to 1.5·2⁻¹² (AVX2) or 2⁻¹⁴ (AVX-512) before its Newton step; NaN stays NaN).
void l2o_tanh_f32(int count, float *x);

/// The instruction set the kernels run on: "avx512", "avx2-fma" or "generic" — the fastest the CPU
/// supports, or a slower one chosen with `L2O_KERNELS` or `l2o_kernels_select`. Their results round
/// differently, so bit-exact records of Float runs are kept per instruction set.
const char *l2o_kernels_instruction_set(void);

/// The fastest instruction set this CPU supports for the kernels.
const char *l2o_kernels_best_instruction_set(void);

/// Runs the kernels on `name` ("generic", "avx2-fma" or "avx2", "avx512") from now on: 0, or −1 for
/// an unknown name, −2 for an instruction set this CPU lacks. Not to be called while kernels run.
int l2o_kernels_select(const char *name);

#endif
