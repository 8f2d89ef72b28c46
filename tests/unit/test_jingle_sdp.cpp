// Jingle <-> SDP (plugins/xmpp/jingle_sdp): the examples of XEP-0167 (§3 session-initiate),
// XEP-0176 (candidates, rel-addr) and XEP-0320 (the DTLS fingerprint) become the SDP offer the
// audio mixer takes; an answer as janus writes it becomes session-accept's content; trickled
// candidates cross both ways; malformed input is refused with a reason, never written on.
#include <gloox/parser.h>
#include <gloox/tag.h>
#include <gloox/taghandler.h>

#include <memory>
#include <string>
#include <vector>

#include "plugins/xmpp/jingle_sdp.hpp"
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

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

const char kFingerprint[] =
    "02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2";

// XEP-0167 Example 1 (speex dropped for opus, as our peers offer), with XEP-0176's candidates
// and XEP-0320's fingerprint, as the jingle element of the iq.
std::string initiate(const std::string& transportExtra = "", const std::string& ufrag = "8hhy",
                     const std::string& media = "audio") {
    return "<iq type='set' from='romeo@montague.lit/orchard' to='room@conference.localhost' id='jingle1'>"
           "<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' initiator='romeo@montague.lit/orchard' "
           "sid='a73sjjvkla37jfea'><content creator='initiator' name='voice'>"
           "<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='" + media + "'>"
           "<payload-type id='111' name='opus' clockrate='48000' channels='2'>"
           "<parameter name='minptime' value='10'/><parameter name='useinbandfec' value='1'/>"
           "<rtcp-fb xmlns='urn:xmpp:jingle:apps:rtp:rtcp-fb:0' type='transport-cc'/></payload-type>"
           "<payload-type id='63' name='red' clockrate='48000' channels='2'><parameter name='111/111'/></payload-type>"
           "<payload-type id='18' name='G729'/><payload-type id='0' name='PCMU'/>"
           "<rtp-hdrext xmlns='urn:xmpp:jingle:apps:rtp:rtp-hdrext:0' id='1' "
           "uri='urn:ietf:params:rtp-hdrext:ssrc-audio-level'/>"
           "<source xmlns='urn:xmpp:jingle:apps:rtp:ssma:0' ssrc='1656081975'>"
           "<parameter name='cname' value='Yv/wvbCdsDW2Prgd'/></source>"
           "<rtcp-mux/></description>"
           "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' pwd='asd88fgpdd777uzjYhagZg' ufrag='" + ufrag + "'>"
           "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>" +
           std::string(kFingerprint) + "</fingerprint>"
           "<candidate component='1' foundation='1' generation='0' id='el0747fg11' ip='10.0.1.1' network='1' "
           "port='8998' priority='2130706431' protocol='udp' type='host'/>"
           "<candidate component='1' foundation='2' generation='0' id='y3s2b30v3r' ip='192.0.2.3' network='1' "
           "port='45664' priority='1694498815' protocol='udp' rel-addr='10.0.1.1' rel-port='8998' type='srflx'/>" +
           transportExtra + "</transport></content></jingle></iq>";
}

JingleRead readInitiate(const std::string& xml) {
    auto iq = parse(xml);
    const gloox::Tag* jingle = iq->findChild("jingle");
    assert_non_null(jingle);
    return JingleSdp::read(*jingle);
}

