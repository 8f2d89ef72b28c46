#include "ilbc_codebook.hpp"

#include <algorithm>
#include <cmath>

namespace sylk::audio::ilbc {

CodebookMemory::CodebookMemory(const float* memory, int memoryLength, int vectorLength)
    : memory_(memory),
      memoryLength_(memoryLength),
      vectorLength_(vectorLength),
      plainVectors_(memoryLength - vectorLength + 1),
      sectionSize_(plainVectors_ + (vectorLength == kSubframe ? vectorLength / 2 : 0)) {
    // Expansion filter centred with 3 taps of look-back: filtered[m] = sum_j mem[m-3+j] h[7-j].
    for (int m = 0; m < memoryLength; ++m) {
        float sum = 0;
        for (int j = 0; j < kFilterLength; ++j) {
            int at = m - 3 + j;
            if (at >= 0 && at < memoryLength)
                sum += memory[at] * kCodebookFilter[kFilterLength - 1 - j];
        }
        filtered_[static_cast<size_t>(m)] = sum;
    }
}

void CodebookMemory::vector(int index, float* out) const {
    if (index < sectionSize_)
        cut(memory_, index, out);
    else
        cut(filtered_.data(), index - sectionSize_, out);
}

void CodebookMemory::cut(const float* source, int index, float* out) const {
    const float* end = source + memoryLength_;
    if (index < plainVectors_) {
        std::copy(end - index - vectorLength_, end - index - vectorLength_ + vectorLength_, out);
        return;
    }
    // Augmented vector of lag 20..39: the last `lag` samples, repeated, with a five-sample
    // linear cross-fade where the repetition starts.
    int lag = index - plainVectors_ + vectorLength_ / 2;
    int fadeStart = lag - 5;
    for (int j = 0; j < fadeStart; ++j)
        out[j] = end[-lag + j];
    float alpha = 0;
    for (int j = fadeStart; j < lag; ++j, alpha += 0.2f)
        out[j] = (1 - alpha) * end[-lag + j] + alpha * end[-2 * lag + j];
    for (int j = lag; j < vectorLength_; ++j)
        out[j] = end[-2 * lag + j];
}

std::array<float, kStages> dequantizeGains(const std::array<int, kStages>& indexes) {
    std::array<float, kStages> gains{};
    gains[0] = kGain5Bit[indexes[0] & 31];
    gains[1] = std::max(std::fabs(gains[0]), 0.1f) * kGain4Bit[indexes[1] & 15];
    gains[2] = std::max(std::fabs(gains[1]), 0.1f) * kGain3Bit[indexes[2] & 7];
    return gains;
}

void constructVector(const CodebookMemory& codebook, const std::array<int, kStages>& indexes,
                     const std::array<int, kStages>& gainIndexes, float* out, int length) {
    auto gains = dequantizeGains(gainIndexes);
    float vector[kSubframe];
    std::fill(out, out + length, 0.0f);
    for (int stage = 0; stage < kStages; ++stage) {
        codebook.vector(indexes[static_cast<size_t>(stage)], vector);
        for (int j = 0; j < length; ++j)
            out[j] += gains[static_cast<size_t>(stage)] * vector[j];
    }
}

}  // namespace sylk::audio::ilbc
