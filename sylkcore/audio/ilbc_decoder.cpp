#include "ilbc_decoder.hpp"

#include <algorithm>
#include <cmath>

#include "ilbc_codebook.hpp"
#include "ilbc_lpc.hpp"
#include "ilbc_start_state.hpp"

namespace sylk::audio::ilbc {
namespace {

// Correlation measures of the last `range` samples with those `lag` earlier (RFC 4.5).
struct Correlation {
    float measure = 0;      // cross^2 / energy of the lagged part
    float periodicity = 0;  // normalized |cross|
};
Correlation correlate(const float* buffer, int length, int lag, int range) {
    if (length - range - lag < 0)
        range = length - lag;
    double cross = 0, lagged = 0, current = 0;
    for (int i = 0; i < range; ++i) {
        float now = buffer[length - range + i], then = buffer[length - range + i - lag];
        cross += now * then;
        lagged += then * then;
        current += now * now;
    }
    Correlation result;
    if (lagged > 0) {
        result.measure = static_cast<float>(cross * cross / lagged);
        if (current > 0)
            result.periodicity = static_cast<float>(std::fabs(cross) / (std::sqrt(lagged) * std::sqrt(current)));
    }
    return result;
}

}  // namespace

IlbcDecoder::IlbcDecoder(int milliseconds) : mode_(FrameMode::forMilliseconds(milliseconds)) {
    std::copy(kLsfMean, kLsfMean + kOrder, lsfOld_);
}

void IlbcDecoder::decodeResidual(const FrameParameters& params, const float (*synthesis)[kOrder + 1],
                                 float* decoded) const {
    const int shortLength = mode_.stateShortLength;
    const int extraLength = kStateLength - shortLength;
    const int start = params.start;
    const int stateBegin = (start - 1) * kSubframe;
    const int shortBegin = params.stateFirst ? stateBegin : stateBegin + extraLength;

    StartStateCode state;
    state.scale = params.scale;
    std::copy(params.state.begin(), params.state.begin() + shortLength, state.samples);
    constructStartState(state, synthesis[start - 1], shortLength, decoded + shortBegin);

    float memory[kMemoryLength];
    std::fill(memory, memory + kMemoryLength, 0.0f);
    if (params.stateFirst) {
        std::copy(decoded + shortBegin, decoded + shortBegin + shortLength, memory + kMemoryLength - shortLength);
        CodebookMemory codebook(memory + kMemoryLength - kStateMemoryLength, kStateMemoryLength, extraLength);
        constructVector(codebook, params.extraIndex, params.extraGain, decoded + shortBegin + shortLength,
                        extraLength);
    } else {
        for (int k = 0; k < shortLength; ++k)
            memory[kMemoryLength - 1 - k] = decoded[shortBegin + k];
        float reversed[kSubframe];
        CodebookMemory codebook(memory + kMemoryLength - kStateMemoryLength, kStateMemoryLength, extraLength);
        constructVector(codebook, params.extraIndex, params.extraGain, reversed, extraLength);
        for (int k = 0; k < extraLength; ++k)
            decoded[shortBegin - 1 - k] = reversed[k];
    }

    int block = 0;
    int forward = mode_.subframes - start - 1;
    if (forward > 0) {
        std::fill(memory, memory + kMemoryLength, 0.0f);
        std::copy(decoded + stateBegin, decoded + stateBegin + kStateLength, memory + kMemoryLength - kStateLength);
        for (int sub = 0; sub < forward; ++sub, ++block) {
            int at = (start + 1 + sub) * kSubframe;
            CodebookMemory codebook(memory, kMemoryLength, kSubframe);
            constructVector(codebook, params.index[static_cast<size_t>(block)],
                            params.gain[static_cast<size_t>(block)], decoded + at, kSubframe);
            std::copy(memory + kSubframe, memory + kMemoryLength, memory);
            std::copy(decoded + at, decoded + at + kSubframe, memory + kMemoryLength - kSubframe);
        }
    }
    int backward = start - 1;
    if (backward > 0) {
        float reversed[240];
        int available = std::min(kSubframe * (mode_.subframes + 1 - start), kMemoryLength);
        std::fill(memory, memory + kMemoryLength, 0.0f);
        for (int k = 0; k < available; ++k)
            memory[kMemoryLength - 1 - k] = decoded[stateBegin + k];
        for (int sub = 0; sub < backward; ++sub, ++block) {
            CodebookMemory codebook(memory, kMemoryLength, kSubframe);
            constructVector(codebook, params.index[static_cast<size_t>(block)],
                            params.gain[static_cast<size_t>(block)], reversed + sub * kSubframe, kSubframe);
            std::copy(memory + kSubframe, memory + kMemoryLength, memory);
            std::copy(reversed + sub * kSubframe, reversed + (sub + 1) * kSubframe, memory + kMemoryLength - kSubframe);
        }
        for (int i = 0; i < kSubframe * backward; ++i)
            decoded[kSubframe * backward - 1 - i] = reversed[i];
    }
}

int IlbcDecoder::pitchLag(const float* residual) const {
    // The lag (20..119; 20..79 in a 160-sample frame) whose correlation over the last 80
    // samples is highest, kept for concealment of a following loss.
    const int length = mode_.blockLength;
    int best = 20;
    float bestMeasure = -1;
    for (int lag = 20; lag < std::min(120, length - 80); ++lag) {
        double cross = 0, energy = 0;
        for (int i = 0; i < 80; ++i) {
            cross += residual[length - 80 + i] * residual[length - 80 - lag + i];
            energy += residual[length - 80 - lag + i] * residual[length - 80 - lag + i];
        }
        float measure = (cross > 0 && energy > 0) ? static_cast<float>(cross * cross / energy) : 0.0f;
        if (measure > bestMeasure) {
            bestMeasure = measure;
            best = lag;
        }
    }
    return best;
}

void IlbcDecoder::concealResidual(float* residual) {
    const int length = mode_.blockLength;
    ++consecutiveLosses_;
    if (consecutiveLosses_ == 1) {
        // Refine the last good frame's lag within -3..+3 on its residual.
        int lag = lastLag_ - 3;
        Correlation best = correlate(previousResidual_.data(), length, lag, 60);
        for (int candidate = lastLag_ - 2; candidate <= lastLag_ + 3; ++candidate) {
            Correlation c = correlate(previousResidual_.data(), length, candidate, 60);
            if (c.measure > best.measure) {
                best = c;
                lag = candidate;
            }
        }
        concealLag_ = lag;
        periodicity_ = best.periodicity;
    }
    // Fade: full level for the first 40 ms lost, then down, silent after 160 ms.
    int lostSamples = consecutiveLosses_ * length;
    float fade = lostSamples <= 320 ? 1.0f : lostSamples <= 640 ? 0.9f : lostSamples <= 960 ? 0.7f
                                                                  : lostSamples <= 1280 ? 0.5f : 0.0f;
    float root = std::sqrt(periodicity_);
    float pitchShare = root > 0.7f ? 1.0f : root > 0.4f ? (root - 0.4f) / 0.3f : 0.0f;
    int useLag = concealLag_ < 80 ? 2 * concealLag_ : concealLag_;  // no buzz from one short cycle

    float noise[240];
    double energy = 0;
    for (int i = 0; i < length; ++i) {
        seed_ = (seed_ * 69069u + 1) & 0x7fffffffu;
        int pick = i - (50 + static_cast<int>(seed_ % 70));
        noise[i] = pick < 0 ? previousResidual_[static_cast<size_t>(length + pick)] : noise[pick];
        pick = i - useLag;
        float periodic = pick < 0 ? previousResidual_[static_cast<size_t>(length + pick)] : residual[pick];
        float level = i < 80 ? 1.0f : i < 160 ? 0.95f : 0.9f;
        residual[i] = level * fade * (pitchShare * periodic + (1 - pitchShare) * noise[i]);
        energy += residual[i] * residual[i];
    }
    if (std::sqrt(energy / length) < 30.0)
        std::copy(noise, noise + length, residual);
}

void IlbcDecoder::synthesize(const float* residual, const float (*synthesis)[kOrder + 1], int16_t* pcm) {
    float buffer[kOrder + 240];
    std::copy(synthesisState_, synthesisState_ + kOrder, buffer);
    std::copy(residual, residual + mode_.blockLength, buffer + kOrder);
    for (int n = 0; n < mode_.subframes; ++n)
        allPoleFilter(buffer + kOrder + n * kSubframe, synthesis[n], kSubframe);
    std::copy(buffer + mode_.blockLength, buffer + mode_.blockLength + kOrder, synthesisState_);

    float* m = highpassState_;  // x[n-1], x[n-2], y[n-1], y[n-2]
    for (int n = 0; n < mode_.blockLength; ++n) {
        float x = buffer[kOrder + n];
        if (!std::isfinite(x)) {  // no state of a decodable frame gets here; never let one stick
            x = 0;
            std::fill(synthesisState_, synthesisState_ + kOrder, 0.0f);
            std::fill(m, m + 4, 0.0f);
        }
        float y = kOutputHighpassZeros[0] * x + kOutputHighpassZeros[1] * m[0] + kOutputHighpassZeros[2] * m[1] -
                  kOutputHighpassPoles[1] * m[2] - kOutputHighpassPoles[2] * m[3];
        m[1] = m[0];
        m[0] = x;
        m[3] = m[2];
        m[2] = y;
        pcm[n] = static_cast<int16_t>(std::lrint(std::clamp(y, -32768.0f, 32767.0f)));
    }
}

bool IlbcDecoder::decode(const uint8_t* payload, size_t length, int16_t* pcm) {
    FrameParameters params;
    if (length != static_cast<size_t>(mode_.bytes) || !params.read(mode_, payload)) {
        conceal(pcm);
        return false;
    }
    float lsf[2][kOrder];
    for (int set = 0; set < mode_.lsfSets; ++set) {
        int offset = 0, codebookOffset = 0;
        for (int split = 0; split < 3; ++split) {
            int dimension = kLsfSplitDimension[static_cast<size_t>(split)];
            int entry = params.lsf[static_cast<size_t>(set * 3 + split)];
            for (int d = 0; d < dimension; ++d)
                lsf[set][offset + d] = kLsfCodebookQ13[codebookOffset + entry * dimension + d] / 8192.0f;
            offset += dimension;
            codebookOffset += dimension * kLsfSplitSize[static_cast<size_t>(split)];
        }
        stabilizeLsf(lsf[set]);
    }
    float synthesis[6][kOrder + 1];
    float mixed[kOrder];
    if (mode_.milliseconds == 30) {
        static constexpr float kWeights[6] = {0.5f, 1.0f, 2.0f / 3, 1.0f / 3, 0.0f, 0.0f};
        interpolate(lsfOld_, lsf[0], kWeights[0], mixed);
        lsfToLpc(mixed, synthesis[0]);
        for (int i = 1; i < 6; ++i) {
            interpolate(lsf[0], lsf[1], kWeights[i], mixed);
            lsfToLpc(mixed, synthesis[i]);
        }
        std::copy(lsf[1], lsf[1] + kOrder, lsfOld_);
    } else {
        static constexpr float kWeights[4] = {0.75f, 0.5f, 0.25f, 0.0f};
        for (int i = 0; i < 4; ++i) {
            interpolate(lsfOld_, lsf[0], kWeights[i], mixed);
            lsfToLpc(mixed, synthesis[i]);
        }
        std::copy(lsf[0], lsf[0] + kOrder, lsfOld_);
    }
    float residual[240];
    decodeResidual(params, synthesis, residual);

    consecutiveLosses_ = 0;
    lastLag_ = pitchLag(residual);
    std::copy(residual, residual + mode_.blockLength, previousResidual_.begin());
    std::copy(synthesis[mode_.subframes - 1], synthesis[mode_.subframes - 1] + kOrder + 1, previousLpc_);
    synthesize(residual, synthesis, pcm);
    return true;
}

void IlbcDecoder::conceal(int16_t* pcm) {
    float residual[240];
    concealResidual(residual);
    float synthesis[6][kOrder + 1];
    for (auto& filter : synthesis)
        std::copy(previousLpc_, previousLpc_ + kOrder + 1, filter);
    std::copy(residual, residual + mode_.blockLength, previousResidual_.begin());
    synthesize(residual, synthesis, pcm);
}

}  // namespace sylk::audio::ilbc
