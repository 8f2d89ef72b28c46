// The pure parts of the conference MSRP switch (plugins/msrp): the nickname registry, what an
// incoming SEND is (CPIM, forging, private recipients, types, is-composing), the documents the
// switch writes, and the hub service requests.
#include <string>

#include "plugins/msrp/chat_content.hpp"
#include "plugins/msrp/msrp_requests.hpp"
#include "plugins/msrp/nickname_registry.hpp"
#include "sylkcore/cpim/cpim.hpp"
#include "sylkcore/json.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"
#include "request_errors.hpp"

using namespace sylk;
using namespace sylk::msrp_plugin;

namespace {

const IncomingContext kAlice{"sip:alice@example.com", "room@conference.example.com", 64 * 1024};

std::string cpimFrom(const std::string& from, const std::vector<std::string>& to, const std::string& type,
                     const std::string& body) {
    std::string text = "From: " + from + "\r\n";
    for (const auto& recipient : to)
        text += "To: " + recipient + "\r\n";
    text += "DateTime: 2026-12-04T18:00:00Z\r\n\r\nContent-Type: " + type + "\r\n\r\n" + body;
    return text;
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

}  // namespace

static void nicknames_are_unique_without_regard_to_case(void**) {
    NicknameRegistry registry;
    assert_true(registry.claim("msrp/1", "Ali"));
    assert_false(registry.claim("msrp/2", "ALI"));      // 425
    assert_false(registry.claim("msrp/2", "ali"));
    assert_true(registry.claim("msrp/1", "ali"));       // one's own, in another case
    assert_string_equal(registry.of("msrp/1").c_str(), "ali");
    assert_true(registry.claim("msrp/2", "Ça va"));
    assert_false(registry.claim("msrp/3", "ça VA"));    // Unicode case folding
    assert_true(registry.claim("msrp/1", "Bob"));       // a new nickname frees the old one
    assert_true(registry.claim("msrp/3", "Ali"));
    assert_string_equal(registry.holder("ALI").value().c_str(), "msrp/3");
    registry.forget("msrp/3");
    assert_false(registry.holder("ali").has_value());
    // Another plugin's announcement wins: the hub said so.
    registry.record("videoroom/9", "bob");
    assert_string_equal(registry.holder("Bob").value().c_str(), "videoroom/9");
    assert_string_equal(registry.of("msrp/1").c_str(), "");
    assert_int_equal(registry.size(), 2);
}

static void nicknames_must_be_printable_utf8(void**) {
    assert_string_equal(NicknameRegistry::invalidReason("Ali").c_str(), "");
    assert_true(contains(NicknameRegistry::invalidReason(""), "empty"));
    assert_true(contains(NicknameRegistry::invalidReason(std::string(300, 'a')), "longer"));
    assert_true(contains(NicknameRegistry::invalidReason("a\nb"), "control"));
    assert_true(contains(NicknameRegistry::invalidReason("\xff\xfe"), "UTF-8"));
}

static void a_cpim_message_to_the_room_is_public(void**) {
    std::string body = cpimFrom("Alice <sip:alice@example.com>", {"<sip:room@conference.example.com>"},
                                "text/plain;charset=utf-8", "hello all");
    IncomingChat chat = readIncoming("message/cpim", body, kAlice);
    assert_int_equal(static_cast<int>(chat.kind), static_cast<int>(IncomingChat::Kind::Message));
    assert_string_equal(chat.text.c_str(), "hello all");
    assert_string_equal(chat.contentType.c_str(), "text/plain;charset=utf-8");
    assert_string_equal(chat.recipient.c_str(), "");
    assert_string_equal(chat.dateTime.c_str(), "2026-12-04T18:00:00Z");
    // Two recipients: not private either (RFC 7701: exactly one).
    chat = readIncoming("message/cpim",
                        cpimFrom("<sip:alice@example.com>", {"<sip:bob@example.com>", "<sip:carol@example.com>"},
                                 "text/plain", "x"),
                        kAlice);
    assert_string_equal(chat.recipient.c_str(), "");
    // A bare text/plain SEND is a public message too.
    chat = readIncoming("text/plain", "plain hello", kAlice);
    assert_int_equal(static_cast<int>(chat.kind), static_cast<int>(IncomingChat::Kind::Message));
    assert_string_equal(chat.text.c_str(), "plain hello");
}

static void one_recipient_that_is_not_the_room_is_private(void**) {
    IncomingChat chat = readIncoming(
        "message/cpim", cpimFrom("<sip:alice@example.com>", {"Bob <sip:bob@example.com>"}, "text/plain", "psst"), kAlice);
    assert_string_equal(chat.recipient.c_str(), "sip:bob@example.com");
    // The room named by its user part only, with parameters: still the room.
    IncomingContext shortRoom{"sip:alice@example.com", "myroom", 0};
    chat = readIncoming("message/cpim",
                        cpimFrom("<sip:alice@example.com>", {"<sip:MyRoom@conference.example.com;transport=tcp>"},
                                 "text/plain", "hi"),
                        shortRoom);
    assert_string_equal(chat.recipient.c_str(), "");
}

static void a_forged_sender_is_refused_with_403(void**) {
    IncomingChat chat = readIncoming(
        "message/cpim", cpimFrom("Mallory <sip:bob@example.com>", {"<sip:room@conference.example.com>"}, "text/plain", "x"),
        kAlice);
    assert_int_equal(static_cast<int>(chat.kind), static_cast<int>(IncomingChat::Kind::Refused));
    assert_int_equal(chat.status, 403);
    // The same identity written differently is not forged: scheme, case, parameters.
    chat = readIncoming("message/cpim",
                        cpimFrom("\"A\" <SIP:Alice@Example.COM;gr=x>", {"<sip:room@conference.example.com>"},
                                 "text/plain", "x"),
                        kAlice);
    assert_int_equal(static_cast<int>(chat.kind), static_cast<int>(IncomingChat::Kind::Message));
}

// A message in several chunks: its CPIM sender is judged on the first chunk once the CPIM
// headers are whole in it; a chunk that ends inside them cannot tell (200).
static void a_forged_sender_is_refused_on_the_first_chunk(void**) {
    std::string forged = cpimFrom("Mallory <sip:bob@example.com>", {"<sip:room@conference.example.com>"}, "text/plain",
                                  std::string(5000, 'x'));
    std::string genuine = cpimFrom("\"A\" <SIP:Alice@Example.COM;gr=x>", {"<sip:room@conference.example.com>"},
                                   "text/plain", std::string(5000, 'x'));
    assert_int_equal(judgeFirstChunk("message/cpim", forged.substr(0, 2048), kAlice), 403);
    assert_int_equal(judgeFirstChunk("Message/CPIM; x=y", forged.substr(0, 2048), kAlice), 403);
    assert_int_equal(judgeFirstChunk("message/cpim", genuine.substr(0, 2048), kAlice), 200);
    assert_int_equal(judgeFirstChunk("message/cpim", forged.substr(0, 16), kAlice), 200);
    assert_int_equal(judgeFirstChunk("text/plain", "From: <sip:bob@example.com>\r\n\r\n", kAlice), 200);
    // No From at all: the session's identity stands (readIncoming's rule too).
    assert_int_equal(judgeFirstChunk("message/cpim", "To: <sip:room@x>\r\n\r\nContent-Type: text/plain\r\n", kAlice), 200);
}

static void only_text_and_images_are_taken(void**) {
    IncomingChat chat = readIncoming(
        "message/cpim", cpimFrom("<sip:alice@example.com>", {}, "application/octet-stream", "\x01\x02"), kAlice);
    assert_int_equal(chat.status, 415);
    assert_true(contains(chat.reason, "application/octet-stream"));
    assert_int_equal(readIncoming("application/octet-stream", "x", kAlice).status, 415);
    std::string png("\x89PNG\r\n\x1a\n\0\0binary", 16);
    chat = readIncoming("message/cpim", cpimFrom("<sip:alice@example.com>", {}, "image/png", png), kAlice);
    assert_int_equal(static_cast<int>(chat.kind), static_cast<int>(IncomingChat::Kind::Message));
    assert_string_equal(chat.encoding.c_str(), "base64");
    assert_true(decodedBody(chat.text, chat.encoding).value() == png);
    assert_int_equal(readIncoming("text/plain", "\xff\xfe", kAlice).status, 400);   // not UTF-8
    assert_int_equal(readIncoming("message/cpim", "garbage", kAlice).status, 400);  // not CPIM
    IncomingContext tiny{"sip:alice@example.com", "room", 8};
    assert_int_equal(readIncoming("text/plain", "more than eight", tiny).status, 413);
}

static void is_composing_is_read_and_written(void**) {
    std::string xml = isComposingXml(true);
    assert_true(readIsComposing(xml).value());
    assert_false(readIsComposing(isComposingXml(false)).value());
    assert_true(contains(xml, "urn:ietf:params:xml:ns:im-iscomposing"));
    // RFC 3994's own example, with a prefix.
    assert_false(readIsComposing("<?xml version=\"1.0\"?><ic:isComposing xmlns:ic=\"urn:ietf:params:xml:ns:im-iscomposing\">"
                                 "<ic:state>idle</ic:state><ic:lastactive>2003-01-27T10:43:00Z</ic:lastactive>"
                                 "</ic:isComposing>")
                     .value());
    assert_false(readIsComposing("<isComposing><state>typing</state></isComposing>").has_value());
    assert_false(readIsComposing("<html/>").has_value());
    IncomingChat chat = readIncoming(
        "message/cpim", cpimFrom("<sip:alice@example.com>", {}, "application/im-iscomposing+xml", xml), kAlice);
    assert_int_equal(static_cast<int>(chat.kind), static_cast<int>(IncomingChat::Kind::Composing));
    assert_true(chat.active);
}

static void documents_the_switch_writes(void**) {
    OutgoingCpim notice;
    notice.fromUri = "sip:room@conference.example.com";
    notice.toUri = "sip:alice@example.com";
    notice.dateTime = dateTimeOf(1'764'871'200'123);
    notice.body = "Alice has joined the room";
    notice.status = true;
    std::string text = cpimDocument(notice);
    auto read = cpim::parseCpim(text);
    assert_true(read.has_value());
    assert_string_equal(read->dateTime.c_str(), "2025-12-04T18:00:00.123Z");
    assert_string_equal(read->header("NS").c_str(), "agp <urn:ag-projects:xml:ns:cpim>");
    assert_string_equal(read->header("agp.Message-Type").c_str(), "status");
    assert_string_equal(cpim::addressUri(read->to).c_str(), "sip:alice@example.com");
    assert_string_equal(address::memberUri("janus.plugin.sylk.videoroom/42").c_str(), "urn:sylk:janus.plugin.sylk.videoroom:42");
    assert_false(decodedBody("not base64!", "base64").has_value());
    assert_false(decodedBody("abc", "rot13").has_value());
}

static void open_session_requests_are_validated(void**) {
    Json body = Json::parse(R"({"room": "r@x", "uri": "sip:a@x", "display": "A", "role": "passive",
        "remote": {"path": ["msrp://10.0.0.1:2855/abc;tcp"], "accept_types": ["message/cpim"]},
        "newer_field": 1})");
    RequestReader reader(body.get());
    OpenSessionRequest request = parseOpenSession(reader);
    assert_string_equal(request.room.c_str(), "r@x");
    assert_false(request.active);
    assert_int_equal(request.remotePath.size(), 1);
    assert_false(request.file.has_value());
    auto refusal = [](const char* json) {
        Json bad = Json::parse(json);
        return errorOf([&] {
            RequestReader badReader(bad.get());
            parseOpenSession(badReader);
        });
    };
    assert_int_equal(refusal(R"({"uri": "sip:a@x", "remote": {"path": ["msrp://h:1/s;tcp"]}})"), 1002);
    assert_int_equal(refusal(R"({"room": "r", "uri": "sip:a@x", "remote": {"path": []}})"), 1003);
    assert_int_equal(refusal(R"({"room": "r", "uri": "sip:a@x", "remote": {"path": [7]}})"), 1003);
    assert_int_equal(refusal(R"({"room": "r", "uri": "sip:a@x", "role": "both", "remote": {"path": ["m"]}})"), 1003);
    assert_int_equal(refusal(R"({"room": "r", "uri": "sip:a@x"})"), 1002);
    assert_int_equal(refusal(R"({"room": "r", "uri": "sip:a@x", "remote": {"path": ["m"]},
        "file": {"selector": "name:\"a\"", "direction": "inactive"}})"), 1003);
    Json file = Json::parse(R"({"room": "r", "uri": "sip:a@x", "remote": {"path": ["m"]},
        "file": {"selector": "name:\"a.png\" type:image/png size:3", "transfer_id": "t1", "direction": "sendonly"}})");
    RequestReader fileReader(file.get());
    assert_string_equal(parseOpenSession(fileReader).file->transferId.c_str(), "t1");
    Json close = Json::parse(R"({"session": ""})");
    assert_int_equal(errorOf([&] {
                         RequestReader closeReader(close.get());
                         parseCloseSession(closeReader);
                     }),
                     1003);
}

static void open_session_mode_is_conference_or_direct(void**) {
    auto parse = [](const char* json) {
        Json body = Json::parse(json);
        RequestReader reader(body.get());
        return parseOpenSession(reader);
    };
    assert_false(parse(R"({"room": "r", "uri": "sip:a@x", "remote": {"path": ["m"]}})").direct);
    assert_false(parse(R"({"room": "r", "uri": "sip:a@x", "mode": "conference", "remote": {"path": ["m"]}})").direct);
    assert_true(parse(R"({"room": "direct/u/c", "uri": "sip:a@x", "mode": "direct", "remote": {"path": ["m"]}})").direct);
    assert_int_equal(errorOf([&] { parse(R"({"room": "r", "uri": "sip:a@x", "mode": "1:1", "remote": {"path": ["m"]}})"); }),
                     1003);
    assert_int_equal(errorOf([&] { parse(R"({"room": "r", "uri": "sip:a@x", "mode": 1, "remote": {"path": ["m"]}})"); }),
                     1003);
    // We offer: a direct session may come without "remote" (msrp.set_remote gives it later),
    // a conference session may not.
    assert_true(parse(R"({"room": "direct/u/c", "uri": "sip:a@x", "mode": "direct", "role": "passive"})").remotePath.empty());
    assert_int_equal(errorOf([&] { parse(R"({"room": "r", "uri": "sip:a@x"})"); }), 1002);
    // A web user's file offered to a SIP client: direct, no remote yet, and its "file" kept.
    OpenSessionRequest offered = parse(R"({"room": "direct/u/files", "uri": "sip:a@x", "mode": "direct",
        "role": "passive", "file": {"selector": "name:\"a\" size:1", "direction": "recvonly"}})");
    assert_true(offered.direct && offered.remotePath.empty() && offered.file.has_value());
    assert_string_equal(offered.file->direction.c_str(), "recvonly");
    assert_int_equal(errorOf([&] { parse(R"({"room": "direct/u/f", "uri": "sip:a@x", "mode": "direct",
        "file": {"selector": "size:1", "direction": "both"}})"); }), 1003);
    auto setRemote = [](const char* json) {
        Json body = Json::parse(json);
        RequestReader reader(body.get());
        return parseSetRemote(reader);
    };
    SetRemoteRequest remote = setRemote(R"({"session": "s1", "role": "passive", "remote": {"path": ["msrp://h:1/x;tcp"]}})");
    assert_string_equal(remote.session.c_str(), "s1");
    assert_false(remote.active);
    assert_int_equal(remote.remotePath.size(), 1);
    assert_int_equal(errorOf([&] { setRemote(R"({"session": "s1"})"); }), 1002);
    assert_int_equal(errorOf([&] { setRemote(R"({"session": "", "remote": {"path": ["m"]}})"); }), 1003);
    assert_int_equal(errorOf([&] { setRemote(R"({"session": "s1", "role": "x", "remote": {"path": ["m"]}})"); }), 1003);
    assert_int_equal(errorOf([&] { setRemote(R"({"session": "s1", "remote": {"path": []}})"); }), 1003);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nicknames_are_unique_without_regard_to_case),
        cmocka_unit_test(nicknames_must_be_printable_utf8),
        cmocka_unit_test(a_cpim_message_to_the_room_is_public),
        cmocka_unit_test(one_recipient_that_is_not_the_room_is_private),
        cmocka_unit_test(a_forged_sender_is_refused_with_403),
        cmocka_unit_test(a_forged_sender_is_refused_on_the_first_chunk),
        cmocka_unit_test(only_text_and_images_are_taken),
        cmocka_unit_test(is_composing_is_read_and_written),
        cmocka_unit_test(documents_the_switch_writes),
        cmocka_unit_test(open_session_requests_are_validated),
        cmocka_unit_test(open_session_mode_is_conference_or_direct),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
