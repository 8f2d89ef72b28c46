#include "sdp_answer.hpp"

#include <cstdio>
#include <cstdlib>
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

// The header extensions an answer accepts (Janus's generator and our iLBC m-line alike).
const char* const kAcceptedExtensions[] = {
    JANUS_RTP_EXTMAP_MID, JANUS_RTP_EXTMAP_RID, JANUS_RTP_EXTMAP_REPAIRED_RID, JANUS_RTP_EXTMAP_AUDIO_LEVEL,
    JANUS_RTP_EXTMAP_VIDEO_ORIENTATION, JANUS_RTP_EXTMAP_TRANSPORT_WIDE_CC,
};

bool isIlbcName(const char* name) { return name && (std::strcmp(name, "ilbc") == 0 || std::strcmp(name, "ilbc20") == 0); }

// iLBC as an offer carries it (RFC 3952): "a=rtpmap:<pt> iLBC/8000" (libwebrtc writes "ILBC"),
// and "a=fmtp:<pt> mode=20" for 20 ms frames; no mode means 30 ms.
struct IlbcOffer {
    int pt = -1;
    int mode = 30;
};

IlbcOffer findIlbc(const janus_sdp_mline* offered) {
    IlbcOffer found;
    for (GList* item = offered->attributes; item; item = item->next) {
        auto* attribute = static_cast<janus_sdp_attribute*>(item->data);
        if (!attribute->name || !attribute->value || std::strcmp(attribute->name, "rtpmap") != 0)
            continue;
        char encoding[32] = "";
        int pt = -1;
        int clockRate = 0;
        if (std::sscanf(attribute->value, "%d %31[^/]/%d", &pt, encoding, &clockRate) == 3 && pt >= 0 && pt < 128 &&
            clockRate == 8000 && g_ascii_strcasecmp(encoding, "iLBC") == 0) {
            found.pt = pt;
            break;
        }
    }
    if (found.pt < 0)
        return found;
    for (GList* item = offered->attributes; item; item = item->next) {
        auto* attribute = static_cast<janus_sdp_attribute*>(item->data);
        if (attribute->name && attribute->value && std::strcmp(attribute->name, "fmtp") == 0 &&
            std::atoi(attribute->value) == found.pt && std::strstr(attribute->value, "mode=20"))
            found.mode = 20;
    }
    return found;
}

