// Builds an SDP offer m-line by m-line with Janus's SDP utilities, for a plugin that offers
// media to a WebRTC client (a video room subscriber's streams). Janus adds ICE and DTLS.
#pragma once

#include <cstdint>
#include <string>

#include "../json.hpp"
#include "types.hpp"

namespace sylk::janus {

enum class SdpMedia { Audio, Video, Application };

class SdpOfferBuilder {
public:
    explicit SdpOfferBuilder(const std::string& sessionName);
    ~SdpOfferBuilder();
    SdpOfferBuilder(const SdpOfferBuilder&) = delete;
    SdpOfferBuilder& operator=(const SdpOfferBuilder&) = delete;

    // One m-line with one codec, sendonly when send is true, else inactive; it offers the mid
    // header extension so the client can tell the streams apart.
    void addMedia(SdpMedia type, const std::string& mid, int pt, const std::string& codec, bool send);
    // {"type": "offer", "sdp": ...} with the o= line's session version.
    Json write(uint64_t version);

private:
    janus_sdp* sdp_;
};

}  // namespace sylk::janus
