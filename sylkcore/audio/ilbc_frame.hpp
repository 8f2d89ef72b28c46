// One iLBC frame's parameters and their bitstream (RFC 3951 section 3.6): a 20 ms frame is
// 38 bytes (303 bits and an empty-frame flag), a 30 ms frame 50 bytes (399 bits and the flag).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ilbc_tables.hpp"

namespace sylk::audio::ilbc {

struct FrameMode {
    int milliseconds;      // 20 or 30
    int blockLength;       // samples per frame: 160 or 240
    int subframes;         // 40-sample sub-blocks: 4 or 6
    int codedSubframes;    // sub-blocks coded from the codebook after the state: 2 or 4
    int lsfSets;           // LSF vectors sent: 1 or 2
    int bytes;             // 38 or 50
    int stateShortLength;  // samples of the scalar-quantized state: 57 or 58
    const BitLayout* layout;

    // The mode of a payload length (38 or 50 bytes), or nullptr.
    static const FrameMode* forBytes(size_t bytes);
    static const FrameMode& forMilliseconds(int milliseconds);  // 20, anything else is 30
};

struct FrameParameters {
    std::array<int, 6> lsf{};
    int start = 1;        // first of the two sub-blocks holding the state, 1-based
    int stateFirst = 0;   // 1: the scalar-coded part opens the 80 state samples
    int scale = 0;        // index of the state's maximum amplitude
    std::array<int, 58> state{};
    std::array<int, kStages> extraIndex{};
    std::array<int, kStages> extraGain{};
    std::array<std::array<int, kStages>, 4> index{};
    std::array<std::array<int, kStages>, 4> gain{};

    // Writes mode.bytes bytes. Codebook indexes are the encoder's (0..255 per stage).
    void write(const FrameMode& mode, uint8_t* out) const;
    // Reads a frame; false for a frame marked empty (last bit set) or whose values cannot be
    // decoded (a start sub-block or codebook index out of range).
    bool read(const FrameMode& mode, const uint8_t* in);
};

}  // namespace sylk::audio::ilbc