// What janus answers for the offer above (the mixer keeps opus), trimmed from a real one.
const char kJanusAnswer[] =
    "v=0\r\no=- 1733350000 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE voice\r\n"
    "a=ice-options:trickle\r\n"
    "a=fingerprint:sha-256 D2:B9:31:8F:DF:24:D8:0E:ED:D2:EF:25:9E:AF:6F:B8:34:AE:53:9C:E6:F3:8F:F2:64:15:FA:E8:7F:53:2D:38\r\n"
    "a=extmap-allow-mixed\r\na=msid-semantic: WMS janus\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 127.0.0.1\r\na=sendrecv\r\na=mid:voice\r\n"
    "a=rtcp-mux\r\na=ice-ufrag:Ab3X\r\na=ice-pwd:kL5mNoPqRsTuVwXyZ01234567\r\na=ice-options:trickle\r\n"
    "a=setup:active\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
    "a=rtcp-fb:111 transport-cc\r\na=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"
    "a=msid:janus janusa0\r\na=ssrc:3735928559 cname:janus\r\na=ssrc:3735928559 msid:janus janusa0\r\n"
    "a=candidate:1 1 udp 2015363327 10.200.0.1 40404 typ host\r\n"
    "a=candidate:2 1 tcp 1015021823 10.200.0.1 9 typ host tcptype active\r\n"
    "a=end-of-candidates\r\n";

}  // namespace

static void xep0167_initiate_becomes_an_sdp_offer(void**) {
    JingleRead read = readInitiate(initiate());
    assert_string_equal(read.error.c_str(), "");
    assert_string_equal(read.action.c_str(), "session-initiate");
    assert_string_equal(read.sid.c_str(), "a73sjjvkla37jfea");
    assert_int_equal(read.contents.size(), 1);
    const JingleContent& content = read.contents[0];
    assert_string_equal(JingleSdp::offerProblem(content).c_str(), "");
    assert_int_equal(content.payloads.size(), 4);
    assert_int_equal(content.candidates.size(), 2);
    std::string sdp = JingleSdp::offer(content, 42);
    assert_true(contains(sdp, "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 18 0\r\n"));
    assert_true(contains(sdp, "a=fmtp:63 111/111\r\n"));  // a bare fmtp value (StanzaJS sends RED so)
    assert_true(contains(sdp, "a=group:BUNDLE voice\r\n"));
    assert_true(contains(sdp, "a=mid:voice\r\n"));
    assert_true(contains(sdp, "a=ice-ufrag:8hhy\r\na=ice-pwd:asd88fgpdd777uzjYhagZg\r\n"));
    assert_true(contains(sdp, std::string("a=fingerprint:sha-256 ") + kFingerprint + "\r\n"));
    assert_true(contains(sdp, "a=setup:actpass\r\n"));
    assert_true(contains(sdp, "a=sendrecv\r\n"));
    assert_true(contains(sdp, "a=rtcp-mux\r\n"));
    assert_true(contains(sdp, "a=rtpmap:111 opus/48000/2\r\n"));
    assert_true(contains(sdp, "a=fmtp:111 minptime=10;useinbandfec=1\r\n"));
    assert_true(contains(sdp, "a=rtcp-fb:111 transport-cc\r\n"));
    assert_true(contains(sdp, "a=rtpmap:0 PCMU/0\r\n") || contains(sdp, "a=rtpmap:0 PCMU"));
    assert_true(contains(sdp, "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n"));
    assert_true(contains(sdp, "a=ssrc:1656081975 cname:Yv/wvbCdsDW2Prgd\r\n"));
    assert_true(contains(sdp, "a=candidate:1 1 udp 2130706431 10.0.1.1 8998 typ host generation 0\r\n"));
    assert_true(contains(sdp, "a=candidate:2 1 udp 1694498815 192.0.2.3 45664 typ srflx raddr 10.0.1.1 rport 8998 "
                              "generation 0\r\n"));
}

