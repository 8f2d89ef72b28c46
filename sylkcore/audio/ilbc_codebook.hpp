// The adaptive codebook of iLBC (RFC 3951 section 3.6.3): vectors cut from past decoded
// residual, interpolated "augmented" vectors for lags shorter than a sub-block, and the same
// again from a filtered copy of the memory. Encoder and decoder build vectors the same way.
#pragma once

#include <array>

#include "ilbc_tables.hpp"

namespace sylk::audio::ilbc {

class CodebookMemory {
public:
    // memory: the memoryLength samples that precede the vector being coded.
    CodebookMemory(const float* memory, int memoryLength, int vectorLength);
    int size() const { return 2 * sectionSize_; }
    // index in [0, size())
    void vector(int index, float* out) const;

private:
    void cut(const float* source, int index, float* out) const;

    const float* memory_;
    int memoryLength_;
    int vectorLength_;
    int plainVectors_;  // lags cut directly: memoryLength - vectorLength + 1
    int sectionSize_;   // plus 20 augmented vectors for 40-sample targets
    std::array<float, kMemoryLength> filtered_{};
};

// Gains of the three stages from their indexes: 5, 4 and 3 bits, each later stage scaled by
// the magnitude of the one before (RFC 3951 section 3.6.4.2).
std::array<float, kStages> dequantizeGains(const std::array<int, kStages>& indexes);

// Sum of the stages' gain-scaled vectors: the decoded residual of one (sub-)block.
void constructVector(const CodebookMemory& codebook, const std::array<int, kStages>& indexes,
                     const std::array<int, kStages>& gainIndexes, float* out, int length);

}  // namespace sylk::audio::ilbc
