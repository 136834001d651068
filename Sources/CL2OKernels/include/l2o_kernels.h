#ifndef L2O_KERNELS_H
#define L2O_KERNELS_H

/// Gate nonlinearities and cell update of an LSTM block stored feature-major (each of the 4H gate
/// rows, and each of the H cell/hidden rows, holds `rb` consecutive rows of the batch):
///   v = gates[j] + bias[j];  i, f, o = sigmoid(v);  g = tanh(v) = 2 sigmoid(2v) - 1
///   c' = f * c + i * g;  h' = o * tanh(c')
/// `gates` is overwritten with the activated gates, `c` with c', `h` receives h'.
void l2o_lstm_block_f32(int rb, int H, float *gates, const float *bias, float *c, float *h);

/// `x[k] = max(x[k], 0)` for k < count.
void l2o_relu_f32(int count, float *x);

/// `x[k] = tanh(x[k]) = 2 sigmoid(2 x[k]) - 1` for k < count (absolute error below 1.04e-6 — `2(6u + (1.5·2⁻¹²)²) + u`, the vector path's reciprocal estimate being accurate to 1.5·2⁻¹² before its Newton step; NaN stays NaN).
void l2o_tanh_f32(int count, float *x);

/// The instruction set the kernels were built for: "avx2-fma" or "generic" (their results round
/// differently, so bit-exact records of Float runs are kept per instruction set).
const char *l2o_kernels_instruction_set(void);

#endif
