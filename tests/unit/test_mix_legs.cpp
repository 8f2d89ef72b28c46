// The mixing rule of remote legs (docs/cluster.md, "Audio across nodes"): this node's
// participants hear every remote leg, and each leg is sent the mix of this node's participants
// only. With two legs (three nodes) a leg must never carry the other leg's audio: that node
// already gets it directly, and would hear it twice. Real Opus and G.711 through MixRoom::tick,
// tones found by Goertzel on the decoded output.
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

static void participants_hear_the_leg_and_the_leg_gets_only_the_local_mix(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice ann(audio::CodecId::Opus, 111, 440, 1);   // this node's participant
    Voice pam(audio::CodecId::Pcmu, 0, 1000, 2);    // and a phone here
    Voice leg(audio::CodecId::Opus, 111, 1500, 77); // node B's mix
    room.add(ann.participant);
    room.add(pam.participant);
    room.addLeg(leg.participant);
    assert_int_equal(room.size(), 2);  // a leg is no participant
    assert_int_equal(room.legs()->size(), 1);
    run(room, {&ann, &pam, &leg});

    auto annHears = ann.heard(50);
    assert_true(toneDb(annHears, 48000, 1500) - toneDb(annHears, 48000, 440) >= 30);  // the leg, not herself
    assert_true(toneDb(annHears, 48000, 1000) - toneDb(annHears, 48000, 440) >= 30);  // and Pam
    auto pamHears = pam.heard(50);
    assert_true(toneDb(pamHears, 8000, 1500) - toneDb(pamHears, 8000, 1000) >= 25);
    // Node B gets Ann and Pam, never its own mix back.
    auto legGets = leg.heard(50);
    assert_true(toneDb(legGets, 48000, 440) - toneDb(legGets, 48000, 1500) >= 30);
    assert_true(toneDb(legGets, 48000, 1000) - toneDb(legGets, 48000, 1500) >= 30);
    // One encode per tick for the legs.
    assert_true(room.stats.encodesLegs.load() >= 140);
}

static void a_leg_never_carries_another_nodes_leg(void**) {
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice ann(audio::CodecId::Opus, 111, 440, 1);
    Voice fromB(audio::CodecId::Opus, 111, 1000, 77);
    Voice fromC(audio::CodecId::Opus, 111, 1500, 78);
    room.add(ann.participant);
    room.addLeg(fromB.participant);
    room.addLeg(fromC.participant);
    run(room, {&ann, &fromB, &fromC});
    auto annHears = ann.heard(50);
    assert_true(toneDb(annHears, 48000, 1000) - toneDb(annHears, 48000, 440) >= 30);
    assert_true(toneDb(annHears, 48000, 1500) - toneDb(annHears, 48000, 440) >= 30);
    for (Voice* leg : {&fromB, &fromC}) {
        auto gets = leg->heard(50);
        // Ann, and neither node's own mix nor the other node's.
        assert_true(toneDb(gets, 48000, 440) - toneDb(gets, 48000, 1000) >= 30);
        assert_true(toneDb(gets, 48000, 440) - toneDb(gets, 48000, 1500) >= 30);
    }
    // A leg that goes stops being mixed and sent to.
    room.removeLeg(78);
    size_t sentToC = fromC.received.size();
    run(room, {&ann, &fromB, &fromC});
    assert_int_equal(fromC.received.size(), sentToC);
    auto after = ann.heard(50);
    assert_true(toneDb(after, 48000, 1000) - toneDb(after, 48000, 1500) >= 30);
}

static void a_leg_follows_the_rooms_rate_without_raising_it(void**) {
    // Phones only here: the room mixes at 8 kHz although the leg is Opus (48 kHz capable).
    MixRoom room("r", MixRoomSettings{}, nullptr);
    Voice pam(audio::CodecId::Pcmu, 0, 440, 1);
    Voice leg(audio::CodecId::Opus, 111, 1000, 77);
    room.add(pam.participant);
    room.addLeg(leg.participant);
    run(room, {&pam, &leg});
    assert_int_equal(room.mixRate(), 8000);
    auto pamHears = pam.heard(50);
    assert_true(toneDb(pamHears, 8000, 1000) - toneDb(pamHears, 8000, 440) >= 25);
    auto legGets = leg.heard(50);  // Opus decoded at 48 kHz whatever it was coded at
    assert_true(toneDb(legGets, 48000, 440) - toneDb(legGets, 48000, 1000) >= 25);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(participants_hear_the_leg_and_the_leg_gets_only_the_local_mix),
        cmocka_unit_test(a_leg_never_carries_another_nodes_leg),
        cmocka_unit_test(a_leg_follows_the_rooms_rate_without_raising_it),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
