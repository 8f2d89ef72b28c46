// The pure parts of the xmpp plugin (plugins/xmpp): JIDs, room and nickname mapping, the
// occupants' unique nicknames, what is read from incoming stanzas and the stanzas the MUC
// service writes (presence, history with delay, errors, disco).
#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "plugins/xmpp/jid.hpp"
#include "plugins/xmpp/muc_naming.hpp"
#include "plugins/xmpp/muc_stanzas.hpp"
#include "plugins/xmpp/occupant_nicks.hpp"
#include "plugins/xmpp/stanza_reader.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::xmpp;

namespace {

// Stanzas as the server's stream delivers them: parsed by gloox's parser inside a stream.
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

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

static void jids_parse_as_rfc7622_says(void**) {
    auto full = Jid::parse("alice@Example.COM/phone/1@x");
    assert_true(full.has_value());
    assert_string_equal(full->local.c_str(), "alice");
    assert_string_equal(full->domain.c_str(), "example.com");  // domains compare without case
    assert_string_equal(full->resource.c_str(), "phone/1@x");  // the resource takes the rest
    assert_string_equal(full->bare().c_str(), "alice@example.com");
    assert_string_equal(full->full().c_str(), "alice@example.com/phone/1@x");
    auto domain = Jid::parse("conference.localhost.");
    assert_true(domain.has_value());
    assert_string_equal(domain->full().c_str(), "conference.localhost");
    assert_false(Jid::parse("").has_value());
    assert_false(Jid::parse("@example.com").has_value());
    assert_false(Jid::parse("alice@").has_value());
    assert_false(Jid::parse("a..").has_value());  // found by fuzz_xmpp_address: "a." wrote back as "a"
    assert_false(Jid::parse("a@.b").has_value());
    assert_false(Jid::parse("a@b..c").has_value());
    assert_false(Jid::parse("alice@example.com/").has_value());
    assert_false(Jid::parse("a'b@example.com").has_value());
    assert_false(Jid::parse("a:b@example.com").has_value());
    assert_false(Jid::parse("alice@exa mple.com").has_value());
    assert_false(Jid::parse("alice@example.com/a\nb").has_value());
    assert_false(Jid::parse("alice@example.com/\xff").has_value());
    assert_false(Jid::parse(std::string(1024, 'a') + "@example.com").has_value());
    assert_true(Jid::parse(std::string(1023, 'a') + "@example.com").has_value());
}

static void room_names_map_both_ways(void**) {
    assert_string_equal(roomFromLocal("team").value().c_str(), "team");
    assert_string_equal(roomFromLocal("1234").value().c_str(), "1234");
    // XEP-0106: a SIP-style room name reaches XMPP escaped
    assert_string_equal(roomFromLocal("team\\40example.com").value().c_str(), "team@example.com");
    assert_string_equal(localFromRoom("team@example.com").c_str(), "team\\40example.com");
    assert_string_equal(localFromRoom("a b/c:d").c_str(), "a\\20b\\2fc\\3ad");
    assert_string_equal(roomFromLocal(localFromRoom("a b/c:d\\x")).value().c_str(), "a b/c:d\\x");
    // only the ten escapes decode
    assert_string_equal(roomFromLocal("a\\41b").value().c_str(), "a\\41b");
    assert_string_equal(roomFromLocal("a\\4").value().c_str(), "a\\4");
    assert_false(roomFromLocal("").has_value());
    assert_false(roomFromLocal(std::string(257, 'r')).has_value());
    assert_string_equal(localFromRoom("").c_str(), "");
    assert_string_equal(localFromRoom("a\x01").c_str(), "");
}

static void nicknames_are_validated(void**) {
    assert_string_equal(nickInvalidReason("Ali").c_str(), "");
    assert_string_equal(nickInvalidReason("Zoë (phone)").c_str(), "");
    assert_true(contains(nickInvalidReason(""), "empty"));
    assert_true(contains(nickInvalidReason("   "), "white space"));
    assert_true(contains(nickInvalidReason("a\tb"), "control"));
    assert_true(contains(nickInvalidReason("\xc3"), "UTF-8"));
    assert_true(contains(nickInvalidReason(std::string(257, 'n')), "256"));
}

static void occupant_nicknames_are_unique(void**) {
    OccupantNicks nicks;
    assert_string_equal(nicks.assign("videoroom/1", "Alice").c_str(), "Alice");
    assert_string_equal(nicks.assign("sip/2", "Alice").c_str(), "Alice (2)");
    assert_string_equal(nicks.assign("msrp/3", "Alice").c_str(), "Alice (3)");
    assert_string_equal(nicks.assign("videoroom/1", "Renamed").c_str(), "Alice");  // known: kept
    assert_string_equal(nicks.assign("videoroom/4", "").c_str(), "videoroom/4");   // no display
    assert_string_equal(nicks.assign("videoroom/5", "a\nb").c_str(), "videoroom/5");
    // An XMPP user asks for an exact nickname; one held by any member is refused (409).
    assert_false(nicks.claim("xmpp/1", "Alice"));
    assert_false(nicks.claim("xmpp/1", "Alice (2)"));
    assert_true(nicks.claim("xmpp/1", "alice"));  // compared exactly, as JID resources
    assert_true(nicks.claim("xmpp/1", "alice"));  // one's own again
    assert_string_equal(nicks.memberOf("alice").value().c_str(), "xmpp/1");
    nicks.release("sip/2");
    assert_false(nicks.taken("Alice (2)"));
    assert_true(nicks.claim("xmpp/2", "Alice (2)"));
    assert_string_equal(nicks.assign("sip/6", "Alice").c_str(), "Alice (4)");
    // a display at the length limit is cut to make room for its number (found by fuzz_xmpp_address)
    std::string longest(256, 'x');
    assert_string_equal(nicks.assign("web/7", longest).c_str(), longest.c_str());
    std::string second = nicks.assign("web/8", longest);
    assert_int_equal(second.size(), 256);
    assert_string_equal(second.substr(252).c_str(), " (2)");
    std::string accents;
    for (int i = 0; i < 128; ++i)
        accents += "\xc3\xa9";  // 256 bytes of é
    assert_string_equal(nicks.assign("web/9", accents).c_str(), accents.c_str());
    std::string cut = nicks.assign("web/10", accents);
    assert_string_equal(nickInvalidReason(cut).c_str(), "");  // cut between characters, not inside one
    nicks.release("nobody");
    assert_int_equal(nicks.size(), 11);
    assert_string_equal(nicks.nickOf("nobody").c_str(), "");
    // the display a nickname was made from, to tell a renamed member (a web user's new display)
    assert_string_equal(nicks.displayOf("sip/6").c_str(), "Alice");
    assert_string_equal(nicks.displayOf("videoroom/5").c_str(), "a\nb");
    assert_string_equal(nicks.displayOf("xmpp/1").c_str(), "alice");  // an XMPP user's: its nick
    nicks.release("sip/6");
    assert_string_equal(nicks.displayOf("sip/6").c_str(), "");
}

static void stanzas_are_read(void**) {
    auto join = parse("<presence from='a@localhost/r' to='room@conference.localhost/Ali' id='j1'>"
                      "<x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='5'/></x></presence>");
    StanzaHeader header = readHeader(*join);
    assert_string_equal(header.name.c_str(), "presence");
    assert_string_equal(header.id.c_str(), "j1");
    assert_string_equal(header.from->full().c_str(), "a@localhost/r");
    assert_string_equal(header.to->resource.c_str(), "Ali");
    PresenceRead presence = readPresence(*join);
    assert_true(presence.mucJoin);
    assert_int_equal(presence.maxStanzas.value(), 5);
    assert_false(presence.badHistory);

    auto badHistory = parse("<presence to='r@c/n'><x xmlns='http://jabber.org/protocol/muc'>"
                            "<history maxstanzas='-1'/></x></presence>");
    assert_true(readPresence(*badHistory).badHistory);
    auto limits = parse("<presence to='r@c/n'><x xmlns='http://jabber.org/protocol/muc'>"
                        "<history maxchars='0' seconds='60'/></x></presence>");
    PresenceRead limited = readPresence(*limits);
    assert_int_equal(limited.maxChars.value(), 0);
    assert_int_equal(limited.seconds.value(), 60);
    assert_false(limited.maxStanzas.has_value());
    assert_false(limited.badHistory);
    auto plain = parse("<presence to='r@c/n' from='x@y/z'/>");
    assert_false(readPresence(*plain).mucJoin);

    auto badFrom = parse("<message from='@bad' to='room@c'/>");
    StanzaHeader bad = readHeader(*badFrom);
    assert_true(bad.fromPresent);
    assert_false(bad.from.has_value());

    auto message = parse("<message type='groupchat' to='room@c' from='a@b/c'><body>hi &amp; bye</body>"
                         "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
    MessageRead read = readMessage(*message);
    assert_string_equal(read.body.value().c_str(), "hi & bye");
    assert_int_equal(static_cast<int>(read.state), static_cast<int>(ChatState::Composing));
    assert_false(read.subject);
    auto state = parse("<message type='groupchat' to='room@c'><paused xmlns='http://jabber.org/protocol/chatstates'/>"
                       "<subject>x</subject></message>");
    MessageRead stateRead = readMessage(*state);
    assert_false(stateRead.body.has_value());
    assert_true(stateRead.subject);
    assert_int_equal(static_cast<int>(stateRead.state), static_cast<int>(ChatState::Paused));
    auto invite = parse("<message to='room@c'><x xmlns='http://jabber.org/protocol/muc#user'>"
                        "<invite to='b@localhost'/></x></message>");
    assert_true(readMessage(*invite).invite);

    auto disco = parse("<iq type='get' id='d1' to='c' from='a@b/c'>"
                       "<query xmlns='http://jabber.org/protocol/disco#info' node='n'/></iq>");
    IqRead iq = readIq(*disco);
    assert_int_equal(iq.payloads, 1);
    assert_string_equal(iq.payload.c_str(), "query");
    assert_string_equal(iq.xmlns.c_str(), "http://jabber.org/protocol/disco#info");
    assert_string_equal(iq.node.c_str(), "n");
    auto two = parse("<iq type='get'><a xmlns='x'/><b xmlns='y'/></iq>");
    assert_int_equal(readIq(*two).payloads, 2);

    assert_int_equal(readCount("20").value(), 20);
    assert_false(readCount("").has_value());
    assert_false(readCount("1e3").has_value());
    assert_false(readCount("9999999999").has_value());
}

static void presence_and_history_are_built(void**) {
    OccupantPresence self;
    self.from = "room@conference.localhost/Ali";
    self.to = "a@localhost/r";
    self.statusCodes = {110};
    std::string xml = occupantPresence(self)->xml();
    assert_true(contains(xml, "from='room@conference.localhost/Ali'"));
    assert_true(contains(xml, "<x xmlns='http://jabber.org/protocol/muc#user'>"));
    assert_true(contains(xml, "affiliation='none'"));
    assert_true(contains(xml, "role='participant'"));
    assert_true(contains(xml, "<status code='110'/>"));
    assert_false(contains(xml, "type="));
    self.available = false;
    std::string gone = occupantPresence(self)->xml();
    assert_true(contains(gone, "type='unavailable'"));
    assert_true(contains(gone, "role='none'"));

    RoomMessage message;
    message.from = "room@conference.localhost/Bob (2)";
    message.to = "a@localhost/r";
    message.id = "m1";
    message.body = "<hello> & 'bye'";
    std::string history = historyMessage(message, 1796421217123, "room@conference.localhost")->xml();
    assert_true(contains(history, "type='groupchat'"));
    assert_true(contains(history, "id='m1'"));
    assert_true(contains(history, "<body>&lt;hello&gt; &amp; &apos;bye&apos;</body>"));
    assert_true(contains(history, "<delay xmlns='urn:xmpp:delay' stamp='2026-12-04T21:53:37.123Z' "
                                  "from='room@conference.localhost'/>"));
    // parsed back, the body is what was sent
    auto back = parse(history);
    assert_string_equal(readMessage(*back).body.value().c_str(), "<hello> & 'bye'");

    message.type = "chat";
    message.body = "";
    message.state = ChatState::Composing;
    std::string composing = roomMessage(message)->xml();
    assert_false(contains(composing, "<body"));
    assert_true(contains(composing, "<composing xmlns='http://jabber.org/protocol/chatstates'/>"));
    assert_true(contains(composing, "<x xmlns='http://jabber.org/protocol/muc#user'/>"));

    std::string subject = subjectMessage("room@c", "a@b/c", "")->xml();
    assert_true(contains(subject, "<subject/>"));
    assert_string_equal(xmppTimestamp(0).c_str(), "1970-01-01T00:00:00.000Z");
}

// A room's fan-out: one serialisation, each copy addressed by splicing its escaped `to` in.
// Every copy must parse to the same stanza roomMessage builds for that recipient, whatever the
// nick, body, id and recipient JIDs hold (quotes, ampersands, angle brackets, non-ASCII).
static void fanout_copies_are_the_addressed_stanza(void**) {
    RoomMessage message;
    message.from = "r'o&om@conference.localhost/Bo\"b <&> 'x' \xc3\xa9";
    message.id = "id'&<1>";
    message.body = "<b>bold</b> & 'single' \"double\" ]]> \xe2\x82\xac";
    std::vector<std::string> recipients = {"a@b/c", "q'u&ote@localhost/re<s>\"", "\xc3\xa9l\xc3\xa8ve@localhost/\xe2\x82\xac"};

    std::string text = unaddressedText(*roomMessage(message));
    assert_false(contains(text, " to="));
    std::string copies;
    for (const auto& to : recipients)
        appendAddressed(copies, text, to);

    Collector collector;
    gloox::Parser parser(&collector);
    std::string data = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>" + copies;
    assert_int_equal(parser.feed(data), -1);
    assert_int_equal(collector.tags.size(), recipients.size());
    for (size_t i = 0; i < recipients.size(); ++i) {
        const gloox::Tag& copy = *collector.tags[i];
        RoomMessage addressed = message;
        addressed.to = recipients[i];
        auto expected = parse(roomMessage(addressed)->xml());
        assert_string_equal(copy.name().c_str(), "message");
        assert_string_equal(copy.findAttribute("to").c_str(), recipients[i].c_str());
        assert_string_equal(copy.findAttribute("from").c_str(), message.from.c_str());
        assert_string_equal(copy.findAttribute("id").c_str(), message.id.c_str());
        assert_string_equal(copy.findAttribute("type").c_str(), "groupchat");
        assert_string_equal(readMessage(copy).body.value().c_str(), message.body.c_str());
        // the same attributes and children as the stanza built for that recipient
        assert_int_equal(copy.attributes().size(), expected->attributes().size());
        assert_string_equal(copy.findAttribute("to").c_str(), expected->findAttribute("to").c_str());
        assert_int_equal(copy.children().size(), expected->children().size());
        assert_string_equal(copy.findChild("body")->xml().c_str(), expected->findChild("body")->xml().c_str());
    }

    // a chat state without body (the composing fan-out) splices the same way
    RoomMessage typing;
    typing.from = "room@c/n";
    typing.state = ChatState::Composing;
    std::string one;
    appendAddressed(one, unaddressedText(*roomMessage(typing)), "a@b/c");
    assert_true(contains(one, "<message to='a@b/c' type='groupchat' from='room@c/n'>"));
    // an addressed stanza, or text that is not a stanza, is refused rather than spliced wrongly
    RoomMessage addressed = message;
    addressed.to = "a@b/c";
    bool refused = false;
    try {
        (void)unaddressedText(*roomMessage(addressed));
    } catch (const std::logic_error&) {
        refused = true;
    }
    assert_true(refused);
    refused = false;
    try {
        appendAddressed(one, "message", "a@b/c");
    } catch (const std::logic_error&) {
        refused = true;
    }
    assert_true(refused);
}

static void multicast_stanza_lists_the_recipients_as_bcc(void**) {
    RoomMessage message;
    message.from = "r'o&om@conference.localhost/Bo\"b";
    message.id = "id'&<1>";
    message.body = "<b>bold</b> & ]]>";
    std::vector<std::string> recipients = {"a@b/c", "q'u&ote@localhost/re<s>\"", "\xc3\xa9l\xc3\xa8ve@localhost/x"};
    std::vector<const std::string*> pointers;
    for (const auto& to : recipients)
        pointers.push_back(&to);
    std::string text = unaddressedText(*roomMessage(message));
    std::string out;
    appendMulticast(out, text, "localhost", pointers);
    appendMulticast(out, text, "localhost", {pointers[0]});  // two stanzas in one buffer

    Collector collector;
    gloox::Parser parser(&collector);
    std::string data = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>" + out;
    assert_int_equal(parser.feed(data), -1);
    assert_int_equal(collector.tags.size(), 2);
    const gloox::Tag& stanza = *collector.tags[0];
    assert_string_equal(stanza.findAttribute("to").c_str(), "localhost");
    assert_string_equal(stanza.findAttribute("from").c_str(), message.from.c_str());
    assert_string_equal(stanza.findAttribute("id").c_str(), message.id.c_str());
    assert_string_equal(readMessage(stanza).body.value().c_str(), message.body.c_str());
    const gloox::Tag* addresses = stanza.findChild("addresses", "xmlns", "http://jabber.org/protocol/address");
    assert_non_null(addresses);
    assert_ptr_equal(stanza.children().back(), addresses);  // after the body: the payload is unchanged before it
    auto listed = addresses->findChildren("address");
    assert_int_equal(listed.size(), recipients.size());
    size_t i = 0;
    for (const gloox::Tag* address : listed) {
        assert_string_equal(address->findAttribute("type").c_str(), "bcc");
        assert_string_equal(address->findAttribute("jid").c_str(), recipients[i++].c_str());
    }
    assert_int_equal(collector.tags[1]->findChild("addresses")->children().size(), 1);

    // an element without children is opened to hold the addresses
    std::string empty;
    appendMulticast(empty, "<message type='groupchat' from='r@c/n'/>", "localhost", {pointers[0]});
    assert_string_equal(empty.c_str(), "<message to='localhost' type='groupchat' from='r@c/n'><addresses "
                                       "xmlns='http://jabber.org/protocol/address'><address type='bcc' jid='a@b/c'/>"
                                       "</addresses></message>");

    // mod_sylk_multicast's recipients' list: the JIDs escaped, one a line, in place of <addresses/>
    std::string listText;
    appendMulticast(listText, text, "localhost", pointers, MulticastFormat::RecipientList);
    Collector listCollector;
    gloox::Parser listParser(&listCollector);
    std::string listData = "<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams'>" + listText;
    assert_int_equal(listParser.feed(listData), -1);
    assert_int_equal(listCollector.tags.size(), 1);
    const gloox::Tag& list = *listCollector.tags[0];
    assert_string_equal(list.findAttribute("to").c_str(), "localhost");
    assert_string_equal(readMessage(list).body.value().c_str(), message.body.c_str());
    assert_null(list.findChild("addresses"));
    const gloox::Tag* recipientList = list.findChild("recipients", "xmlns", "urn:sylk:multicast:0");
    assert_non_null(recipientList);
    assert_ptr_equal(list.children().back(), recipientList);
    assert_string_equal(recipientList->cdata().c_str(), (recipients[0] + "\n" + recipients[1] + "\n" + recipients[2]).c_str());
    std::string emptyList;
    appendMulticast(emptyList, "<message type='groupchat' from='r@c/n'/>", "localhost", pointers, MulticastFormat::RecipientList);
    assert_string_equal(emptyList.c_str(), "<message to='localhost' type='groupchat' from='r@c/n'><recipients "
                                           "xmlns='urn:sylk:multicast:0'>a@b/c\nq&apos;u&amp;ote@localhost/re&lt;s&gt;&quot;\n"
                                           "\xc3\xa9l\xc3\xa8ve@localhost/x</recipients></message>");

    // the server's disco#info answer: the feature is found only in its query
    auto offered = parse("<iq type='result' id='q' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'>"
                         "<identity category='server' type='im'/><feature var='http://jabber.org/protocol/address'/>"
                         "</query></iq>");
    assert_true(discoInfoHasFeature(*offered, "http://jabber.org/protocol/address"));
    auto other = parse("<iq type='result' id='q' from='localhost'><query xmlns='http://jabber.org/protocol/disco#info'>"
                       "<feature var='urn:xmpp:ping'/></query><feature var='http://jabber.org/protocol/address'/></iq>");
    assert_false(discoInfoHasFeature(*other, "http://jabber.org/protocol/address"));
    auto items = parse("<iq type='result' id='q' from='localhost'><query xmlns='http://jabber.org/protocol/disco#items'>"
                       "<feature var='http://jabber.org/protocol/address'/></query></iq>");
    assert_false(discoInfoHasFeature(*items, "http://jabber.org/protocol/address"));
}

static void kicks_and_nickname_changes_are_read_and_built(void**) {
    auto kick = parse("<iq type='set' id='k1' to='room@c' from='a@b/c'><query xmlns='http://jabber.org/protocol/muc#admin'>"
                      "<item nick='Bob' role='none'><reason>spam &amp; eggs</reason></item></query></iq>");
    AdminRead read = readAdmin(*kick);
    assert_int_equal(read.items, 1);
    assert_string_equal(read.nick.c_str(), "Bob");
    assert_string_equal(read.role.c_str(), "none");
    assert_true(read.affiliation.empty());
    assert_string_equal(read.reason.c_str(), "spam & eggs");
    auto two = parse("<iq type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>"
                     "<item nick='A' role='none'/><item nick='B' role='none'/></query></iq>");
    assert_int_equal(readAdmin(*two).items, 2);
    assert_string_equal(readAdmin(*two).nick.c_str(), "A");
    auto ban = parse("<iq type='set'><query xmlns='http://jabber.org/protocol/muc#admin'>"
                     "<item affiliation='outcast' jid='x@y'/></query></iq>");
    assert_string_equal(readAdmin(*ban).affiliation.c_str(), "outcast");
    auto other = parse("<iq type='set'><query xmlns='urn:other'><item nick='A' role='none'/></query></iq>");
    assert_int_equal(readAdmin(*other).items, 0);

    auto invite = parse("<message to='room@c' from='a@b/c'><x xmlns='http://jabber.org/protocol/muc#user'>"
                        "<invite to='d@b'><reason>come</reason></invite><invite to='e@b'/></x></message>");
    MessageRead message = readMessage(*invite);
    assert_true(message.invite);
    assert_int_equal(message.inviteTo.size(), 2);
    assert_string_equal(message.inviteTo[1].c_str(), "e@b");
    assert_string_equal(message.inviteReason.c_str(), "come");
    std::string invitation = invitationMessage("room@c", "d@b", "a@b", "come & see")->xml();
    assert_true(contains(invitation, "from='room@c' to='d@b'"));
    assert_true(contains(invitation, "<x xmlns='http://jabber.org/protocol/muc#user'><invite from='a@b'>"
                                     "<reason>come &amp; see</reason></invite></x>"));

    OccupantPresence kicked;
    kicked.from = "room@c/Bob";
    kicked.to = "b@localhost/r";
    kicked.available = false;
    kicked.statusCodes = {110, 307};
    kicked.actorNick = "Ali";
    kicked.reason = "spam";
    std::string xml = occupantPresence(kicked)->xml();
    assert_true(contains(xml, "role='none'"));
    assert_true(contains(xml, "<actor nick='Ali'/><reason>spam</reason></item>"));
    assert_true(contains(xml, "<status code='110'/><status code='307'/>"));
    OccupantPresence renamed;
    renamed.from = "room@c/Bob";
    renamed.to = "a@localhost/r";
    renamed.available = false;
    renamed.role = "moderator";
    renamed.newNick = "Robert";
    renamed.statusCodes = {303};
    xml = occupantPresence(renamed)->xml();
    assert_true(contains(xml, "type='unavailable'"));
    assert_true(contains(xml, "role='moderator'"));  // the occupant stays: its role too
    assert_true(contains(xml, "nick='Robert'"));
    assert_true(contains(xml, "<status code='303'/>"));
}

static void errors_and_disco_answers_are_built(void**) {
    auto join = parse("<presence from='a@localhost/r' to='room@conference.localhost/Ali' id='j1'>"
                      "<x xmlns='http://jabber.org/protocol/muc'/></presence>");
    std::string conflict = errorReply(*join, "cancel", "conflict", "in use")->xml();
    assert_true(contains(conflict, "type='error'"));
    assert_true(contains(conflict, "from='room@conference.localhost/Ali'"));
    assert_true(contains(conflict, "to='a@localhost/r'"));
    assert_true(contains(conflict, "id='j1'"));
    assert_true(contains(conflict, "<x xmlns='http://jabber.org/protocol/muc'/>"));
    assert_true(contains(conflict, "<error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"
                                   "<text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>in use</text></error>"));
    auto disco = parse("<iq type='get' id='d1' to='conference.localhost' from='a@b/c'>"
                       "<query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
    std::string info = discoInfoResult(*disco, {{"conference", "text", "Rooms"}},
                                       {"http://jabber.org/protocol/muc"})->xml();
    assert_true(contains(info, "type='result'"));
    assert_true(contains(info, "<identity category='conference' type='text' name='Rooms'/>"));
    assert_true(contains(info, "<feature var='http://jabber.org/protocol/muc'/>"));
    std::string items = discoItemsResult(*disco, {{"team\\40x@conference.localhost", "team@x"}})->xml();
    assert_true(contains(items, "<item jid='team\\40x@conference.localhost' name='team@x'/>"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jids_parse_as_rfc7622_says),
        cmocka_unit_test(room_names_map_both_ways),
        cmocka_unit_test(nicknames_are_validated),
        cmocka_unit_test(occupant_nicknames_are_unique),
        cmocka_unit_test(stanzas_are_read),
        cmocka_unit_test(presence_and_history_are_built),
        cmocka_unit_test(fanout_copies_are_the_addressed_stanza),
        cmocka_unit_test(multicast_stanza_lists_the_recipients_as_bcc),
        cmocka_unit_test(kicks_and_nickname_changes_are_read_and_built),
        cmocka_unit_test(errors_and_disco_answers_are_built),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
