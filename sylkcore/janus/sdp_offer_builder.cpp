#include "sdp_offer_builder.hpp"

#include <stdexcept>

namespace sylk::janus {
namespace {

janus_sdp_mtype mediaType(SdpMedia type) {
    switch (type) {
    case SdpMedia::Audio: return JANUS_SDP_AUDIO;
    case SdpMedia::Video: return JANUS_SDP_VIDEO;
    case SdpMedia::Application: return JANUS_SDP_APPLICATION;
    }
    return JANUS_SDP_AUDIO;
}

// The s= line as printable ASCII: RFC 4566 allows UTF-8 there, but Firefox refuses a whole
// description with "SDP contains non ASCII characters" (a room named "café" got no video).
std::string asciiSessionName(const std::string& name) {
    std::string out;
    for (unsigned char c : name)
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    return out.empty() ? "-" : out;
}

}  // namespace

SdpOfferBuilder::SdpOfferBuilder(const std::string& sessionName)
    : sdp_(janus_sdp_generate_offer(asciiSessionName(sessionName).c_str(), "0.0.0.0", JANUS_SDP_OA_DONE)) {
    if (!sdp_)
        throw std::runtime_error("cannot start an SDP offer");
}

SdpOfferBuilder::~SdpOfferBuilder() { janus_sdp_destroy(sdp_); }

void SdpOfferBuilder::addMedia(SdpMedia type, const std::string& mid, int pt, const std::string& codec, bool send) {
    janus_sdp_generate_offer_mline(sdp_,
        JANUS_SDP_OA_MLINE, mediaType(type),
        JANUS_SDP_OA_MID, mid.c_str(),
        JANUS_SDP_OA_PT, pt,
        JANUS_SDP_OA_CODEC, codec.c_str(),
        JANUS_SDP_OA_DIRECTION, send ? JANUS_SDP_SENDONLY : JANUS_SDP_INACTIVE,
        JANUS_SDP_OA_EXTENSION, JANUS_RTP_EXTMAP_MID, janus_rtp_extension_id(JANUS_RTP_EXTMAP_MID),
        JANUS_SDP_OA_DONE);
}

Json SdpOfferBuilder::write(uint64_t version) {
    sdp_->o_version = version;
    char* text = janus_sdp_write(sdp_);
    Json jsep = Json::object();
    jsep.set("type", "offer").set("sdp", text);
    g_free(text);
    return jsep;
}

}  // namespace sylk::janus
