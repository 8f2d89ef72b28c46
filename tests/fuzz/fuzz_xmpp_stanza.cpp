// Fuzz target for what the MUC service reads from the server's stream: bytes parsed by gloox's
// parser inside a component stream, each stanza read as the service reads it (header, presence,
// message, iq) and answered as it would be (an error reply, a presence, a message echo), so
// neither reading nor building an answer to any stanza can crash.
#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "plugins/xmpp/muc_stanzas.hpp"
#include "plugins/xmpp/stanza_reader.hpp"

using namespace sylk::xmpp;

namespace {

// What the server's parser makes of xml: the `to` of each stanza, or nothing if it is malformed.
class ToCollector : public gloox::TagHandler {
public:
    void handleTag(gloox::Tag* tag) override {
        if (tag && tag->name() != "stream")
            tos.push_back(tag->findAttribute("to"));
    }
    std::vector<std::string> tos;
};

std::vector<std::string> parsedTos(const std::string& xml) {
    ToCollector collector;
    gloox::Parser parser(&collector);
    std::string stream =
        "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>" + xml;
    if (parser.feed(stream) != -1)
        return {};
    return collector.tos;
}

class Reader : public gloox::TagHandler {
public:
    void handleTag(gloox::Tag* tag) override {
        if (!tag || tag->name() == "stream")
            return;
        StanzaHeader header = readHeader(*tag);
        if (header.from && Jid::parse(header.from->full()) != header.from)
            __builtin_trap();
        (void)readPresence(*tag);
        MessageRead message = readMessage(*tag);
        (void)readIq(*tag);
        (void)readAdmin(*tag);
        std::string reply = errorReply(*tag, "cancel", "service-unavailable", "fuzz")->xml();
        // The service answers only stanzas (gloox's parser can hand over an element without a
        // name, which it ignores); those always get a well-formed error.
        bool stanza = header.name == "presence" || header.name == "message" || header.name == "iq";
        if (stanza && reply.find("type='error'") == std::string::npos)
            __builtin_trap();
        RoomMessage echo;
        echo.from = header.to ? header.to->full() : "room@c/n";
        echo.to = header.from ? header.from->full() : "a@b/c";
        echo.id = header.id;
        echo.body = message.body.value_or("");
        echo.state = message.state;
        for (const auto& to : message.inviteTo)
            (void)invitationMessage(echo.from, to, echo.to, message.inviteReason)->xml();
        std::string addressed = roomMessage(echo)->xml();
        // The fan-out's spliced copy reads back as the stanza built with its `to`.
        RoomMessage fanout = echo;
        fanout.to.clear();
        std::string copy;
        appendAddressed(copy, unaddressedText(*roomMessage(fanout)), echo.to);
        if (parsedTos(copy) != parsedTos(addressed))
            __builtin_trap();
        // The multicast stanza of the same fan-out is one well-formed stanza to the service
        // (when the addressed copy is: both carry the same addresses, escaped the same way).
        std::string multicast;
        appendMulticast(multicast, unaddressedText(*roomMessage(fanout)), "localhost", {&echo.to, &echo.from});
        if (!parsedTos(addressed).empty() && parsedTos(multicast) != std::vector<std::string>{"localhost"})
            __builtin_trap();
        // and so is its recipients' list form (mod_sylk_multicast's)
        std::string listed;
        appendMulticast(listed, unaddressedText(*roomMessage(fanout)), "localhost", {&echo.to, &echo.from},
                        MulticastFormat::RecipientList);
        if (!parsedTos(addressed).empty() && parsedTos(listed) != std::vector<std::string>{"localhost"})
            __builtin_trap();
        (void)discoInfoHasFeature(*tag, header.type);
        (void)discoInfoResult(*tag, {{"conference", "text", header.id}}, {header.type})->xml();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    Reader reader;
    gloox::Parser parser(&reader);
    std::string stream =
        "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>" +
        std::string(reinterpret_cast<const char*>(data), size);
    (void)parser.feed(stream);
    return 0;
}
