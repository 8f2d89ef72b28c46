// Linear prediction helpers of iLBC (RFC 3951 sections 3.2 and 4.1): LSF <-> LPC conversion,
// interpolation, bandwidth expansion and the filters both coder halves run.
#pragma once

#include "ilbc_tables.hpp"

namespace sylk::audio::ilbc {

// A(z) coefficients, a[0] == 1.
using Lpc = float[kOrder + 1];

// LSFs (radians, ascending) to A(z); repairs ill-conditioned LSFs as the RFC's decoder does.
void lsfToLpc(const float* lsf, float* a);
// A(z) to LSFs; false when A(z) has not ten roots on the circle (unstable), lsf untouched.
bool lpcToLsf(const float* a, float* lsf);
// Levinson-Durbin from autocorrelation r[0..order]; zeros for a silent signal.
void levinsonDurbin(const float* r, float* a);
// a[k] * factor^k
void bandwidthExpand(const float* a, float factor, float* out);
// Keeps quantized LSFs apart and inside (0, pi) (RFC 3951 section 3.2.5, LSF_check).
void stabilizeLsf(float* lsf);
// out = weight * first + (1 - weight) * second
void interpolate(const float* first, const float* second, float weight, float* out, int length = kOrder);
// In place 1/A(z) over samples[0..length); samples[-kOrder..-1] hold the filter's past outputs.
void allPoleFilter(float* samples, const float* a, int length);
// The start state's circular all-pass (RFC 3951 section 3.5.2): y = A~(z)/A(z) applied to
// in[0..length) followed by length zeros, folded: out[k] = y[k] + y[k + length].
void circularAllPass(const float* in, int length, const float* a, float* out);

}  // namespace sylk::audio::ilbc
