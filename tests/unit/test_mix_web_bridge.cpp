// The room audio bridge's mixing rule (docs/architecture.md, "Web users and phones hear each
// other"; plugins/audiomixer/web_bridge.hpp): the room's participants hear the video room's web
// feeds; the web mix sent to the video room is the participants and the remote legs, never the
// web feeds (browsers hear each other through the SFU); a remote leg gets the participants only,
// never the web feeds (the other node's pages get them through the video relay) unless that node
// has no pages (withWebFeeds); a room with the bridge alone mixes too. Real Opus and
// G.711 through MixRoom::tick, tones found by Goertzel on the decoded output. The helpers are
// mix_test_voices.hpp's.
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "plugins/audiomixer/mix_room.hpp"
#include "sylkcore/audio/rtp_packet.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"
#include "mix_test_voices.hpp"

using namespace sylk;
using namespace sylk::audiomixer;

using namespace mix_test;

static void web_feeds_reach_the_participants_only(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice ann(audio::CodecId::Opus, 111, 440, 1);     // a mixer WebRTC participant
    Voice pam(audio::CodecId::Pcmu, 0, 1000, 2);      // a phone
    Voice web(audio::CodecId::Opus, 0, 1500, 500);    // a video room publisher's audio (m-line 0)
    Voice leg(audio::CodecId::Opus, 111, 2000, 77);   // node B's mix
    Voice mix(audio::CodecId::Opus, 0, 0, 900);       // the web mix's output (never speaks)
    room.add(ann.participant);
    room.add(pam.participant);
    room.addLeg(leg.participant);
    auto bridge = std::make_shared<WebBridge>(mix.participant);
    bridge->addFeed(web.participant);
    room.setWebBridge(bridge);
    assert_int_equal(room.size(), 2);  // web feeds are no participants
    run(room, {&ann, &pam, &web, &leg});

    // Participants hear the web user, the leg and each other, not themselves.
    auto annHears = ann.heard(50);
    for (double other : {1000.0, 1500.0, 2000.0})
        assert_true(toneDb(annHears, 48000, other) - toneDb(annHears, 48000, 440) >= 30);
    auto pamHears = pam.heard(50);
    assert_true(toneDb(pamHears, 8000, 1500) - toneDb(pamHears, 8000, 1000) >= 25);
    // The web mix: the participants and the leg, never the web user.
    auto webMix = mix.heard(50);
    for (double carried : {440.0, 1000.0, 2000.0})
        assert_true(toneDb(webMix, 48000, carried) - toneDb(webMix, 48000, 1500) >= 30);
    assert_true(bridge->mixesSent.load() >= 140);
    // The leg: the participants only, neither the web user nor its own mix.
    auto legGets = leg.heard(50);
    assert_true(toneDb(legGets, 48000, 440) - toneDb(legGets, 48000, 1500) >= 30);
    assert_true(toneDb(legGets, 48000, 1000) - toneDb(legGets, 48000, 1500) >= 30);
    assert_true(toneDb(legGets, 48000, 440) - toneDb(legGets, 48000, 2000) >= 30);
    // A web feed is only an input: nothing is sent to it.
    assert_true(web.received.empty());
}

static void a_closed_bridge_is_neither_mixed_nor_sent(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice pam(audio::CodecId::Pcmu, 0, 1000, 2);
    Voice web(audio::CodecId::Opus, 1, 1500, 500);
    Voice mix(audio::CodecId::Opus, 0, 0, 900);
    room.add(pam.participant);
    auto bridge = std::make_shared<WebBridge>(mix.participant);
    bridge->addFeed(web.participant);
    room.setWebBridge(bridge);
    run(room, {&pam, &web});
    assert_int_equal(room.mixRate(), 8000);  // the bridge follows the phones' rate
    auto pamHears = pam.heard(50);
    assert_true(toneDb(pamHears, 8000, 1500) - toneDb(pamHears, 8000, 1000) >= 25);
    auto webMix = mix.heard(50);  // Opus decoded at 48 kHz whatever it was coded at
    assert_true(toneDb(webMix, 48000, 1000) - toneDb(webMix, 48000, 1500) >= 25);
    // The feed leaves, then the bridge: Pam no longer hears it, the mix is no longer sent.
    assert_true(bridge->removeFeed(500));
    assert_false(bridge->removeFeed(500));
    run(room, {&pam, &web});
    const double heardBefore = toneDb(pamHears, 8000, 1500);
    auto pamAfter = pam.heard(50);
    assert_true(heardBefore - toneDb(pamAfter, 8000, 1500) >= 30);
    room.setWebBridge(nullptr);
    size_t mixes = mix.received.size();
    run(room, {&pam});
    assert_int_equal(mix.received.size(), mixes);
}

