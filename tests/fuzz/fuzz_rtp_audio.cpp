// Fuzz target: the audio input path of a mixer participant. The input is a sequence of
// datagrams (2-byte length prefix each) for one codec (first byte); each goes through RTP
// parsing, the jitter buffer and the decoder, as plain RTP from a phone would.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sylkcore/audio/codec.hpp"
#include "sylkcore/audio/jitter_buffer.hpp"
#include "sylkcore/audio/rtp_packet.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sylk::audio;
    if (size < 1)
        return 0;
    const CodecId codecs[] = {CodecId::Opus, CodecId::G722, CodecId::Pcmu, CodecId::Pcma};
    CodecId codec = codecs[data[0] % 4];
    auto decoder = makeDecoder(codec, 16000);
    JitterBuffer jitter(codecInfo(codec).clockRate);
    std::vector<int16_t> pcm(5760);
    std::vector<uint8_t> payload;
    size_t offset = 1;
    int64_t now = 0;
    while (offset + 2 <= size) {
        size_t length = static_cast<size_t>(data[offset] << 8 | data[offset + 1]) % 1500;
        offset += 2;
        if (offset + length > size)
            length = size - offset;
        if (auto rtp = parseRtp(data + offset, length); rtp && rtp->payloadLength > 0)
            jitter.push(rtp->sequence, rtp->timestamp, rtp->payload, rtp->payloadLength, now);
        offset += length;
        now += 20000;
        switch (jitter.pop(payload)) {
        case JitterBuffer::Pop::Frame:
            if (decoder->decode(payload.data(), payload.size(), pcm.data(), static_cast<int>(pcm.size())) < 0)
                decoder->conceal(pcm.data(), pcmRate(codec, 16000) / 50);
            break;
        case JitterBuffer::Pop::Lost:
            decoder->conceal(pcm.data(), pcmRate(codec, 16000) / 50);
            break;
        case JitterBuffer::Pop::Empty:
            break;
        }
    }
    jitter.stats();
    return 0;
}