static void janus_answer_becomes_the_accept_content(void**) {
    std::string error;
    auto content = JingleSdp::answer(kJanusAnswer, "voice", error);
    assert_true(content.has_value());
    assert_string_equal(error.c_str(), "");
    assert_string_equal(content->name.c_str(), "voice");
    assert_string_equal(content->senders.c_str(), "both");
    assert_string_equal(content->ufrag.c_str(), "Ab3X");
    assert_string_equal(content->setup.c_str(), "active");
    assert_string_equal(content->fingerprintHash.c_str(), "sha-256");
    assert_int_equal(content->payloads.size(), 1);
    assert_string_equal(content->payloads[0].name.c_str(), "opus");
    assert_int_equal(content->payloads[0].channels, 2);
    assert_int_equal(content->candidates.size(), 1);  // the TCP one is not ICE-UDP
    assert_int_equal(content->sources.size(), 1);
    assert_int_equal(content->sources[0].ssrc, 3735928559u);
    std::string xml = JingleSdp::contentTag(*content, false)->xml();
    assert_true(contains(xml, "<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>"));
    assert_true(contains(xml, "<payload-type id='111' name='opus' clockrate='48000' channels='2'>"));
    assert_true(contains(xml, "<parameter name='useinbandfec' value='1'/>"));
    assert_true(contains(xml, "<rtcp-fb xmlns='urn:xmpp:jingle:apps:rtp:rtcp-fb:0' type='transport-cc'/>"));
    assert_true(contains(xml, "<rtcp-mux/>"));
    assert_true(contains(xml, "<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='Ab3X' "
                              "pwd='kL5mNoPqRsTuVwXyZ01234567'>"));
    assert_true(contains(xml, "<fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='active'>D2:B9"));
    assert_true(contains(xml, "ip='10.200.0.1'") && contains(xml, "port='40404'") && contains(xml, "type='host'"));
    // and what we write reads back to the same thing (the peer's view)
    auto reread = parse(xml);
    std::string readError;
    JingleContent back = JingleSdp::readContent(*reread, readError);
    assert_string_equal(readError.c_str(), "");
    assert_string_equal(back.fingerprint.c_str(), content->fingerprint.c_str());
    assert_int_equal(back.candidates.size(), 1);
    assert_int_equal(back.candidates[0].port, 40404);
}

static void direction_follows_senders_both_ways(void**) {
    std::string answer = kJanusAnswer;
    answer.replace(answer.find("a=sendrecv"), 10, "a=recvonly");
    std::string error;
    auto content = JingleSdp::answer(answer, "voice", error);
    assert_true(content.has_value());
    assert_string_equal(content->senders.c_str(), "initiator");  // the mixer only receives
    std::string xml = initiate();
    xml.replace(xml.find("name='voice'"), 12, "name='voice' senders='initiator'");
    JingleRead read = readInitiate(xml);
    assert_true(contains(JingleSdp::offer(read.contents[0], 1), "a=sendonly\r\n"));
}

static void candidates_cross_both_ways(void**) {
    auto candidate = JingleSdp::parseCandidate(
        "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.168.1.2 rport 61665 generation 0 "
        "ufrag EsAw network-cost 999");
    assert_true(candidate.has_value());
    assert_string_equal(candidate->type.c_str(), "srflx");
    assert_string_equal(candidate->relAddr.c_str(), "192.168.1.2");
    assert_string_equal(JingleSdp::candidateLine(*candidate).c_str(),
                        "candidate:842163049 1 udp 1677729535 203.0.113.7 61665 typ srflx raddr 192.168.1.2 rport "
                        "61665 generation 0");
    std::string xml = JingleSdp::contentTag(JingleContent{.name = "0", .candidates = {*candidate}}, true)->xml();
    assert_false(contains(xml, "<description"));
    assert_true(contains(xml, "rel-addr='192.168.1.2'"));
    assert_false(JingleSdp::parseCandidate("candidate:1 1 udp 1 10.0.0.1 9 host").has_value());  // no typ
    assert_false(JingleSdp::parseCandidate("candidate:1 1 udp x 10.0.0.1 9 typ host").has_value());
    assert_false(JingleSdp::parseCandidate("candidate:1 1 udp 1 10.0.0.1 99999 typ host").has_value());
    assert_false(JingleSdp::parseCandidate("candidate:1 1 udp 1 10.0.0.1 9 typ weird").has_value());
}

