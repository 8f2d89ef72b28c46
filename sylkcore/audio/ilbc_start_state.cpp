#include "ilbc_start_state.hpp"

#include <cmath>

#include "ilbc_lpc.hpp"

namespace sylk::audio::ilbc {
namespace {

int nearest(float value, const float* levels, int count) {
    int best = 0;
    for (int i = 1; i < count; ++i) {
        if (std::fabs(value - levels[i]) < std::fabs(value - levels[best]))
            best = i;
    }
    return best;
}

}  // namespace

StartStateCode quantizeStartState(const float* residual, int length, const float* synthesis,
                                  const float* weighting, bool stateFirst) {
    StartStateCode code;
    float shaped[kOrder + 2 * 58] = {};
    float* state = shaped + kOrder;
    circularAllPass(residual, length, synthesis, state);

    float maximum = 0;
    for (int k = 0; k < length; ++k)
        maximum = std::max(maximum, std::fabs(state[k]));
    maximum = std::log10(std::max(maximum, 10.0f));
    code.scale = nearest(maximum, kStateMaxLog10, 64);
    float scale = 4.5f / std::pow(10.0f, kStateMaxLog10[code.scale]);
    for (int k = 0; k < length; ++k)
        state[k] *= scale;

    // Noise-shaped scalar quantization: the target and the quantized signal both go through the
    // weighting filter, which changes with the sub-block at `boundary`.
    int boundary = stateFirst ? kSubframe : length - kSubframe;
    const float* weight = weighting;
    allPoleFilter(state, weight, boundary);
    float quantizedBuffer[kOrder + 58] = {};
    float* quantized = quantizedBuffer + kOrder;
    for (int n = 0; n < length; ++n) {
        if (n == boundary) {
            weight = weighting + kOrder + 1;
            allPoleFilter(state + n, weight, length - n);
        }
        float prediction = 0;
        for (int k = 1; k <= kOrder; ++k)
            prediction -= weight[k] * quantized[n - k];
        int index = nearest(state[n] - prediction, kStateScalarLevels, 8);
        code.samples[n] = index;
        quantized[n] = kStateScalarLevels[index] + prediction;
    }
    return code;
}

void constructStartState(const StartStateCode& code, const float* synthesis, int length, float* out) {
    float scale = std::pow(10.0f, kStateMaxLog10[code.scale & 63]) / 4.5f;
    float reversed[58] = {};
    for (int k = 0; k < length; ++k)
        reversed[k] = scale * kStateScalarLevels[code.samples[length - 1 - k] & 7];
    float folded[58];
    circularAllPass(reversed, length, synthesis, folded);
    for (int k = 0; k < length; ++k)
        out[k] = folded[length - 1 - k];
}

}  // namespace sylk::audio::ilbc