// A node with pages only, in a room whose phones are on other nodes (docs/cluster.md, "Pages and
// phones on different nodes"): no participant, a bridge and two legs. The room ticks; the web
// mix carries both legs and not the page; the leg to the node without pages (withWebFeeds)
// gets the page, the leg to the node with pages gets nothing of it (silence: no participant).
static void a_room_with_the_bridge_alone_mixes_legs_and_pages(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice web(audio::CodecId::Opus, 0, 1500, 500);      // the page here
    Voice phones(audio::CodecId::Opus, 111, 700, 77);   // node A's mix: its phones, no pages there
    Voice other(audio::CodecId::Opus, 111, 2000, 78);   // node C's mix: it has pages of its own
    Voice mix(audio::CodecId::Opus, 0, 0, 900);
    phones.participant->withWebFeeds = true;
    room.addLeg(phones.participant);
    room.addLeg(other.participant);
    auto bridge = std::make_shared<WebBridge>(mix.participant);
    bridge->addFeed(web.participant);
    room.setWebBridge(bridge);
    assert_int_equal(room.size(), 0);
    run(room, {&web, &phones, &other});
    assert_int_equal(room.mixRate(), 48000);  // no phone here to set a lower rate
    auto webMix = mix.heard(50);
    for (double carried : {700.0, 2000.0})
        assert_true(toneDb(webMix, 48000, carried) - toneDb(webMix, 48000, 1500) >= 30);
    auto toA = phones.heard(50);
    assert_true(toneDb(toA, 48000, 1500) - toneDb(toA, 48000, 700) >= 30);   // the page, not A's own
    assert_true(toneDb(toA, 48000, 1500) - toneDb(toA, 48000, 2000) >= 30);  // never another leg
    auto toC = other.heard(50);
    assert_true(toneDb(toA, 48000, 1500) - toneDb(toC, 48000, 1500) >= 30);  // C's pages hear it through the SFU
    assert_true(room.stats.encodesLegs.load() >= 2 * 140);  // two leg mixes a tick
}

// A node with a phone and pages, in a room with pages on another node too (docs/cluster.md,
// "Pages and phones on different nodes"): the video room bridges its own page and the other
// node's, relayed to it. The phone hears both; a leg to a node without pages (withWebFeeds)
// is sent the page of this node and never the relayed one, which its own node's leg carries.
static void a_relayed_page_reaches_the_participants_and_no_leg(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice pam(audio::CodecId::Pcmu, 0, 1000, 2);        // the phone here
    Voice own(audio::CodecId::Opus, 0, 1500, 500);      // the page here
    Voice relayed(audio::CodecId::Opus, 0, 2500, 501);  // node B's page, relayed here
    Voice phones(audio::CodecId::Opus, 111, 700, 77);   // node C's mix: phones, no pages there
    Voice mix(audio::CodecId::Opus, 0, 0, 900);
    room.add(pam.participant);
    phones.participant->withWebFeeds = true;
    room.addLeg(phones.participant);
    auto bridge = std::make_shared<WebBridge>(mix.participant);
    bridge->addFeed(own.participant);
    relayed.participant->relayedFeed = true;
    bridge->addFeed(relayed.participant);
    room.setWebBridge(bridge);
    run(room, {&pam, &own, &relayed, &phones});
    auto pamHears = pam.heard(50);
    for (double page : {1500.0, 2500.0})
        assert_true(toneDb(pamHears, 8000, page) - toneDb(pamHears, 8000, 1000) >= 25);
    auto toC = phones.heard(50);
    assert_true(toneDb(toC, 48000, 1500) - toneDb(toC, 48000, 2500) >= 30);  // never the relayed page
    assert_true(toneDb(toC, 48000, 1000) - toneDb(toC, 48000, 2500) >= 30);  // the phone, of course
    auto webMix = mix.heard(50);  // the pages hear neither page through the mix
    for (double page : {1500.0, 2500.0})
        assert_true(toneDb(webMix, 48000, 1000) - toneDb(webMix, 48000, page) >= 25);
}

// The same room whose phones' node mixes G.711 phones at 8 kHz: its leg is narrowband Opus, so
// after 5 s the room mixes at 8 kHz too (a third of the work), and still carries both ways.
static void a_room_with_the_bridge_alone_follows_a_narrowband_leg(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice web(audio::CodecId::Opus, 0, 1500, 500);
    Voice phones(audio::CodecId::Opus, 111, 700, 77);
    phones.rate = 8000;  // coded as a phones-only node codes its leg: Opus at 8 kHz, narrowband
    phones.encoder = audio::makeEncoder(audio::CodecId::Opus, 8000);
    Voice mix(audio::CodecId::Opus, 0, 0, 900);
    phones.participant->withWebFeeds = true;
    room.addLeg(phones.participant);
    auto bridge = std::make_shared<WebBridge>(mix.participant);
    bridge->addFeed(web.participant);
    room.setWebBridge(bridge);
    run(room, {&web, &phones});
    assert_int_equal(phones.participant->codedRate(), 8000);
    assert_int_equal(room.mixRate(), 48000);  // not lowered within 5 s
    run(room, {&web, &phones});
    assert_int_equal(room.mixRate(), 8000);
    run(room, {&web, &phones});
    auto webMix = mix.heard(50);
    assert_true(toneDb(webMix, 48000, 700) - toneDb(webMix, 48000, 1500) >= 30);
    auto toA = phones.heard(50);
    assert_true(toneDb(toA, 48000, 1500) - toneDb(toA, 48000, 700) >= 30);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(web_feeds_reach_the_participants_only),
        cmocka_unit_test(a_closed_bridge_is_neither_mixed_nor_sent),
        cmocka_unit_test(a_room_with_the_bridge_alone_mixes_legs_and_pages),
        cmocka_unit_test(a_relayed_page_reaches_the_participants_and_no_leg),
        cmocka_unit_test(a_room_with_the_bridge_alone_follows_a_narrowband_leg),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
