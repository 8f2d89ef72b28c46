// Fuzz target for the conference MSRP switch's reading of what sessions send
// (plugins/msrp/chat_content): the bytes as a SEND body of each content type the room takes
// (CPIM around anything, bare text, is-composing), as a NICKNAME, and as an msrp.open_session
// request. What it accepts must survive our own writing: a message read from a CPIM document
// is written back by cpimDocument as CPIM that parses to the same content, and an image's
// base64 decodes to the bytes that came.
#include <cstddef>
#include <cstdint>
#include <string>

#include "plugins/msrp/chat_content.hpp"
#include "plugins/msrp/msrp_requests.hpp"
#include "plugins/msrp/nickname_registry.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/request_error.hpp"

using namespace sylk;
using namespace sylk::msrp_plugin;

namespace {

void check(bool condition) {
    if (!condition)
        __builtin_trap();
}

void readAs(const std::string& contentType, const std::string& body) {
    IncomingContext context{"sip:alice@example.com", "room@conference.example.com", 64 * 1024};
    int firstChunk = judgeFirstChunk(contentType, body, context);
    check(firstChunk == 200 || firstChunk == 403);
    IncomingChat chat = readIncoming(contentType, body, context);
    if (chat.kind == IncomingChat::Kind::Refused) {
        check(chat.status >= 400 && chat.status < 500 && !chat.reason.empty());
        return;
    }
    if (chat.kind != IncomingChat::Kind::Message)
        return;
    auto content = decodedBody(chat.text, chat.encoding);
    check(content.has_value());
    OutgoingCpim out;
    out.fromDisplay = "Alice";
    out.fromUri = "sip:alice@example.com";
    out.toUri = "sip:room@conference.example.com";
    out.dateTime = dateTimeOf(1'700'000'000'000);
    out.contentType = chat.contentType;
    out.body = *content;
    auto again = cpim::parseCpim(cpimDocument(out), nullptr, 1024 * 1024);
    // Our own document parses unless the content type smuggles a line break into the headers.
    if (chat.contentType.find_first_of("\r\n") == std::string::npos) {
        check(again.has_value());
        check(again->body == *content);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    readAs("message/cpim", input);
    readAs("text/plain", input);
    readAs("application/im-iscomposing+xml", input);
    (void)readIsComposing(input);
    (void)address::identity(input);
    (void)address::namesRoom(input, "room");
    if (NicknameRegistry::invalidReason(input).empty()) {
        NicknameRegistry registry;
        check(registry.claim("a", input));
        check(!registry.claim("b", input));
        check(registry.holder(input).value_or("") == "a");
    }
    Json request = Json::parse(input);
    if (request.get()) {
        try {
            RequestReader reader(request.get());
            OpenSessionRequest open = parseOpenSession(reader);
            // only a direct session may come without a remote path (we offered; msrp.set_remote)
            check(!open.room.empty() && !open.uri.empty() && (!open.remotePath.empty() || open.direct));
        } catch (const RequestError&) {
        }
        try {
            RequestReader reader(request.get());
            SetRemoteRequest remote = parseSetRemote(reader);
            check(!remote.session.empty() && !remote.remotePath.empty());
        } catch (const RequestError&) {
        }
    }
    return 0;
}