static void malformed_jingle_is_refused_with_a_reason(void**) {
    // an SDP line smuggled into the ufrag
    assert_true(contains(readInitiate(initiate("", "8hhy&#13;&#10;a=evil")).error, "ufrag"));
    // a candidate without a port
    assert_true(contains(readInitiate(initiate("<candidate component='1' foundation='3' ip='10.0.0.1' priority='1' "
                                               "protocol='udp' type='host'/>")).error, "candidate"));
    // a candidate over TCP is not ICE-UDP
    assert_true(contains(readInitiate(initiate("<candidate component='1' foundation='3' ip='10.0.0.1' port='9' "
                                               "priority='1' protocol='tcp' type='host'/>")).error, "udp"));
    // video: read, but not offered to the mixer
    JingleRead video = readInitiate(initiate("", "8hhy", "video"));
    assert_string_equal(video.error.c_str(), "");
    assert_true(contains(JingleSdp::offerProblem(video.contents[0]), "audio"));
    // no fingerprint: not DTLS-SRTP
    std::string plain = initiate();
    plain.erase(plain.find("<fingerprint"), plain.find("</fingerprint>") + 14 - plain.find("<fingerprint"));
    JingleRead noDtls = readInitiate(plain);
    assert_string_equal(noDtls.error.c_str(), "");
    assert_true(contains(JingleSdp::offerProblem(noDtls.contents[0]), "fingerprint"));
    // no action, bad sid, wrong namespace
    auto tag = parse("<jingle xmlns='urn:xmpp:jingle:1' sid='x'/>");
    assert_true(contains(JingleSdp::read(*tag).error, "action"));
    tag = parse("<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate'/>");
    assert_true(contains(JingleSdp::read(*tag).error, "sid"));
    tag = parse("<jingle xmlns='urn:xmpp:jingle:0' action='session-initiate' sid='x'/>");
    assert_false(JingleSdp::read(*tag).error.empty());
    // a payload type out of range, a parameter value with a separator
    std::string badPt = initiate();
    badPt.replace(badPt.find("id='18'"), 7, "id='300'");
    assert_true(contains(readInitiate(badPt).error, "payload-type"));
    std::string badParameter = initiate();
    badParameter.replace(badParameter.find("value='10'"), 10, "value='10;x=1'");
    assert_true(contains(readInitiate(badParameter).error, "parameter"));
    // a session-terminate's reason
    tag = parse("<jingle xmlns='urn:xmpp:jingle:1' action='session-terminate' sid='x'><reason><success/>"
                "<text>bye</text></reason></jingle>");
    JingleRead terminate = JingleSdp::read(*tag);
    assert_string_equal(terminate.error.c_str(), "");
    assert_string_equal(terminate.reason.c_str(), "success");
}

static void unusable_answers_are_refused(void**) {
    std::string error;
    assert_false(JingleSdp::answer("v=0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\n", "0", error).has_value());
    assert_true(contains(error, "rejects"));
    error.clear();
    assert_false(JingleSdp::answer("v=0\r\n", "0", error).has_value());
    assert_true(contains(error, "no audio"));
    error.clear();
    std::string noFingerprint = kJanusAnswer;
    noFingerprint.erase(noFingerprint.find("a=fingerprint"), noFingerprint.find("a=extmap-allow") - noFingerprint.find("a=fingerprint"));
    assert_false(JingleSdp::answer(noFingerprint, "voice", error).has_value());
    assert_true(contains(error, "fingerprint"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(xep0167_initiate_becomes_an_sdp_offer),
        cmocka_unit_test(janus_answer_becomes_the_accept_content),
        cmocka_unit_test(direction_follows_senders_both_ways),
        cmocka_unit_test(candidates_cross_both_ways),
        cmocka_unit_test(malformed_jingle_is_refused_with_a_reason),
        cmocka_unit_test(unusable_answers_are_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
