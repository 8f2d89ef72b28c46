// Fuzz target: the iLBC decoder on what a phone's RTP payloads could hold. The first byte picks
// the mode (20 or 30 ms); the rest is a sequence of payloads, each with a 1-byte length
// (0 means "lost": concealment runs), decoded in order so that state carries across frames:
// wrong lengths, empty-flagged frames, out-of-range fields and arbitrary bits.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "sylkcore/audio/ilbc_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using sylk::audio::ilbc::IlbcDecoder;
    if (size < 1)
        return 0;
    IlbcDecoder decoder(data[0] & 1 ? 30 : 20);
    int16_t pcm[240];
    size_t offset = 1;
    while (offset < size) {
        size_t length = data[offset++];
        if (length == 0) {
            decoder.conceal(pcm);
            continue;
        }
        if (offset + length > size)
            length = size - offset;
        decoder.decode(data + offset, length, pcm);
        offset += length;
    }
    return 0;
}
