// The web pages' view of janus (/config.json): API ports and RTCIceServer entries from janus.jcfg.
#include <stdexcept>
#include <string>

#include "cmocka_cpp.hpp"
#include "sylkcore/json.hpp"
#include "transports/http/client_config.hpp"

using sylk::Json;
using sylk::http::ApiPorts;
using sylk::http::ClientConfig;
using sylk::http::NatSettings;

static Json parsed(const ClientConfig& config) {
    Json json = Json::parse(config.json());
    assert_true(static_cast<bool>(json));
    return json;
}

static void no_nat_settings_means_no_ice_servers(void**) {
    Json json = parsed(ClientConfig(ApiPorts{8188, 0}, NatSettings{}));
    json_t* janus = json.member("janus");
    assert_int_equal(json_integer_value(json_object_get(janus, "ws_port")), 8188);
    assert_true(json_is_null(json_object_get(janus, "wss_port")));
    assert_int_equal(json_array_size(json.member("iceServers")), 0);
}

static void stun_and_turn_become_rtc_ice_servers(void**) {
    NatSettings nat;
    nat.stunServer = "stun.example.test";
    nat.stunPort = 3479;
    nat.turnServer = "10.79.0.1";
    nat.turnPort = 3478;
    nat.turnUser = "sylk";
    nat.turnPassword = "pass word";
    Json json = parsed(ClientConfig(ApiPorts{0, 8989}, nat));
    assert_true(json_is_null(json_object_get(json.member("janus"), "ws_port")));
    assert_int_equal(json_integer_value(json_object_get(json.member("janus"), "wss_port")), 8989);
    json_t* servers = json.member("iceServers");
    assert_int_equal(json_array_size(servers), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(servers, 0), "urls")), "stun:stun.example.test:3479");
    json_t* turn = json_array_get(servers, 1);
    assert_string_equal(json_string_value(json_object_get(turn, "urls")), "turn:10.79.0.1:3478?transport=udp");
    assert_string_equal(json_string_value(json_object_get(turn, "username")), "sylk");
    assert_string_equal(json_string_value(json_object_get(turn, "credential")), "pass word");
}

static void turn_types_and_ipv6(void**) {
    NatSettings nat;
    nat.turnServer = "2001:db8::1";
    nat.turnPort = 5349;
    nat.turnType = "tls";
    Json json = parsed(ClientConfig(ApiPorts{}, nat));
    json_t* turn = json_array_get(json.member("iceServers"), 0);
    assert_string_equal(json_string_value(json_object_get(turn, "urls")), "turns:[2001:db8::1]:5349?transport=tcp");
    assert_null(json_object_get(turn, "username"));  // no user: no credentials at all
    nat.turnType = "tcp";
    nat.turnServer = "turn.example.test";
    Json tcp = parsed(ClientConfig(ApiPorts{}, nat));
    turn = json_array_get(tcp.member("iceServers"), 0);
    assert_string_equal(json_string_value(json_object_get(turn, "urls")), "turn:turn.example.test:5349?transport=tcp");
}

static void unknown_turn_type_is_refused(void**) {
    NatSettings nat;
    nat.turnServer = "turn.example.test";
    nat.turnType = "sctp";
    try {
        ClientConfig config(ApiPorts{}, nat);
        fail_msg("turn_type sctp was accepted");
    } catch (const std::invalid_argument& e) {
        assert_non_null(strstr(e.what(), "turn_type"));
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_nat_settings_means_no_ice_servers),
        cmocka_unit_test(stun_and_turn_become_rtc_ice_servers),
        cmocka_unit_test(turn_types_and_ipv6),
        cmocka_unit_test(unknown_turn_type_is_refused),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
