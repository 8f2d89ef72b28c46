// The pure parts of SIP<->XMPP 1:1 chat (plugins/xmpp stox_*): address mapping both ways
// (RFC 7247 §3, XEP-0106 escapes), error mapping (RFC 7247 §8), and reading and writing chat
// stanzas with chat states, receipts and markers.
#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "plugins/xmpp/stox_address.hpp"
#include "plugins/xmpp/stox_errors.hpp"
#include "plugins/xmpp/stox_stanzas.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::xmpp;

namespace {

class Collector : public gloox::TagHandler {
public:
    void handleTag(gloox::Tag* tag) override {
        if (tag->name() != "stream")
            tags.emplace_back(tag->clone());
    }
    std::vector<std::unique_ptr<gloox::Tag>> tags;
};

std::unique_ptr<gloox::Tag> parse(const std::string& xml) {
    Collector collector;
    gloox::Parser parser(&collector);
    std::string data = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>" + xml;
    assert_int_equal(parser.feed(data), -1);
    assert_int_equal(collector.tags.size(), 1);
    return std::move(collector.tags.front());
}

void sip_addresses_are_read(void**) {
    auto plain = parseSipAddress("sip:bob@Example.ORG");
    assert_true(plain.has_value());
    assert_string_equal(plain->user.c_str(), "bob");
    assert_string_equal(plain->hostPort.c_str(), "example.org");
    auto full = parseSipAddress("\"Bob\" <sips:b%20ob:secret@127.0.0.1:5071;transport=tcp?subject=x>");
    assert_true(full.has_value());
    assert_string_equal(full->user.c_str(), "b ob");
    assert_string_equal(full->hostPort.c_str(), "127.0.0.1:5071");
    auto v6 = parseSipAddress("sip:carol@[::1]:5060");
    assert_true(v6.has_value());
    assert_string_equal(v6->hostPort.c_str(), "[::1]:5060");
    auto semicolon = parseSipAddress("sip:a;b@host;lr");  // ';' may be in a user part
    assert_true(semicolon.has_value());
    assert_string_equal(semicolon->user.c_str(), "a;b");
    for (const char* bad : {"", "bob@example.org", "tel:+123", "sip:example.org", "sip:@example.org", "sip:bob@",
                            "sip:bob@exa mple.org", "sip:bob@host:0", "sip:bob@host:70000", "sip:bob@host:5x",
                            "sip:b%zzob@host", "sip:b%0aob@host", "<sip:bob@host", "sip:bob@[zz]", "sip:bob@-host"})
        assert_false(parseSipAddress(bad).has_value());
}

void sip_users_map_into_the_component_domain_and_back(void**) {
    SipAddress bob{"bob", "127.0.0.1:5071"};
    std::string local = jidLocalOfSip(bob);
    assert_string_equal(local.c_str(), "bob\\40127.0.0.1\\3a5071");
    auto back = sipOfJidLocal(local);
    assert_true(back.has_value());
    assert_true(*back == bob);
    SipAddress odd{"o'neil & co/x\\y", "example.org"};
    std::string escaped = jidLocalOfSip(odd);
    assert_string_equal(escaped.c_str(), "o\\27neil\\20\\26\\20co\\2fx\\5cy\\40example.org");
    assert_true(*sipOfJidLocal(escaped) == odd);
    assert_true(Jid::parse(escaped + "@sip.localhost").has_value());
    assert_string_equal(sipUri(odd).c_str(), "sip:o'neil%20&%20co/x%5Cy@example.org");
    assert_true(*parseSipAddress(sipUri(odd)) == odd);
    assert_false(sipOfJidLocal("nobody").has_value());       // no '@': not a SIP address
    assert_false(sipOfJidLocal("bob\\40").has_value());      // no host
    assert_false(sipOfJidLocal("").has_value());
}

void xmpp_users_map_to_sip_and_back(void**) {
    auto alice = Jid::parse("alice@localhost/phone");
    auto sip = sipOfXmppUser(*alice);
    assert_true(sip.has_value());
    assert_string_equal(sipUri(*sip).c_str(), "sip:alice@localhost");
    auto jid = xmppUserOfSip(*parseSipAddress("sip:alice@LocalHost:5060"));
    assert_true(jid.has_value());
    assert_string_equal(jid->bare().c_str(), "alice@localhost");
    assert_false(xmppUserOfSip(*parseSipAddress("sip:no%20body@localhost")).has_value());
    assert_false(xmppUserOfSip(*parseSipAddress("sip:a%3ab@localhost")).has_value());
    assert_false(sipOfXmppUser(*Jid::parse("localhost")).has_value());
}

void errors_map_both_ways(void**) {
    assert_int_equal(sipStatusOfCondition("item-not-found"), 404);
    assert_int_equal(sipStatusOfCondition("service-unavailable"), 503);
    assert_int_equal(sipStatusOfCondition("recipient-unavailable"), 480);
    assert_int_equal(sipStatusOfCondition("remote-server-timeout"), 408);
    assert_int_equal(sipStatusOfCondition("no-such-condition"), 500);
    assert_string_equal(conditionOfSipStatus(404).condition, "item-not-found");
    assert_string_equal(conditionOfSipStatus(404).type, "cancel");
    assert_string_equal(conditionOfSipStatus(486).condition, "recipient-unavailable");
    assert_string_equal(conditionOfSipStatus(403).condition, "forbidden");
    assert_string_equal(conditionOfSipStatus(413).condition, "policy-violation");
    assert_string_equal(conditionOfSipStatus(302).condition, "redirect");
    assert_string_equal(conditionOfSipStatus(599).condition, "internal-server-error");
    assert_string_equal(conditionOfSipStatus(499).condition, "bad-request");
}

void chat_stanzas_are_read_and_written(void**) {
    auto message = parse("<message type='chat' to='bob\\40h@sip.localhost' from='alice@localhost/r' id='m1'>"
                         "<body>hi</body><request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/>"
                         "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    ChatRead read = readChat(*message);
    assert_string_equal(read.message.body->c_str(), "hi");
    assert_true(read.receiptRequest);
    assert_true(read.markable);
    assert_int_equal(static_cast<int>(read.message.state), static_cast<int>(ChatState::Composing));
    auto receipt = parse("<message to='x@sip.localhost' from='a@b'><received xmlns='urn:xmpp:receipts' id='r1'/>"
                         "<displayed xmlns='urn:xmpp:chat-markers:0' id='d1'/></message>");
    ChatRead notices = readChat(*receipt);
    assert_string_equal(notices.receivedId.c_str(), "r1");
    assert_string_equal(notices.displayedId.c_str(), "d1");
    auto bounce = parse("<message type='error' id='m1' from='a@b' to='x@sip.localhost'><error type='cancel'>"
                        "<service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                        "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>gone</text></error></message>");
    assert_string_equal(errorCondition(*bounce).c_str(), "service-unavailable");
    assert_string_equal(errorCondition(*message).c_str(), "");

    ChatMessage out;
    out.from = "bob\\40h@sip.localhost";
    out.to = "alice@localhost";
    out.id = "i1";
    out.body = "a < b & c";
    out.state = ChatState::Active;
    out.requestReceipt = true;
    std::string xml = chatMessage(out)->xml();
    assert_non_null(strstr(xml.c_str(), "<body>a &lt; b &amp; c</body>"));
    assert_non_null(strstr(xml.c_str(), "<request xmlns='urn:xmpp:receipts'/>"));
    assert_non_null(strstr(xml.c_str(), "<markable xmlns='urn:xmpp:chat-markers:0'/>"));
    assert_non_null(strstr(xml.c_str(), "<active xmlns='http://jabber.org/protocol/chatstates'/>"));
    ChatMessage marker;
    marker.from = out.from;
    marker.to = out.to;
    marker.displayedId = "d9";
    std::string markerXml = chatMessage(marker)->xml();
    assert_non_null(strstr(markerXml.c_str(), "<displayed xmlns='urn:xmpp:chat-markers:0' id='d9'/>"));
    assert_null(strstr(markerXml.c_str(), "<body"));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sip_addresses_are_read),
        cmocka_unit_test(sip_users_map_into_the_component_domain_and_back),
        cmocka_unit_test(xmpp_users_map_to_sip_and_back),
        cmocka_unit_test(errors_map_both_ways),
        cmocka_unit_test(chat_stanzas_are_read_and_written),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
