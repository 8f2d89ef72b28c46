#include "sdp_answer.hpp"

#include <cstring>
#include <memory>

#include "../request_error.hpp"
#include "janus_headers.hpp"

namespace sylk::janus {
namespace {

struct SdpDeleter {
    void operator()(janus_sdp* sdp) const { janus_sdp_destroy(sdp); }
};
using SdpPtr = std::unique_ptr<janus_sdp, SdpDeleter>;

}  // namespace

SdpAnswer answerOffer(const Json& jsep, const AnswerOptions& options) {
    json_t* type = jsep.member("type");
    json_t* sdp = jsep.member("sdp");
    if (!json_is_object(jsep.get()) || !json_is_string(type) || !json_is_string(sdp))
        throw RequestError(ErrorCode::InvalidJsep, "jsep must be an object with string fields 'type' and 'sdp'");
    if (std::strcmp(json_string_value(type), "offer") != 0)
        throw RequestError(ErrorCode::InvalidJsep,
                           std::string("jsep type must be 'offer', not '") + json_string_value(type) + "'");

    char error[512] = "";
    SdpPtr offer(janus_sdp_parse(json_string_value(sdp), error, sizeof(error)));
    if (!offer)
        throw RequestError(ErrorCode::InvalidSdp, std::string("cannot parse the offer: ") + (*error ? error : "invalid SDP"));

    SdpPtr answer(janus_sdp_generate_answer(offer.get()));
    for (GList* item = offer->m_lines; item; item = item->next) {
        auto* mline = static_cast<janus_sdp_mline*>(item->data);
        bool enabled = (mline->type == JANUS_SDP_AUDIO && options.audio) ||
                       (mline->type == JANUS_SDP_VIDEO && options.video) ||
                       (mline->type == JANUS_SDP_APPLICATION && options.data);
        const char* codec = mline->type == JANUS_SDP_AUDIO   ? options.audioCodec
                            : mline->type == JANUS_SDP_VIDEO ? options.videoCodec
                                                             : nullptr;
        const auto& allowed = mline->type == JANUS_SDP_AUDIO ? options.audioCodecs : options.videoCodecs;
        if (!codec && !allowed.empty() && mline->type != JANUS_SDP_APPLICATION) {
            for (const auto& candidate : allowed) {
                if (janus_sdp_get_codec_pt(offer.get(), mline->index, candidate.c_str()) > 0) {
                    codec = candidate.c_str();
                    break;
                }
            }
            if (!codec)
                enabled = false;  // nothing the room allows
        }
        janus_sdp_generate_answer_mline(offer.get(), answer.get(), mline,
            JANUS_SDP_OA_MLINE, mline->type,
            JANUS_SDP_OA_ENABLED, enabled ? TRUE : FALSE,
            JANUS_SDP_OA_CODEC, codec,
            JANUS_SDP_OA_DIRECTION, options.receiveOnly && mline->type != JANUS_SDP_APPLICATION ? JANUS_SDP_RECVONLY
                                                                                              : JANUS_SDP_DEFAULT,
            JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_MID,
            JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_RID,
            JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_REPAIRED_RID,
            JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_AUDIO_LEVEL,
            JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_VIDEO_ORIENTATION,
            JANUS_SDP_OA_ACCEPT_EXTMAP, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC,
            JANUS_SDP_OA_DONE);
    }

    SdpAnswer result;
    const char* audioCodec = nullptr;
    const char* videoCodec = nullptr;
    janus_sdp_find_first_codec(answer.get(), JANUS_SDP_AUDIO, -1, &audioCodec);
    janus_sdp_find_first_codec(answer.get(), JANUS_SDP_VIDEO, -1, &videoCodec);
    result.audioCodec = audioCodec ? audioCodec : "";
    result.videoCodec = videoCodec ? videoCodec : "";
    janus_sdp_mline* data = janus_sdp_mline_find(answer.get(), JANUS_SDP_APPLICATION);
    result.data = data && data->port > 0;

    for (GList* item = answer->m_lines; item; item = item->next) {
        auto* mline = static_cast<janus_sdp_mline*>(item->data);
        if (mline->port == 0 || mline->direction == JANUS_SDP_INACTIVE)
            continue;
        AnsweredMedia media;
        media.mindex = mline->index;
        media.type = mline->type == JANUS_SDP_AUDIO ? "audio" : mline->type == JANUS_SDP_VIDEO ? "video" : "data";
        for (GList* attr = mline->attributes; attr; attr = attr->next) {
            auto* attribute = static_cast<janus_sdp_attribute*>(attr->data);
            if (attribute->name && attribute->value && std::strcmp(attribute->name, "mid") == 0)
                media.mid = attribute->value;
        }
        if (mline->type != JANUS_SDP_APPLICATION) {
            const char* codec = nullptr;
            janus_sdp_find_first_codec(answer.get(), mline->type, mline->index, &codec);
            if (!codec)
                continue;
            media.codec = codec;
            media.pt = janus_sdp_get_codec_pt(answer.get(), mline->index, codec);
        }
        result.media.push_back(std::move(media));
    }

    char* text = janus_sdp_write(answer.get());
    result.jsep = Json::object();
    result.jsep.set("type", "answer").set("sdp", text);
    g_free(text);
    return result;
}

}  // namespace sylk::janus
