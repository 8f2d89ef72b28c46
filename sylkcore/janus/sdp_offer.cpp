#include "sdp_offer.hpp"

#include <memory>

#include "janus_headers.hpp"

namespace sylk::janus {

AudioOfferSdp makeAudioOffer(bool dtmf) {
    constexpr int kOpusPt = 111;
    janus_sdp* offer = janus_sdp_generate_offer("Sylk call", "0.0.0.0",
        JANUS_SDP_OA_MLINE, JANUS_SDP_AUDIO,
            JANUS_SDP_OA_PT, kOpusPt,
            JANUS_SDP_OA_CODEC, "opus",
            JANUS_SDP_OA_DIRECTION, JANUS_SDP_SENDRECV,
            JANUS_SDP_OA_AUDIO_DTMF, dtmf ? TRUE : FALSE,
        JANUS_SDP_OA_DONE);
    char* text = janus_sdp_write(offer);
    AudioOfferSdp result;
    result.jsep = Json::object();
    result.jsep.set("type", "offer").set("sdp", text ? text : "");
    result.opusPt = kOpusPt;
    if (dtmf)
        result.dtmfPt = janus_sdp_get_codec_pt(offer, -1, "dtmf");
    g_free(text);
    janus_sdp_destroy(offer);
    return result;
}

}  // namespace sylk::janus
