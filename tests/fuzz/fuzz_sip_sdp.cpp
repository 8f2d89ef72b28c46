// Fuzz target for the SIP plugin's text handling: the bytes as a SIP message read with our
// message class (sip_message_class: wrapped request line, Via and CSeq parsers), a phone's SDP
// offer through our choice of audio and our answer, and of its MSRP stream (m=message) and
// our answer to that, and the same bytes as a participant's name in a conference-info
// document (they come from SIP From headers and web users' display names), and as a
// message/cpim body (with IMDN and is-composing documents), which must survive our own
// rewriting; and the SDP rewrite that moves our m=message to a new path.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "plugins/sip/conference_info.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "plugins/sip/imdn.hpp"
#include "plugins/sip/sip_message.hpp"
#include "plugins/sip/sip_message_class.hpp"
#include "plugins/sip/sip_sdp.hpp"
#include "plugins/sip/sofia.hpp"

namespace {

// Escaped text has no markup characters, and every '&' starts one of XML's five entities.
void checkEscaped(const std::string& text) {
    const char* entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
    for (size_t i = 0; i < text.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c == '<' || c == '>' || c == '"' || c == '\'' || (c < 0x20 && c != '\t' && c != '\n' && c != '\r'))
            __builtin_trap();
        if (c == '&') {
            bool known = false;
            for (const char* entity : entities)
                known = known || text.compare(i, std::strlen(entity), entity) == 0;
            if (!known)
                __builtin_trap();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    if (msg_t* msg = msg_make(sylk::sip::SipMessageClass::instance(), 0, input.data(), static_cast<ssize_t>(input.size()))) {
        sip_t* sip = sip_object(msg);
        // An unknown method has a name, one word of visible characters (Sofia's grammar, which
        // also takes "()", or ours, the RFC's token).
        if (sip && sip->sip_request && sip->sip_request->rq_method == sip_method_unknown) {
            const char* name = sip->sip_request->rq_method_name;
            if (!name || !*name)
                __builtin_trap();
            for (const char* c = name; *c; ++c) {
                if (static_cast<unsigned char>(*c) <= 0x20 || static_cast<unsigned char>(*c) >= 0x7f)
                    __builtin_trap();
            }
        }
        (void)sylk::sip::acceptsSdp(sip);
        (void)sylk::sip::contentTypeOf(sip);
        msg_destroy(msg);
    }
    std::string reason;
    if (int pt = sylk::sip::telephoneEventPt(input); pt < -1 || pt > 127)
        __builtin_trap();  // a payload type, or none
    if (auto audio = sylk::sip::chooseAudio(input, &reason)) {
        std::string answer = sylk::sip::buildAnswer("127.0.0.1", 40000, *audio, 1, 1);
        // Our own answer must read back as the same choice, telephone-event and its rate included
        // (RFC 3264 §6.1: the answer keeps the offer's payload types).
        auto again = sylk::sip::chooseAudio(answer, &reason);
        if (!again || again->codec != audio->codec || again->payloadType != audio->payloadType ||
            again->telephoneEventPt != audio->telephoneEventPt || again->telephoneEventRate != audio->telephoneEventRate)
            __builtin_trap();
    }
    auto msrp = sylk::sip::chooseMessage(input, &reason);
    if (msrp && input.size() <= 8 * 1024) {
        // An answer made of what was offered (as a relay would echo it) reads back the same,
        // the other stream lines rejected in their places. (Half the reader's limit: our
        // answer may be longer than an offer written with bare LFs.)
        sylk::sip::MsrpAnswer ours;
        ours.host = "127.0.0.1";
        ours.port = msrp->port;
        ours.secure = msrp->secure;
        ours.path = msrp->path;
        ours.setup = sylk::sip::msrpAnswerRole(msrp->setup);
        ours.acceptTypes = msrp->acceptTypes;
        ours.acceptWrappedTypes = msrp->acceptWrappedTypes;
        ours.fingerprint = msrp->fingerprint;
        ours.direction = sylk::sip::answerDirection(msrp->direction);
        ours.fileSelector = msrp->fileSelector;
        ours.fileTransferId = msrp->fileTransferId;
        sylk::sip::AnswerStreams streams;
        streams.offered = sylk::sip::mediaLines(input);
        streams.msrpIndex = msrp->index;
        streams.msrp = &ours;
        auto again = sylk::sip::chooseMessage(sylk::sip::buildStreamsAnswer("127.0.0.1", 1, 1, streams), &reason);
        if (!again || again->index != msrp->index || again->path != msrp->path || again->setup != ours.setup ||
            again->acceptTypes != msrp->acceptTypes || again->fileSelector != msrp->fileSelector)
            __builtin_trap();
        // Our answer moved to another MSRP path (a relay refresh's re-INVITE) reads back with it.
        std::string ourSdp = sylk::sip::buildStreamsAnswer("127.0.0.1", 1, 1, streams);
        std::vector<std::string> movedPath{std::string(msrp->secure ? "msrps" : "msrp") + "://relay.example:2855/moved;tcp"};
        auto moved = sylk::sip::withMessagePath(ourSdp, movedPath, 2);
        auto movedBack = moved ? sylk::sip::chooseMessage(*moved, &reason) : std::nullopt;
        if (!movedBack || movedBack->path != movedPath)
            __builtin_trap();
    }
    (void)sylk::sip::withMessagePath(input, {"msrp://relay.example:2855/moved;tcp"}, 2);  // any text: no crash
    checkEscaped(sylk::sip::xmlEscape(input));
    sylk::sip::ConferenceUser user;
    user.display = input;
    user.entity = input;
    user.media = {"audio", input};
    std::string xml = sylk::sip::conferenceInfoXml(input, input, 1, {user});
    if (xml.find("</conference-info>") == std::string::npos)
        __builtin_trap();
    if (auto notification = sylk::sip::parseImdnXml(input)) {
        // What we read, we write back readably (message ids are escaped on the way out).
        auto again = sylk::sip::parseImdnXml(sylk::sip::buildImdnXml(*notification));
        if (!again || again->status != notification->status)
            __builtin_trap();
    }
    if (auto state = sylk::sip::parseIsComposing(input)) {
        if (sylk::sip::parseIsComposing(sylk::sip::buildIsComposing(*state == "active")) != state)
            __builtin_trap();
    }
    if (auto cpim = sylk::cpim::parseCpim(input)) {
        (void)sylk::sip::imdnReply(*cpim, "delivered", "<sip:alice@example.com>");
        auto again = sylk::cpim::parseCpim(sylk::cpim::buildCpim(*cpim));
        if (!again || again->body != cpim->body || again->from != cpim->from ||
            again->headers.size() != cpim->headers.size())
            __builtin_trap();
    }
    return 0;
}
