// Fuzz target: a SIP phone's SDP offer through our choice of audio and our answer.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plugins/sip/sip_sdp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string offer(reinterpret_cast<const char*>(data), size);
    std::string reason;
    if (auto audio = sylk::sip::chooseAudio(offer, &reason)) {
        std::string answer = sylk::sip::buildAnswer("127.0.0.1", 40000, *audio, 1, 1);
        // Our own answer must read back as the same choice.
        auto again = sylk::sip::chooseAudio(answer, &reason);
        if (!again || again->codec != audio->codec || again->payloadType != audio->payloadType)
            __builtin_trap();
    }
    return 0;
}