// Janus's SDP utilities know no iLBC: they reject an m-line asked to carry it. Write the
// accepted m-line ourselves, as Janus writes its own (direction from the offer's, one payload
// type, rtpmap, fmtp and ptime, the header extensions we accept); Janus's core adds ICE, DTLS, mid,
// msid and ssrc when it merges the answer, as for any codec.
void answerWithIlbc(janus_sdp* answer, const janus_sdp_mline* offered, const IlbcOffer& ilbc, bool receiveOnly) {
    janus_sdp_mline* mline = janus_sdp_mline_find_by_index(answer, offered->index);
    if (!mline)
        return;
    g_list_free(mline->ptypes);
    mline->ptypes = g_list_append(nullptr, GINT_TO_POINTER(ilbc.pt));
    g_list_free_full(mline->attributes, reinterpret_cast<GDestroyNotify>(janus_sdp_attribute_destroy));
    mline->attributes = nullptr;
    mline->port = 9;
    bool weSend = !receiveOnly && offered->direction != JANUS_SDP_SENDONLY && offered->direction != JANUS_SDP_INACTIVE;
    bool weReceive = offered->direction != JANUS_SDP_RECVONLY && offered->direction != JANUS_SDP_INACTIVE;
    mline->direction = weSend && weReceive ? JANUS_SDP_SENDRECV
                       : weSend            ? JANUS_SDP_SENDONLY
                       : weReceive         ? JANUS_SDP_RECVONLY
                                           : JANUS_SDP_INACTIVE;
    janus_sdp_attribute_add_to_mline(mline, janus_sdp_attribute_create("rtpmap", "%d iLBC/8000", ilbc.pt));
    janus_sdp_attribute_add_to_mline(mline, janus_sdp_attribute_create("fmtp", "%d mode=%d", ilbc.pt, ilbc.mode));
    // RFC 3952: ptime a multiple of the mode's frame; libwebrtc sizes its packets by it.
    janus_sdp_attribute_add_to_mline(mline, janus_sdp_attribute_create("ptime", "%d", ilbc.mode));
    for (GList* item = offered->attributes; item; item = item->next) {
        auto* attribute = static_cast<janus_sdp_attribute*>(item->data);
        if (!attribute->name || !attribute->value || std::strcmp(attribute->name, "extmap") != 0)
            continue;
        for (const char* extension : kAcceptedExtensions) {
            if (!std::strstr(attribute->value, extension))
                continue;
            const char* direction = attribute->direction == JANUS_SDP_SENDONLY   ? "/recvonly"
                                    : attribute->direction == JANUS_SDP_RECVONLY ? "/sendonly"
                                    : attribute->direction == JANUS_SDP_INACTIVE ? "/inactive"
                                                                                 : "";
            janus_sdp_attribute_add_to_mline(
                mline, janus_sdp_attribute_create("extmap", "%d%s %s", std::atoi(attribute->value), direction, extension));
        }
    }
}

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
    std::string ilbcCodec;  // "ilbc" or "ilbc20" once an audio m-line took iLBC
    int ilbcIndex = -1;     // that m-line's index: Janus's codec lookups log an error on it
    for (GList* item = offer->m_lines; item; item = item->next) {
        auto* mline = static_cast<janus_sdp_mline*>(item->data);
        bool enabled = (mline->type == JANUS_SDP_AUDIO && options.audio) ||
                       (mline->type == JANUS_SDP_VIDEO && options.video) ||
                       (mline->type == JANUS_SDP_APPLICATION && options.data);
        const char* codec = mline->type == JANUS_SDP_AUDIO   ? options.audioCodec
                            : mline->type == JANUS_SDP_VIDEO ? options.videoCodec
                                                             : nullptr;
        const auto& allowed = mline->type == JANUS_SDP_AUDIO ? options.audioCodecs : options.videoCodecs;
        IlbcOffer ilbc = mline->type == JANUS_SDP_AUDIO ? findIlbc(mline) : IlbcOffer{};
        if (!codec && !allowed.empty() && mline->type != JANUS_SDP_APPLICATION) {
            for (const auto& candidate : allowed) {
                if (isIlbcName(candidate.c_str()) ? ilbc.pt >= 0
                                                  : janus_sdp_get_codec_pt(offer.get(), mline->index, candidate.c_str()) > 0) {
                    codec = candidate.c_str();
                    break;
                }
            }
            if (!codec)
                enabled = false;  // nothing the room allows
        }
        if (isIlbcName(codec) && ilbc.pt < 0)
            enabled = false;  // asked for iLBC, not offered
        if (enabled && isIlbcName(codec) && ilbcCodec.empty()) {
            // Janus would reject it: generate a rejected m-line, then write it as accepted.
            janus_sdp_generate_answer_mline(offer.get(), answer.get(), mline, JANUS_SDP_OA_MLINE, mline->type,
                                            JANUS_SDP_OA_ENABLED, FALSE, JANUS_SDP_OA_DONE);
            answerWithIlbc(answer.get(), mline, ilbc, options.receiveOnly);
            ilbcCodec = ilbc.mode == 20 ? "ilbc20" : "ilbc";
            ilbcIndex = mline->index;
            continue;
        }
        if (isIlbcName(codec))
            enabled = false;  // one iLBC m-line is all the result can describe
        janus_sdp_generate_answer_mline(offer.get(), answer.get(), mline,
            JANUS_SDP_OA_MLINE, mline->type,
            JANUS_SDP_OA_ENABLED, enabled ? TRUE : FALSE,
            JANUS_SDP_OA_CODEC, codec,
            JANUS_SDP_OA_AUDIO_DTMF, options.dtmf && mline->type == JANUS_SDP_AUDIO ? TRUE : FALSE,
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
    if (ilbcCodec.empty())
        janus_sdp_find_first_codec(answer.get(), JANUS_SDP_AUDIO, -1, &audioCodec);
    janus_sdp_find_first_codec(answer.get(), JANUS_SDP_VIDEO, -1, &videoCodec);
    result.audioCodec = audioCodec ? audioCodec : ilbcCodec;
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
            if (mline->index == ilbcIndex) {
                media.codec = ilbcCodec;  // the m-line answerWithIlbc wrote: one payload type
                media.pt = GPOINTER_TO_INT(mline->ptypes->data);
            } else {
                const char* codec = nullptr;
                janus_sdp_find_first_codec(answer.get(), mline->type, mline->index, &codec);
                if (!codec)
                    continue;
                media.codec = codec;
                media.pt = janus_sdp_get_codec_pt(answer.get(), mline->index, codec);
            }
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
