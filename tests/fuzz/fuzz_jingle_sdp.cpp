// Fuzz target for Jingle <-> SDP (plugins/xmpp/jingle_sdp): the bytes are parsed by gloox's
// parser as a stream of stanzas; every <jingle> found (in an iq or alone) is read as the
// plugin reads a peer's request, an offer is written from each content that passes, and the
// same bytes are read as janus's SDP answer and as a candidate line. Checks: nothing crashes,
// and no SDP we write has a line break inside a line (no injected SDP lines).
#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "plugins/xmpp/jingle_sdp.hpp"

using namespace sylk::xmpp;

namespace {

void checkSdp(const std::string& sdp) {
    // every line ends with CRLF and holds no other CR or LF
    for (size_t i = 0; i < sdp.size(); ++i) {
        if (sdp[i] == '\r' && (i + 1 >= sdp.size() || sdp[i + 1] != '\n'))
            __builtin_trap();
        if (sdp[i] == '\n' && (i == 0 || sdp[i - 1] != '\r'))
            __builtin_trap();
    }
}

void readJingle(const gloox::Tag& jingle) {
    JingleRead read = JingleSdp::read(jingle);
    if (!read.error.empty())
        return;
    for (const auto& content : read.contents) {
        if (JingleSdp::offerProblem(content).empty())
            checkSdp(JingleSdp::offer(content, 1));
        for (const auto& candidate : content.candidates) {
            auto again = JingleSdp::parseCandidate(JingleSdp::candidateLine(candidate));
            if (!again || again->port != candidate.port || again->ip != candidate.ip)
                __builtin_trap();  // what we write for janus, we read back the same
        }
        (void)JingleSdp::contentTag(content, false)->xml();
    }
}

class Reader : public gloox::TagHandler {
public:
    void handleTag(gloox::Tag* tag) override {
        if (!tag || tag->name() == "stream")
            return;
        if (tag->name() == "jingle")
            readJingle(*tag);
        for (const gloox::Tag* child : tag->children())
            if (child->name() == "jingle")
                readJingle(*child);
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    Reader reader;
    gloox::Parser parser(&reader);
    std::string stream =
        "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>" + input;
    (void)parser.feed(stream);
    std::string error;
    if (auto content = JingleSdp::answer(input, "0", error)) {
        (void)JingleSdp::contentTag(*content, false)->xml();
        if (JingleSdp::offerProblem(*content).empty())
            checkSdp(JingleSdp::offer(*content, 2));
    }
    (void)JingleSdp::parseCandidate(input);
    return 0;
}
