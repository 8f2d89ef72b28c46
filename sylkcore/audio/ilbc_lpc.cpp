#include "ilbc_lpc.hpp"

#include <cmath>
#include <vector>

namespace sylk::audio::ilbc {
namespace {

constexpr float kPi = 3.14159265358979f;
constexpr int kHalf = kOrder / 2;

// Multiplies poly (degree `degree`) by (1 + c z^-1 + z^-2) in place.
void multiplyQuadratic(double* poly, int degree, double c) {
    for (int i = degree + 2; i >= 0; --i) {
        double value = poly[i];
        if (i >= 1)
            value += c * poly[i - 1];
        if (i >= 2)
            value += poly[i - 2];
        poly[i] = value;
    }
}

// Symmetric polynomial of degree 10 (p[0] == 1) evaluated at e^{jw}, rotated to be real:
// 2 * sum_{k<5} p[k] cos((5-k) w) + p[5].
double evaluateSymmetric(const double* p, double w) {
    double sum = p[kHalf];
    for (int k = 0; k < kHalf; ++k)
        sum += 2 * p[k] * std::cos((kHalf - k) * w);
    return sum;
}


// Roots of a symmetric degree-10 polynomial on the upper half circle: sign changes on a fine
// grid, each refined by bisection. Returns how many were found (at most five kept).
int findRoots(const double* poly, float* roots) {
    constexpr int kGrid = 400;
    int found = 0;
    double low = 0, lowValue = evaluateSymmetric(poly, 0);
    for (int step = 1; step <= kGrid; ++step) {
        double w = kPi * step / kGrid, value = evaluateSymmetric(poly, w);
        if (value == 0 || (value < 0) != (lowValue < 0)) {
            double a = low, b = w, aValue = lowValue;
            for (int iteration = 0; iteration < 24; ++iteration) {
                double middle = (a + b) / 2, middleValue = evaluateSymmetric(poly, middle);
                if ((middleValue < 0) != (aValue < 0)) {
                    b = middle;
                } else {
                    a = middle;
                    aValue = middleValue;
                }
            }
            if (found == kHalf)
                return found + 1;
            roots[found++] = static_cast<float>((a + b) / 2);
        }
        low = w;
        lowValue = value;
    }
    return found;
}

}  // namespace

void lsfToLpc(const float* lsfIn, float* a) {
    float lsf[kOrder];
    for (int i = 0; i < kOrder; ++i)
        lsf[i] = lsfIn[i];
    if (lsf[0] <= 0 || lsf[kOrder - 1] >= kPi) {
        if (lsf[0] <= 0)
            lsf[0] = 0.022f * 2 * kPi;
        if (lsf[kOrder - 1] >= kPi)
            lsf[kOrder - 1] = 0.499f * 2 * kPi;
        float step = (lsf[kOrder - 1] - lsf[0]) / (kOrder - 1);
        for (int i = 1; i < kOrder; ++i)
            lsf[i] = lsf[i - 1] + step;
    }
    // P(z) = (1 + z^-1) prod (1 - 2cos(w_even) z^-1 + z^-2), Q(z) likewise with (1 - z^-1) and
    // the odd LSFs; A(z) = (P(z) + Q(z)) / 2.
    double p[kOrder + 2] = {1, 1}, q[kOrder + 2] = {1, -1};
    for (int i = 0; i < kHalf; ++i) {
        multiplyQuadratic(p, 1 + 2 * i, -2 * std::cos(lsf[2 * i]));
        multiplyQuadratic(q, 1 + 2 * i, -2 * std::cos(lsf[2 * i + 1]));
    }
    a[0] = 1;
    for (int i = 1; i <= kOrder; ++i)
        a[i] = static_cast<float>((p[i] + q[i]) / 2);
}

bool lpcToLsf(const float* a, float* lsf) {
    // P'(z) = (A(z) + z^-11 A(1/z)) / (1 + z^-1), Q'(z) = (A(z) - z^-11 A(1/z)) / (1 - z^-1).
    double sum[kOrder + 2], diff[kOrder + 2];
    for (int i = 0; i <= kOrder + 1; ++i) {
        double forward = i <= kOrder ? a[i] : 0, backward = i >= 1 ? a[kOrder + 1 - i] : 0;
        sum[i] = forward + backward;
        diff[i] = forward - backward;
    }
    double p[kOrder + 1], q[kOrder + 1];
    p[0] = sum[0];
    q[0] = diff[0];
    for (int i = 1; i <= kOrder; ++i) {
        p[i] = sum[i] - p[i - 1];
        q[i] = diff[i] + q[i - 1];
    }
    // Each of P' and Q' has five roots in (0, pi); stable A(z) interleaves them, P' first.
    float pRoots[kHalf], qRoots[kHalf];
    if (findRoots(p, pRoots) != kHalf || findRoots(q, qRoots) != kHalf)
        return false;
    for (int i = 0; i < kHalf; ++i) {
        if (pRoots[i] >= qRoots[i] || (i + 1 < kHalf && qRoots[i] >= pRoots[i + 1]))
            return false;
        lsf[2 * i] = pRoots[i];
        lsf[2 * i + 1] = qRoots[i];
    }
    return true;
}

void levinsonDurbin(const float* r, float* a) {
    a[0] = 1;
    for (int i = 1; i <= kOrder; ++i)
        a[i] = 0;
    if (r[0] < 1e-12f)
        return;
    double alpha = r[0];
    double coefficients[kOrder + 1] = {1};
    for (int m = 0; m < kOrder; ++m) {
        double sum = r[m + 1];
        for (int i = 1; i <= m; ++i)
            sum += coefficients[i] * r[m + 1 - i];
        double k = -sum / alpha;
        double updated[kOrder + 1];
        for (int i = 1; i <= m; ++i)
            updated[i] = coefficients[i] + k * coefficients[m + 1 - i];
        for (int i = 1; i <= m; ++i)
            coefficients[i] = updated[i];
        coefficients[m + 1] = k;
        alpha *= (1 - k * k);
        if (alpha <= 0)
            break;
    }
    for (int i = 1; i <= kOrder; ++i)
        a[i] = static_cast<float>(coefficients[i]);
}

void bandwidthExpand(const float* a, float factor, float* out) {
    float chirp = 1;
    for (int i = 0; i <= kOrder; ++i) {
        out[i] = a[i] * chirp;
        chirp *= factor;
    }
}

void stabilizeLsf(float* lsf) {
    constexpr float kMinGap = 0.039f, kHalfStep = 0.0195f, kMax = 3.14f, kMin = 0.01f;
    for (int pass = 0; pass < 2; ++pass) {
        for (int k = 0; k < kOrder - 1; ++k) {
            if (lsf[k + 1] - lsf[k] < kMinGap) {
                if (lsf[k + 1] < lsf[k]) {
                    lsf[k + 1] = lsf[k] + kHalfStep;
                    lsf[k] = lsf[k + 1] - kHalfStep;
                } else {
                    lsf[k] -= kHalfStep;
                    lsf[k + 1] += kHalfStep;
                }
            }
            if (lsf[k] < kMin)
                lsf[k] = kMin;
            if (lsf[k] > kMax)
                lsf[k] = kMax;
        }
    }
}

void interpolate(const float* first, const float* second, float weight, float* out, int length) {
    for (int i = 0; i < length; ++i)
        out[i] = weight * first[i] + (1 - weight) * second[i];
}

void allPoleFilter(float* samples, const float* a, int length) {
    for (int n = 0; n < length; ++n) {
        float value = samples[n];
        for (int k = 1; k <= kOrder; ++k)
            value -= a[k] * samples[n - k];
        samples[n] = value;
    }
}

void circularAllPass(const float* in, int length, const float* a, float* out) {
    std::vector<float> x(static_cast<size_t>(kOrder + 2 * length), 0.0f), y(x.size(), 0.0f);
    for (int i = 0; i < length; ++i)
        x[static_cast<size_t>(kOrder + i)] = in[i];
    for (int n = kOrder; n < kOrder + 2 * length; ++n) {
        // numerator: A(z) reversed, z^-10 A(1/z)
        float value = 0;
        for (int k = 0; k <= kOrder; ++k)
            value += a[kOrder - k] * x[static_cast<size_t>(n - k)];
        for (int k = 1; k <= kOrder; ++k)
            value -= a[k] * y[static_cast<size_t>(n - k)];
        y[static_cast<size_t>(n)] = value;
    }
    for (int k = 0; k < length; ++k)
        out[k] = y[static_cast<size_t>(kOrder + k)] + y[static_cast<size_t>(kOrder + k + length)];
}

}  // namespace sylk::audio::ilbc
