#include "ilbc_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "ilbc_codebook.hpp"
#include "ilbc_lpc.hpp"
#include "ilbc_start_state.hpp"

namespace sylk::audio::ilbc {
namespace {

constexpr int kLookBack = 60;
constexpr int kWindowLength = 240;
constexpr float kPiF = 3.14159265358979f;
constexpr float kSynthesisChirp = 0.9025f;
constexpr float kWeightingChirp = 0.4222f;
constexpr float kMaxGain = 1.3f;

// Analysis windows (RFC 3951 section 3.2.1): a Hann window over the frame's middle for the
// first of two LPC sets, an asymmetric one (long rise, 20-sample fall) for the last set.
struct Windows {
    float symmetric[kWindowLength];
    float asymmetric[kWindowLength];
    float lag[kOrder + 1];
    Windows() {
        for (int i = 0; i < kWindowLength; ++i)
            symmetric[i] = 0.5f * (1 - std::cos(2 * kPiF * (i + 1) / (kWindowLength + 1)));
        constexpr int kRise = 221;
        for (int i = 0; i < kWindowLength; ++i) {
            if (i < kRise) {
                float s = std::sin(kPiF / 2 * (i + 1) / kRise);
                asymmetric[i] = s * s;
            } else {
                asymmetric[i] = std::cos(kPiF / 2 * (i - kRise + 1) / 20.0f);
            }
        }
        // Gaussian lag window of 60 Hz and a white-noise floor of 1e-4.
        for (int i = 0; i <= kOrder; ++i) {
            float x = 2 * kPiF * 60.0f * i / 8000.0f;
            lag[i] = std::exp(-0.5f * x * x);
        }
        lag[0] = 1.0001f;
    }
};
const Windows& windows() {
    static const Windows instance;
    return instance;
}

// Which codebook entries a sub-block's stage may send: the first coded 40-sample sub-block's
// second and third stages have 7 bits (see FrameParameters::write).
bool reachable(int block, int stage, int index) {
    if (block != 1 || stage == 0)
        return true;
    return index < 44 || (index >= 108 && index < 172) || index >= 236;
}

int quantizeGain(float gain, float scale, const float* table, int size) {
    scale = std::max(scale, 0.1f);
    int best = 0;
    float bestError = 1e30f;
    for (int i = 0; i < size; ++i) {
        float error = (gain - scale * table[i]) * (gain - scale * table[i]);
        if (error < bestError) {
            bestError = error;
            best = i;
        }
    }
    return best;
}

}  // namespace

IlbcEncoder::IlbcEncoder(int milliseconds) : mode_(FrameMode::forMilliseconds(milliseconds)) {
    std::copy(kLsfMean, kLsfMean + kOrder, lsfOld_);
    std::copy(kLsfMean, kLsfMean + kOrder, lsfQuantizedOld_);
}

void IlbcEncoder::highpass(const int16_t* pcm, float* out) {
    float* m = highpassState_;  // x[n-1], x[n-2], y[n-1], y[n-2]
    for (int n = 0; n < mode_.blockLength; ++n) {
        float x = pcm[n];
        float y = kInputHighpassZeros[0] * x + kInputHighpassZeros[1] * m[0] + kInputHighpassZeros[2] * m[1] -
                  kInputHighpassPoles[1] * m[2] - kInputHighpassPoles[2] * m[3];
        m[1] = m[0];
        m[0] = x;
        m[3] = m[2];
        m[2] = y;
        out[n] = y;
    }
}

void IlbcEncoder::analyse(const float* block, FrameParameters& params, Filters& filters) {
    const Windows& w = windows();
    int fresh = kLookBack + kWindowLength - mode_.blockLength;
    std::copy(block, block + mode_.blockLength, lpcBuffer_.begin() + fresh);

    float lsf[2][kOrder], lsfQuantized[2][kOrder];
    for (int set = 0; set < mode_.lsfSets; ++set) {
        float windowed[kWindowLength];
        bool last = set == mode_.lsfSets - 1;
        const float* source = lpcBuffer_.data() + (last ? kLookBack : 0);
        for (int i = 0; i < kWindowLength; ++i)
            windowed[i] = source[i] * (last ? w.asymmetric[i] : w.symmetric[i]);
        float r[kOrder + 1];
        for (int lag = 0; lag <= kOrder; ++lag) {
            double sum = 0;
            for (int n = 0; n + lag < kWindowLength; ++n)
                sum += static_cast<double>(windowed[n]) * windowed[n + lag];
            r[lag] = static_cast<float>(sum) * w.lag[lag];
        }
        float a[kOrder + 1], expanded[kOrder + 1];
        levinsonDurbin(r, a);
        bandwidthExpand(a, kSynthesisChirp, expanded);
        if (!lpcToLsf(expanded, lsf[set]))
            std::copy(set == 0 ? lsfOld_ : lsf[0], (set == 0 ? lsfOld_ : lsf[0]) + kOrder, lsf[set]);

        // Split VQ, nearest entry per split.
        int offset = 0, codebookOffset = 0;
        for (int split = 0; split < 3; ++split) {
            int dimension = kLsfSplitDimension[static_cast<size_t>(split)];
            int size = kLsfSplitSize[static_cast<size_t>(split)];
            int best = 0;
            float bestDistance = 1e30f;
            for (int entry = 0; entry < size; ++entry) {
                float distance = 0;
                for (int d = 0; d < dimension; ++d) {
                    float diff = lsf[set][offset + d] -
                                 kLsfCodebookQ13[codebookOffset + entry * dimension + d] / 8192.0f;
                    distance += diff * diff;
                }
                if (distance < bestDistance) {
                    bestDistance = distance;
                    best = entry;
                }
            }
            params.lsf[static_cast<size_t>(set * 3 + split)] = best;
            for (int d = 0; d < dimension; ++d)
                lsfQuantized[set][offset + d] = kLsfCodebookQ13[codebookOffset + best * dimension + d] / 8192.0f;
            offset += dimension;
            codebookOffset += dimension * size;
        }
    }
    std::copy(lpcBuffer_.begin() + mode_.blockLength, lpcBuffer_.end(), lpcBuffer_.begin());
    for (int set = 0; set < mode_.lsfSets; ++set)
        stabilizeLsf(lsfQuantized[set]);

    // Per sub-block filters: quantized LSFs for synthesis, unquantized (chirped) for weighting.
    auto fill = [&](int subframe, const float* fromQ, const float* toQ, const float* from, const float* to,
                    float weight) {
        float mixed[kOrder], a[kOrder + 1];
        interpolate(fromQ, toQ, weight, mixed);
        lsfToLpc(mixed, filters.synthesis[subframe]);
        interpolate(from, to, weight, mixed);
        lsfToLpc(mixed, a);
        bandwidthExpand(a, kWeightingChirp, filters.weighting[subframe]);
    };
    if (mode_.milliseconds == 30) {
        static constexpr float kWeights[6] = {0.5f, 1.0f, 2.0f / 3, 1.0f / 3, 0.0f, 0.0f};
        fill(0, lsfQuantizedOld_, lsfQuantized[0], lsfOld_, lsf[0], kWeights[0]);
        for (int i = 1; i < 6; ++i)
            fill(i, lsfQuantized[0], lsfQuantized[1], lsf[0], lsf[1], kWeights[i]);
        std::copy(lsf[1], lsf[1] + kOrder, lsfOld_);
        std::copy(lsfQuantized[1], lsfQuantized[1] + kOrder, lsfQuantizedOld_);
    } else {
        static constexpr float kWeights[4] = {0.75f, 0.5f, 0.25f, 0.0f};
        for (int i = 0; i < 4; ++i)
            fill(i, lsfQuantizedOld_, lsfQuantized[0], lsfOld_, lsf[0], kWeights[i]);
        std::copy(lsf[0], lsf[0] + kOrder, lsfOld_);
        std::copy(lsfQuantized[0], lsfQuantized[0] + kOrder, lsfQuantizedOld_);
    }
}

int IlbcEncoder::classify(const float* residual) const {
    // Energy of each pair of sub-blocks, edges tapered, centre favoured (RFC 3951 3.5.1).
    static constexpr float kTaper[5] = {1.0f / 6, 2.0f / 6, 3.0f / 6, 4.0f / 6, 5.0f / 6};
    static constexpr float kPairWeight[5] = {0.8f, 0.9f, 1.0f, 0.9f, 0.8f};
    float front[6] = {}, back[6] = {};
    for (int n = 0; n < mode_.subframes; ++n) {
        const float* p = residual + n * kSubframe;
        for (int l = 0; l < kSubframe; ++l) {
            float e = p[l] * p[l];
            front[n] += l < 5 ? kTaper[l] * e : e;
            back[n] += l >= kSubframe - 5 ? kTaper[kSubframe - 1 - l] * e : e;
        }
    }
    int weightIndex = mode_.milliseconds == 20 ? 1 : 0;
    float best = (front[0] + back[1]) * kPairWeight[weightIndex];
    int start = 1;
    for (int n = 2; n < mode_.subframes; ++n) {
        float energy = (front[n - 1] + back[n]) * kPairWeight[++weightIndex];
        if (energy > best) {
            best = energy;
            start = n;
        }
    }
    return start;
}

void IlbcEncoder::searchCodebook(const float* memory, int memoryLength, const float* target, int length,
                                 const float* weighting, int block, std::array<int, kStages>& indexes,
                                 std::array<int, kStages>& gains, float* decoded) const {
    // Search in the perceptually weighted domain: memory and target through 1/A(z/0.4222).
    float weightedBuffer[kOrder + kMemoryLength + kSubframe] = {};
    float* weighted = weightedBuffer + kOrder;
    std::copy(memory, memory + memoryLength, weighted);
    std::copy(target, target + length, weighted + memoryLength);
    allPoleFilter(weighted, weighting, memoryLength + length);
    float goal[kSubframe];
    std::copy(weighted + memoryLength, weighted + memoryLength + length, goal);
    float goalEnergy = 0;
    for (int j = 0; j < length; ++j)
        goalEnergy += goal[j] * goal[j];

    CodebookMemory weightedCodebook(weighted, memoryLength, length);
    int entries = weightedCodebook.size();
    std::vector<float> vectors(static_cast<size_t>(entries * length));
    std::vector<float> energies(static_cast<size_t>(entries));
    for (int i = 0; i < entries; ++i) {
        float* v = &vectors[static_cast<size_t>(i * length)];
        weightedCodebook.vector(i, v);
        float e = 0;
        for (int j = 0; j < length; ++j)
            e += v[j] * v[j];
        energies[static_cast<size_t>(i)] = e;
    }

    float stageGains[kStages] = {};
    float combined[kSubframe] = {};
    for (int stage = 0; stage < kStages; ++stage) {
        int best = -1;
        float bestMeasure = -1, bestGain = 0;
        for (int i = 0; i < entries; ++i) {
            if (!reachable(block, stage, i) || energies[static_cast<size_t>(i)] <= 0)
                continue;
            const float* v = &vectors[static_cast<size_t>(i * length)];
            float cross = 0;
            for (int j = 0; j < length; ++j)
                cross += goal[j] * v[j];
            if (stage == 0 && cross <= 0)
                continue;
            float gain = cross / energies[static_cast<size_t>(i)];
            float measure = cross * gain;
            if (measure > bestMeasure && std::fabs(gain) < kMaxGain) {
                bestMeasure = measure;
                best = i;
                bestGain = gain;
            }
        }
        if (best < 0) {  // nothing useful: any reachable entry with a zero-ish gain
            best = 0;
            bestGain = 0;
        }
        indexes[static_cast<size_t>(stage)] = best;
        float quantized;
        if (stage == 0) {
            gains[0] = quantizeGain(std::clamp(bestGain, 0.0f, kMaxGain), 1.0f, kGain5Bit, 32);
            quantized = kGain5Bit[gains[0]];
        } else if (stage == 1) {
            float scale = std::max(std::fabs(stageGains[0]), 0.1f);
            gains[1] = quantizeGain(bestGain, scale, kGain4Bit, 16);
            quantized = scale * kGain4Bit[gains[1]];
        } else {
            float scale = std::max(std::fabs(stageGains[1]), 0.1f);
            gains[2] = quantizeGain(bestGain, scale, kGain3Bit, 8);
            quantized = scale * kGain3Bit[gains[2]];
        }
        stageGains[stage] = quantized;
        const float* v = &vectors[static_cast<size_t>(best * length)];
        for (int j = 0; j < length; ++j) {
            combined[j] += quantized * v[j];
            goal[j] -= quantized * v[j];
        }
    }

    // Raise the first gain while the coded vector's energy stays below the target's, so the
    // decoded residual is not too quiet (RFC 3951 section 3.6.4.2, energy matching).
    float combinedEnergy = 0;
    for (int j = 0; j < length; ++j)
        combinedEnergy += combined[j] * combined[j];
    int chosen = gains[0];
    for (int i = gains[0]; i < 32; ++i) {
        if (combinedEnergy * kGain5Bit[i] * kGain5Bit[i] < goalEnergy * stageGains[0] * stageGains[0] &&
            kGain5Bit[chosen] < 2.0f * stageGains[0])
            chosen = i;
    }
    gains[0] = chosen;

    CodebookMemory codebook(memory, memoryLength, length);
    constructVector(codebook, indexes, gains, decoded, length);
}

void IlbcEncoder::encode(const int16_t* pcm, uint8_t* out) {
    const int blockLength = mode_.blockLength;
    const int shortLength = mode_.stateShortLength;
    const int extraLength = kStateLength - shortLength;
    float data[240], residual[240], decoded[240] = {};
    FrameParameters params;
    Filters filters;

    highpass(pcm, data);
    analyse(data, params, filters);

    // LPC residual, the analysis filter's memory running across sub-blocks and frames.
    for (int n = 0; n < mode_.subframes; ++n) {
        const float* a = filters.synthesis[n];
        for (int i = 0; i < kSubframe; ++i) {
            int at = n * kSubframe + i;
            float sum = data[at];
            for (int k = 1; k <= kOrder; ++k)
                sum += a[k] * (at - k >= 0 ? data[at - k] : analysisState_[kOrder + (at - k)]);
            residual[at] = sum;
        }
    }
    std::copy(data + blockLength - kOrder, data + blockLength, analysisState_);

    int start = classify(residual);
    params.start = start;
    int stateBegin = (start - 1) * kSubframe;
    float firstEnergy = 0, lastEnergy = 0;
    for (int i = 0; i < shortLength; ++i) {
        firstEnergy += residual[stateBegin + i] * residual[stateBegin + i];
        lastEnergy += residual[stateBegin + extraLength + i] * residual[stateBegin + extraLength + i];
    }
    bool stateFirst = firstEnergy > lastEnergy;
    params.stateFirst = stateFirst ? 1 : 0;
    int shortBegin = stateFirst ? stateBegin : stateBegin + extraLength;

    StartStateCode state = quantizeStartState(residual + shortBegin, shortLength, filters.synthesis[start - 1],
                                              filters.weighting[start - 1], stateFirst);
    params.scale = state.scale;
    std::copy(state.samples, state.samples + shortLength, params.state.begin());
    constructStartState(state, filters.synthesis[start - 1], shortLength, decoded + shortBegin);

    // The 22/23 samples of the state's two sub-blocks not scalar-coded.
    float memory[kMemoryLength];
    if (stateFirst) {
        std::fill(memory, memory + kMemoryLength, 0.0f);
        std::copy(decoded + shortBegin, decoded + shortBegin + shortLength, memory + kMemoryLength - shortLength);
        searchCodebook(memory + kMemoryLength - kStateMemoryLength, kStateMemoryLength,
                       residual + shortBegin + shortLength, extraLength, filters.weighting[start], 0,
                       params.extraIndex, params.extraGain, decoded + shortBegin + shortLength);
    } else {
        float reversedTarget[kSubframe], reversedDecoded[kSubframe];
        for (int k = 0; k < extraLength; ++k)
            reversedTarget[k] = residual[shortBegin - 1 - k];
        std::fill(memory, memory + kMemoryLength, 0.0f);
        for (int k = 0; k < shortLength; ++k)
            memory[kMemoryLength - 1 - k] = decoded[shortBegin + k];
        searchCodebook(memory + kMemoryLength - kStateMemoryLength, kStateMemoryLength, reversedTarget,
                       extraLength, filters.weighting[start - 1], 0, params.extraIndex, params.extraGain,
                       reversedDecoded);
        for (int k = 0; k < extraLength; ++k)
            decoded[shortBegin - 1 - k] = reversedDecoded[k];
    }

    int block = 0;
    // Forward: sub-blocks after the state, each predicted from everything decoded before it.
    int forward = mode_.subframes - start - 1;
    if (forward > 0) {
        std::fill(memory, memory + kMemoryLength, 0.0f);
        std::copy(decoded + stateBegin, decoded + stateBegin + kStateLength, memory + kMemoryLength - kStateLength);
        for (int sub = 0; sub < forward; ++sub, ++block) {
            int at = (start + 1 + sub) * kSubframe;
            searchCodebook(memory, kMemoryLength, residual + at, kSubframe, filters.weighting[start + 1 + sub],
                           block + 1, params.index[static_cast<size_t>(block)],
                           params.gain[static_cast<size_t>(block)], decoded + at);
            std::copy(memory + kSubframe, memory + kMemoryLength, memory);
            std::copy(decoded + at, decoded + at + kSubframe, memory + kMemoryLength - kSubframe);
        }
    }
    // Backward: sub-blocks before the state, coded time-reversed.
    int backward = start - 1;
    if (backward > 0) {
        float reversedResidual[240], reversedDecoded[240];
        for (int n = 0; n < backward * kSubframe; ++n)
            reversedResidual[n] = residual[stateBegin - 1 - n];
        int available = std::min(kSubframe * (mode_.subframes + 1 - start), kMemoryLength);
        std::fill(memory, memory + kMemoryLength, 0.0f);
        for (int k = 0; k < available; ++k)
            memory[kMemoryLength - 1 - k] = decoded[stateBegin + k];
        for (int sub = 0; sub < backward; ++sub, ++block) {
            searchCodebook(memory, kMemoryLength, reversedResidual + sub * kSubframe, kSubframe,
                           filters.weighting[start - 2 - sub], block + 1, params.index[static_cast<size_t>(block)],
                           params.gain[static_cast<size_t>(block)], reversedDecoded + sub * kSubframe);
            std::copy(memory + kSubframe, memory + kMemoryLength, memory);
            std::copy(reversedDecoded + sub * kSubframe, reversedDecoded + (sub + 1) * kSubframe,
                      memory + kMemoryLength - kSubframe);
        }
        for (int i = 0; i < kSubframe * backward; ++i)
            decoded[kSubframe * backward - 1 - i] = reversedDecoded[i];
    }
    params.write(mode_, out);
}

}  // namespace sylk::audio::ilbc
