#include "cmocka_cpp.hpp"
#include "request_errors.hpp"
#include "sylkcore/room_id.hpp"
#include "plugins/videoroom/videoroom_requests.hpp"
#include "sylkcore/request_error.hpp"

using namespace sylk;
using namespace sylk::videoroom;

static void room_ids_by_number_or_name(void**) {
    Json numeric = Json::parse(R"({"room":1234})");
    RequestReader a(numeric.get());
    RoomId byNumber = RoomId::read(a);
    assert_string_equal(byNumber.key.c_str(), "1234");
    assert_true(json_is_integer(byNumber.value.get()));
    Json named = Json::parse(R"({"room":"team@example.com"})");
    RequestReader b(named.get());
    assert_string_equal(RoomId::read(b).key.c_str(), "team@example.com");
    assert_true(json_is_integer(RoomId::fromString("77").value.get()));
    assert_true(json_is_string(RoomId::fromString("lobby").value.get()));
    for (const char* text : {R"({"room":0})", R"({"room":""})", R"({"room":1.5})", R"({"room":[1]})"}) {
        Json bad = Json::parse(text);
        RequestReader reader(bad.get());
        assert_int_equal(errorOf([&] { RoomId::read(reader); }), 1003);
    }
    Json none = Json::parse("{}");
    RequestReader reader(none.get());
    assert_int_equal(errorOf([&] { RoomId::read(reader); }), 1002);
    assert_true(RoomId::read(reader, false).empty());
}

static void feed_selectors(void**) {
    Json list = Json::parse(R"([{"feed":5},{"feed":6,"mid":"1"}])");
    auto selectors = parseFeedSelectors(list.get());
    assert_int_equal(selectors.size(), 2);
    assert_int_equal(selectors[0].feed, 5);
    assert_true(selectors[0].mid.empty());
    assert_string_equal(selectors[1].mid.c_str(), "1");
    for (const char* text : {R"([1])", R"({"feed":1})", R"([{"feed":0}])", R"([{"mid":"0"}])", R"([{"feed":1,"mid":7}])"}) {
        Json bad = Json::parse(text);
        int code = errorOf([&] { parseFeedSelectors(bad.get()); });
        assert_true(code == 1002 || code == 1003);
    }
}

static void stream_sends(void**) {
    Json list = Json::parse(R"([{"mid":"0","send":false},{"mid":"1","send":true}])");
    auto sends = parseStreamSends(list.get());
    assert_int_equal(sends.size(), 2);
    assert_string_equal(sends[0].mid.c_str(), "0");
    assert_false(sends[0].send);
    assert_true(sends[1].send);
    assert_int_equal(parseStreamSends(Json::parse("[]").get()).size(), 0);
    for (const char* text : {R"({"mid":"0","send":false})", R"([1])", R"([{"send":false}])", R"([{"mid":"0"}])",
                             R"([{"mid":0,"send":false}])", R"([{"mid":"0","send":"no"}])"}) {
        Json bad = Json::parse(text);
        int code = errorOf([&] { parseStreamSends(bad.get()); });
        assert_true(code == 1002 || code == 1003);
    }
    Json many = Json::array();
    for (int i = 0; i < 65; ++i)
        many.append(Json::parse(R"({"mid":"0","send":true})"));
    assert_int_equal(errorOf([&] { parseStreamSends(many.get()); }), 1003);
}

static void chat_messages(void**) {
    Json ok = Json::parse(R"({"text":"hello","to":42})");
    RequestReader reader(ok.get());
    auto chat = parseChat(reader, 100);
    assert_string_equal(chat.text.c_str(), "hello");
    assert_int_equal(*chat.to, 42);
    Json longer = Json::object();
    longer.set("text", std::string(101, 'x'));
    RequestReader tooLong(longer.get());
    assert_int_equal(errorOf([&] { parseChat(tooLong, 100); }), 1201);
    Json empty = Json::parse(R"({"text":""})");
    RequestReader emptyReader(empty.get());
    assert_int_equal(errorOf([&] { parseChat(emptyReader, 100); }), 1003);
    Json extra = Json::parse(R"({"text":"a","colour":"red"})");
    RequestReader extraReader(extra.get());
    assert_int_equal(errorOf([&] { parseChat(extraReader, 100); }), 1003);
}

static void dial_targets(void**) {
    assert_string_equal(parseDialTarget("sip:bob@example.com", "").c_str(), "sip:bob@example.com");
    assert_string_equal(parseDialTarget("  sips:bob@example.com:5061 ", "").c_str(), "sips:bob@example.com:5061");
    assert_string_equal(parseDialTarget("bob@127.0.0.1:5078", "").c_str(), "sip:bob@127.0.0.1:5078");
    assert_string_equal(parseDialTarget("+31 (20) 555-0100", "pstn.example.com").c_str(),
                        "sip:+31205550100@pstn.example.com");
    assert_string_equal(parseDialTarget("112", "gw.example").c_str(), "sip:112@gw.example");
    // A number with no dial_domain configured, and what is neither a number nor a SIP URI.
    for (const char* bad : {"+31 20 555 0100", "", "   ", "sip:nobody", "tel:+3120555", "http://x@y", "sip:@host",
                            "sip:a@", "sip:a b@host", "sip:a@host>", "12", "bob"})
        assert_int_equal(errorOf([&] { parseDialTarget(bad, ""); }), 1003);
    assert_int_equal(errorOf([&] { parseDialTarget("sip:" + std::string(600, 'a') + "@h", ""); }), 1003);
}

static void remote_streams(void**) {
    Json list = Json::parse(R"([{"mindex":0,"mid":"a","type":"audio","codec":"opus","pt":111},
                                {"mindex":1,"mid":"v","type":"video","codec":"vp8","pt":96,"description":"screen"}])");
    auto streams = parseRemoteStreams(list.get());
    assert_int_equal(streams.size(), 2);
    assert_int_equal(streams[1].mindex, 1);
    assert_string_equal(streams[1].type.c_str(), "video");
    assert_string_equal(streams[1].description.c_str(), "screen");
    assert_int_equal(streams[0].pt, 111);
    for (const char* text : {
             R"({"mindex":0})",                                                                   // not an array
             R"([{"mindex":64,"mid":"a","type":"audio","codec":"opus","pt":111}])",               // m-line out of range
             R"([{"mindex":0,"mid":"a","type":"screen","codec":"vp8","pt":96}])",                 // no such type
             R"([{"mindex":0,"mid":"a","type":"audio","codec":"opus","pt":128}])",                // pt out of range
             R"([{"mindex":2,"mid":"a","type":"audio","codec":"opus","pt":111},
                 {"mindex":2,"mid":"b","type":"video","codec":"vp8","pt":96}])",                  // m-line twice
             R"([{"mid":"a","type":"audio","codec":"opus","pt":111}])", R"([7])"}) {
        Json bad = Json::parse(text);
        int code = errorOf([&] { parseRemoteStreams(bad.get()); });
        assert_true(code == 1003 || code == 1002);
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(room_ids_by_number_or_name),
        cmocka_unit_test(feed_selectors),
        cmocka_unit_test(stream_sends),
        cmocka_unit_test(chat_messages),
        cmocka_unit_test(dial_targets),
        cmocka_unit_test(remote_streams),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
