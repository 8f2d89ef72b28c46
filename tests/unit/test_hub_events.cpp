// The hub event schema: what each builder posts is what its reader reads back, and a payload
// that breaks the schema is refused with an error naming the kind, the poster and the field.
#include <memory>
#include <string>
#include <vector>

#include "sylkcore/hub/events.hpp"
#include "sylkcore/hub/hub.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk;
using namespace sylk::hub;

namespace {

struct Recorder : RoomListener {
    std::vector<RoomEvent> events;
    void onRoomEvent(const RoomEvent& event) override { events.push_back(event); }
};

RoomEvent eventOf(const char* kind, const char* json, const char* member = "janus.plugin.sylk.sip/1") {
    return RoomEvent{"room", kind, "janus.plugin.sylk.sip", member, Json::parse(json), 1};
}

// The message of the InvalidHubEvent that read throws, or "" if it throws none.
template <class Read>
std::string refusal(Read read) {
    try {
        read();
    } catch (const InvalidHubEvent& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

}  // namespace

static void chat_round_trips_through_a_room(void**) {
    Hub hub;
    auto room = hub.open("r");
    auto recorder = std::make_shared<Recorder>();
    Subscription subscription = room->subscribe(recorder);
    ChatMessage sent;
    sent.id = newMessageId();
    sent.display = "Alice";
    sent.uri = "sip:alice@example.com";
    sent.text = "hello";
    sent.timestamp = nowMs();
    sent.to = "janus.plugin.sylk.videoroom/7";
    room->post("janus.plugin.sylk.sip", "janus.plugin.sylk.audiomixer/3", chat(sent));
    assert_int_equal(recorder->events.size(), 1);
    const RoomEvent& event = recorder->events[0];
    assert_string_equal(event.kind.c_str(), kind::Chat);
    ChatMessage read = readChat(event);
    assert_string_equal(read.id.c_str(), sent.id.c_str());
    assert_int_equal(read.id.size(), 36);  // a UUID
    assert_string_equal(read.display.c_str(), "Alice");
    assert_string_equal(read.uri.c_str(), "sip:alice@example.com");
    assert_string_equal(read.contentType.c_str(), "text/plain");
    assert_string_equal(read.text.c_str(), "hello");
    assert_int_equal(read.timestamp, sent.timestamp);
    assert_true(read.timestamp > 1'600'000'000'000);  // ms, not s
    assert_true(read.isPrivate());
    assert_string_equal(read.to.c_str(), "janus.plugin.sylk.videoroom/7");
    assert_string_equal(read.senderName(event).c_str(), "Alice");
}

static void chat_optional_fields_take_their_defaults(void**) {
    RoomEvent event = eventOf(kind::Chat, R"({"id": "m1", "text": "hi", "timestamp": 5, "future_field": [1]})");
    ChatMessage message = readChat(event);
    assert_string_equal(message.contentType.c_str(), "text/plain");
    assert_false(message.isPrivate());
    assert_true(message.uri.empty());
    // No display name: readers show the member id.
    assert_string_equal(message.senderName(event).c_str(), "janus.plugin.sylk.sip/1");
    // What the builder writes for a room message has no "to" and no "uri".
    ChatMessage room;
    room.id = "m2";
    room.text = "all";
    EventPayload payload = chat(room);
    assert_null(payload.data.member("to"));
    assert_null(payload.data.member("uri"));
    assert_string_equal(json_string_value(payload.data.member("content_type")), "text/plain");
}

static void chat_breaking_the_schema_is_refused_clearly(void**) {
    std::string noText = refusal([] { readChat(eventOf(kind::Chat, R"({"id": "m", "timestamp": 1})")); });
    assert_true(contains(noText, "hub event 'chat' from janus.plugin.sylk.sip"));
    assert_true(contains(noText, "'text'"));
    std::string numberText = refusal([] { readChat(eventOf(kind::Chat, R"({"id": "m", "text": 5, "timestamp": 1})")); });
    assert_true(contains(numberText, "field 'text' must be a string"));
    std::string emptyId = refusal([] { readChat(eventOf(kind::Chat, R"({"id": "", "text": "x", "timestamp": 1})")); });
    assert_true(contains(emptyId, "'id'"));
    std::string negative = refusal([] { readChat(eventOf(kind::Chat, R"({"id": "m", "text": "x", "timestamp": -1})")); });
    assert_true(contains(negative, "'timestamp'"));
    std::string intTo = refusal([] { readChat(eventOf(kind::Chat, R"({"id": "m", "text": "x", "timestamp": 1, "to": 7})")); });
    assert_true(contains(intTo, "field 'to' must be a string"));  // recipients are member ids
    std::string notObject = refusal([] { readChat(eventOf(kind::Chat, R"(["id"])")); });
    assert_true(contains(notObject, "must be a JSON object"));
    std::string wrongKind = refusal([] { readChat(eventOf(kind::FileShared, R"({"id": "m", "text": "x", "timestamp": 1})")); });
    assert_true(contains(wrongKind, "hub event 'file'"));
    assert_true(contains(wrongKind, "read as 'chat'"));
}

static void roster_payloads_carry_the_member(void**) {
    Hub hub;
    auto room = hub.open("r");
    auto recorder = std::make_shared<Recorder>();
    Subscription subscription = room->subscribe(recorder);
    Member phone{"janus.plugin.sylk.audiomixer/4", "Bob", "janus.plugin.sylk.audiomixer"};
    room->join(phone);
    phone.mutedByModerator = true;
    phone.onHold = true;
    room->join(phone);
    room->leave(phone.id);
    assert_int_equal(recorder->events.size(), 3);
    assert_string_equal(recorder->events[0].kind.c_str(), kind::Joined);
    assert_string_equal(recorder->events[1].kind.c_str(), kind::Updated);
    assert_string_equal(recorder->events[2].kind.c_str(), kind::Left);
    Member joined = readMember(recorder->events[0]);
    assert_string_equal(joined.id.c_str(), "janus.plugin.sylk.audiomixer/4");
    assert_string_equal(joined.display.c_str(), "Bob");
    assert_string_equal(joined.plugin.c_str(), "janus.plugin.sylk.audiomixer");
    assert_false(joined.mutedByModerator);
    Member updated = readMember(recorder->events[1]);
    assert_true(updated.mutedByModerator);
    assert_true(updated.onHold);
    assert_false(updated.muted);
    Member left = readMember(recorder->events[2]);
    assert_string_equal(left.display.c_str(), "Bob");
    assert_string_equal(left.plugin.c_str(), "janus.plugin.sylk.audiomixer");
    std::string badFlag = refusal([] { readMember(eventOf(kind::Updated, R"({"display": "B", "muted": "yes"})")); });
    assert_true(contains(badFlag, "hub event 'updated'"));
    assert_true(contains(badFlag, "'muted'"));
    std::string nobody = refusal([] { readMember(eventOf(kind::Joined, R"({"display": "B"})", "")); });
    assert_true(contains(nobody, "names no member"));
}

static void composing_and_files_round_trip(void**) {
    ComposingState typing;
    typing.display = "Carol";
    typing.active = false;
    typing.to = "janus.plugin.sylk.videoroom/2";
    EventPayload payload = composing(typing);
    assert_string_equal(payload.kind, kind::Composing);
    ComposingState read = readComposing(RoomEvent{"r", payload.kind, "p", "m", payload.data, 1});
    assert_string_equal(read.display.c_str(), "Carol");
    assert_false(read.active);
    assert_true(read.isPrivate());
    std::string noActive = refusal([] { readComposing(eventOf(kind::Composing, R"({"display": "C"})")); });
    assert_true(contains(noActive, "'active'"));

    FileNotice file{"f1", "notes.txt", 12, "janus.plugin.sylk.videoroom/2", "Carol", 1'700'000'000'000};
    payload = fileShared(file);
    assert_string_equal(payload.kind, kind::FileShared);
    FileNotice back = readFileShared(RoomEvent{"r", payload.kind, "p", "m", payload.data, 1});
    assert_string_equal(back.name.c_str(), "notes.txt");
    assert_int_equal(back.size, 12);
    assert_string_equal(back.from.c_str(), "janus.plugin.sylk.videoroom/2");
    assert_int_equal(back.created, 1'700'000'000'000);
    std::string negativeSize = refusal([] {
        readFileShared(eventOf(kind::FileShared, R"({"id": "f", "name": "n", "size": -3, "created": 1})"));
    });
    assert_true(contains(negativeSize, "'size'"));
}

static void talking_kinds_follow_the_state(void**) {
    assert_string_equal(talking(true).kind, kind::Talking);
    assert_string_equal(talking(false).kind, kind::StoppedTalking);
    assert_true(json_is_object(talking(true).data.get()));
}

static void nickname_round_trips_and_refuses_an_empty_one(void**) {
    EventPayload payload = nickname(NicknameChange{"ali"});
    assert_string_equal(payload.kind, kind::Nickname);
    NicknameChange back = readNickname(RoomEvent{"r", payload.kind, "janus.plugin.sylk.msrp", "janus.plugin.sylk.msrp/4", payload.data, 1});
    assert_string_equal(back.nickname.c_str(), "ali");
    std::string empty = refusal([] { readNickname(eventOf(kind::Nickname, R"({"nickname": ""})")); });
    assert_true(contains(empty, "hub event 'nickname' from janus.plugin.sylk.sip"));
    assert_true(contains(empty, "'nickname'"));
    std::string typed = refusal([] { readNickname(eventOf(kind::Nickname, R"({"nickname": 7})")); });
    assert_true(contains(typed, "'nickname'"));
    std::string missing = refusal([] { readNickname(eventOf(kind::Nickname, R"({})")); });
    assert_true(contains(missing, "'nickname'"));
    std::string nobody = refusal([] { readNickname(eventOf(kind::Nickname, R"({"nickname": "x"})", "")); });
    assert_true(contains(nobody, "no member"));
    std::string other = refusal([] { readNickname(eventOf(kind::Chat, R"({"nickname": "x"})")); });
    assert_true(contains(other, "a different kind"));
}

static void kick_round_trips_and_moderators_are_known_to_the_room(void**) {
    EventPayload payload = kick(KickOrder{"janus.plugin.sylk.videoroom/7", "Alice", "spam"});
    assert_string_equal(payload.kind, kind::Kick);
    KickOrder back = readKick(RoomEvent{"r", payload.kind, "janus.plugin.sylk.xmpp", "janus.plugin.sylk.xmpp/1", payload.data, 1});
    assert_string_equal(back.target.c_str(), "janus.plugin.sylk.videoroom/7");
    assert_string_equal(back.display.c_str(), "Alice");
    assert_string_equal(back.reason.c_str(), "spam");
    KickOrder bare = readKick(eventOf(kind::Kick, R"({"target": "x/1"})"));
    assert_true(bare.display.empty() && bare.reason.empty());
    std::string noTarget = refusal([] { readKick(eventOf(kind::Kick, R"({"reason": "r"})")); });
    assert_true(contains(noTarget, "hub event 'kick' from janus.plugin.sylk.sip"));
    assert_true(contains(noTarget, "'target'"));
    std::string empty = refusal([] { readKick(eventOf(kind::Kick, R"({"target": ""})")); });
    assert_true(contains(empty, "'target'"));
    std::string typed = refusal([] { readKick(eventOf(kind::Kick, R"({"target": "x/1", "reason": 3})")); });
    assert_true(contains(typed, "'reason'"));
    std::string nobody = refusal([] { readKick(eventOf(kind::Kick, R"({"target": "x/1"})", "")); });
    assert_true(contains(nobody, "no kicker"));

    // The moderator flag travels in the roster events and the room answers isModerator.
    Hub hub;
    auto room = hub.open("moderated");
    auto recorder = std::make_shared<Recorder>();
    Subscription subscription = room->subscribe(recorder);
    Member chair{"janus.plugin.sylk.videoroom/1", "Chair", "janus.plugin.sylk.videoroom"};
    chair.moderator = true;
    room->join(chair);
    room->join(Member{"janus.plugin.sylk.xmpp/2", "Guest", "janus.plugin.sylk.xmpp"});
    assert_true(readMember(recorder->events[0]).moderator);
    assert_false(readMember(recorder->events[1]).moderator);
    assert_true(room->isModerator("janus.plugin.sylk.videoroom/1"));
    assert_false(room->isModerator("janus.plugin.sylk.xmpp/2"));
    assert_false(room->isModerator("nobody/3"));
    assert_false(readMember(eventOf(kind::Joined, R"({"display": "Old"})")).moderator);  // absent: not one
    std::string badFlag = refusal([] { readMember(eventOf(kind::Joined, R"({"display": "B", "moderator": 1})")); });
    assert_true(contains(badFlag, "'moderator'"));
}

static void mute_round_trips_and_refuses_an_order_without_target_or_direction(void**) {
    EventPayload payload = mute(MuteOrder{"janus.plugin.sylk.audiomixer/3", true, "Chair"});
    assert_string_equal(payload.kind, kind::Mute);
    MuteOrder back = readMute(RoomEvent{"r", payload.kind, "janus.plugin.sylk.videoroom", "janus.plugin.sylk.videoroom/1", payload.data, 1});
    assert_string_equal(back.target.c_str(), "janus.plugin.sylk.audiomixer/3");
    assert_true(back.muted);
    assert_string_equal(back.display.c_str(), "Chair");
    MuteOrder lift = readMute(eventOf(kind::Mute, R"({"target": "x/1", "muted": false})"));
    assert_false(lift.muted);
    assert_true(lift.display.empty());
    std::string noDirection = refusal([] { readMute(eventOf(kind::Mute, R"({"target": "x/1"})")); });
    assert_true(contains(noDirection, "hub event 'mute' from janus.plugin.sylk.sip"));
    assert_true(contains(noDirection, "'muted'"));
    std::string noTarget = refusal([] { readMute(eventOf(kind::Mute, R"({"muted": true})")); });
    assert_true(contains(noTarget, "'target'"));
    std::string empty = refusal([] { readMute(eventOf(kind::Mute, R"({"target": "", "muted": true})")); });
    assert_true(contains(empty, "'target'"));
    std::string typed = refusal([] { readMute(eventOf(kind::Mute, R"({"target": "x/1", "muted": "yes"})")); });
    assert_true(contains(typed, "'muted'"));
    std::string nobody = refusal([] { readMute(eventOf(kind::Mute, R"({"target": "x/1", "muted": true})", "")); });
    assert_true(contains(nobody, "no moderator"));
    std::string otherKind = refusal([] { readMute(eventOf(kind::Kick, R"({"target": "x/1", "muted": true})")); });
    assert_true(contains(otherKind, "a different kind"));
}

static void direct_round_trips_unparsed_and_refuses_an_empty_type(void**) {
    std::string cpim = "From: <sip:a@x>\r\n\r\nContent-Type: text/plain\r\n\r\nh\u00e9llo \"quoted\"\r\n";
    EventPayload payload = direct(DirectMessage{"message/cpim", cpim});
    assert_string_equal(payload.kind, kind::Direct);
    DirectMessage back = readDirect(RoomEvent{"direct/u/c", payload.kind, "janus.plugin.sylk.msrp", "", payload.data, 1});
    assert_string_equal(back.contentType.c_str(), "message/cpim");
    assert_true(back.body == cpim);  // byte for byte, CR LF and quotes included
    std::string empty = refusal([] { readDirect(eventOf(kind::Direct, R"({"content_type": "", "body": "x"})")); });
    assert_true(contains(empty, "'content_type'"));
    std::string missing = refusal([] { readDirect(eventOf(kind::Direct, R"({"content_type": "text/plain"})")); });
    assert_true(contains(missing, "'body'"));
    std::string other = refusal([] { readDirect(eventOf(kind::Chat, R"({"content_type": "a/b", "body": "x"})")); });
    assert_true(contains(other, "a different kind"));
}

static void direct_ack_round_trips_and_refuses_a_bad_status(void**) {
    EventPayload asked = direct(DirectMessage{"text/plain", "hi", "msrp-id-1"});
    assert_string_equal(readDirect(RoomEvent{"direct/u/c", asked.kind, "p", "", asked.data, 1}).ackId.c_str(), "msrp-id-1");
    EventPayload payload = directAck(DirectAck{"msrp-id-1", 500});
    assert_string_equal(payload.kind, kind::DirectAck);
    DirectAck back = readDirectAck(RoomEvent{"direct/u/c", payload.kind, "janus.plugin.sylk.sip", "", payload.data, 1});
    assert_string_equal(back.ackId.c_str(), "msrp-id-1");
    assert_int_equal(back.status, 500);
    std::string empty = refusal([] { readDirectAck(eventOf(kind::DirectAck, R"({"ack_id": "", "status": 200})")); });
    assert_true(contains(empty, "'ack_id'"));
    std::string status = refusal([] { readDirectAck(eventOf(kind::DirectAck, R"({"ack_id": "x", "status": 99})")); });
    assert_true(contains(status, "'status'"));
}

static void msrp_path_round_trips_and_refuses_an_empty_path(void**) {
    EventPayload payload = msrpPath(MsrpPathChange{"s1", {"msrp://relay:2855/abc;tcp", "msrp://10.0.0.1:2855/s1;tcp"}});
    assert_string_equal(payload.kind, kind::MsrpPath);
    MsrpPathChange back = readMsrpPath(RoomEvent{"r", payload.kind, "janus.plugin.sylk.msrp", "", payload.data, 1});
    assert_string_equal(back.session.c_str(), "s1");
    assert_int_equal(back.path.size(), 2);
    assert_string_equal(back.path[0].c_str(), "msrp://relay:2855/abc;tcp");
    std::string empty = refusal([] { readMsrpPath(eventOf(kind::MsrpPath, R"({"session": "s1", "path": []})")); });
    assert_true(contains(empty, "'path'"));
    std::string typed = refusal([] { readMsrpPath(eventOf(kind::MsrpPath, R"({"session": "s1", "path": [7]})")); });
    assert_true(contains(typed, "'path'"));
    std::string nosession = refusal([] { readMsrpPath(eventOf(kind::MsrpPath, R"({"path": ["msrp://a:1/b;tcp"]})")); });
    assert_true(contains(nosession, "'session'"));
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chat_round_trips_through_a_room),
        cmocka_unit_test(chat_optional_fields_take_their_defaults),
        cmocka_unit_test(chat_breaking_the_schema_is_refused_clearly),
        cmocka_unit_test(roster_payloads_carry_the_member),
        cmocka_unit_test(composing_and_files_round_trip),
        cmocka_unit_test(talking_kinds_follow_the_state),
        cmocka_unit_test(nickname_round_trips_and_refuses_an_empty_one),
        cmocka_unit_test(kick_round_trips_and_moderators_are_known_to_the_room),
        cmocka_unit_test(mute_round_trips_and_refuses_an_order_without_target_or_direction),
        cmocka_unit_test(direct_round_trips_unparsed_and_refuses_an_empty_type),
        cmocka_unit_test(direct_ack_round_trips_and_refuses_a_bad_status),
        cmocka_unit_test(msrp_path_round_trips_and_refuses_an_empty_path),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
