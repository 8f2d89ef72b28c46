// sylkcore/push without a network: the JWTs (verified with libjwt against the public keys),
// the APNs and FCM requests, answer classification, RFC 8599 Contact parameters, the token
// registry and the REST API's routes and bodies.
#include "cmocka_cpp.hpp"

#include <jwt.h>

#include <cstdlib>
#include <string>

#include "sylkcore/push/credentials.hpp"
#include "sylkcore/push/jwt_signer.hpp"
#include "sylkcore/push/pn_params.hpp"
#include "sylkcore/push/push_api_request.hpp"
#include "sylkcore/push/push_request.hpp"
#include "sylkcore/push/token_registry.hpp"

using namespace sylk;
using namespace sylk::push;

namespace {

std::string fixture(const char* name) {
    return readFile(std::string(PUSH_FIXTURES) + "/" + name);
}

std::string header(const HttpRequest& request, const std::string& name) {
    for (const auto& [key, value] : request.headers)
        if (key == name)
            return value;
    return "<absent>";
}

jwt_t* verify(const std::string& token, const std::string& publicKey) {
    jwt_t* jwt = nullptr;
    int rc = jwt_decode(&jwt, token.c_str(), reinterpret_cast<const unsigned char*>(publicKey.data()),
                        static_cast<int>(publicKey.size()));
    assert_int_equal(rc, 0);
    return jwt;
}

void apnsTokenIsEs256WithKidIssIat(void**) {
    ApnsCredentials credentials{fixture("apns_key.p8"), "KEY1234567", "TEAM123456"};
    std::string token = makeApnsProviderToken(credentials, 1700000000);
    jwt_t* jwt = verify(token, fixture("apns_key.pub"));
    assert_int_equal(jwt_get_alg(jwt), JWT_ALG_ES256);
    assert_string_equal(jwt_get_header(jwt, "kid"), "KEY1234567");
    assert_string_equal(jwt_get_grant(jwt, "iss"), "TEAM123456");
    assert_int_equal(jwt_get_grant_int(jwt, "iat"), 1700000000);
    jwt_free(jwt);
    // Signed with another key it does not verify.
    jwt_t* other = nullptr;
    std::string wrong = fixture("fcm_key.pub");
    assert_int_not_equal(jwt_decode(&other, token.c_str(), reinterpret_cast<const unsigned char*>(wrong.data()),
                                    static_cast<int>(wrong.size())),
                         0);
}

void apnsTokenRenewsAfterFiftyMinutes(void**) {
    ApnsProviderToken provider(ApnsCredentials{fixture("apns_key.p8"), "KEY1234567", "TEAM123456"});
    std::string first = provider.at(1000);
    assert_true(provider.at(1000 + 49 * 60) == first);
    assert_int_equal(provider.issuedAt(), 1000);
    std::string second = provider.at(1000 + 50 * 60);
    assert_true(second != first);
    assert_int_equal(provider.issuedAt(), 1000 + 50 * 60);
}

void googleAssertionClaims(void**) {
    ServiceAccount account{"proj-1", "pusher@proj-1.iam.gserviceaccount.com", fixture("fcm_key.pem"), "kid-1",
                           "https://oauth2.example/token"};
    jwt_t* jwt = verify(makeGoogleAssertion(account, 1700000000), fixture("fcm_key.pub"));
    assert_int_equal(jwt_get_alg(jwt), JWT_ALG_RS256);
    assert_string_equal(jwt_get_header(jwt, "kid"), "kid-1");
    assert_string_equal(jwt_get_grant(jwt, "iss"), "pusher@proj-1.iam.gserviceaccount.com");
    assert_string_equal(jwt_get_grant(jwt, "sub"), "pusher@proj-1.iam.gserviceaccount.com");
    assert_string_equal(jwt_get_grant(jwt, "aud"), "https://oauth2.example/token");
    assert_string_equal(jwt_get_grant(jwt, "scope"), kFcmScope);
    assert_int_equal(jwt_get_grant_int(jwt, "exp") - jwt_get_grant_int(jwt, "iat"), 3600);
    jwt_free(jwt);
    HttpRequest request = buildTokenRequest("https://oauth2.example/token", "a.b.c");
    assert_string_equal(request.contentType.c_str(), "application/x-www-form-urlencoded");
    assert_string_equal(request.body.c_str(),
                        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=a.b.c");
    std::string token;
    int64_t expires = 0;
    assert_true(parseTokenResponse(R"({"access_token":"ya29.x","expires_in":3599,"token_type":"Bearer"})", token, expires));
    assert_string_equal(token.c_str(), "ya29.x");
    assert_int_equal(expires, 3599);
    assert_false(parseTokenResponse(R"({"access_token":"","expires_in":3599})", token, expires));
    assert_false(parseTokenResponse("not json", token, expires));
}

PushTarget apnsTarget(bool voip) {
    PushTarget target;
    target.account = "alice@example.com";
    target.provider = "apns";
    target.app = "com.example.sylk";
    target.token = "abcdef0123";
    target.voip = voip;
    return target;
}

void apnsRequests(void**) {
    PushEvent call;
    call.kind = PushEvent::Kind::IncomingCall;
    call.callId = "call-1";
    call.from = "sip:bob@example.com";
    HttpRequest voip = buildApnsRequest("https://apns.test:1", apnsTarget(true), call, "JWT", 5000);
    assert_string_equal(voip.url.c_str(), "https://apns.test:1/3/device/abcdef0123");
    assert_string_equal(header(voip, "authorization").c_str(), "bearer JWT");
    assert_string_equal(header(voip, "apns-topic").c_str(), "com.example.sylk.voip");
    assert_string_equal(header(voip, "apns-push-type").c_str(), "voip");
    assert_string_equal(header(voip, "apns-priority").c_str(), "10");
    assert_string_equal(header(voip, "apns-expiration").c_str(), "5060");
    Json body = Json::parse(voip.body);
    assert_string_equal(json_string_value(body.member("event")), "incoming_session");
    assert_string_equal(json_string_value(body.member("call-id")), "call-1");

    PushEvent message;
    message.kind = PushEvent::Kind::Message;
    message.from = "sip:bob@example.com";
    message.badge = 3;
    HttpRequest alert = buildApnsRequest("https://apns.test:1", apnsTarget(false), message, "JWT", 5000);
    assert_string_equal(header(alert, "apns-topic").c_str(), "com.example.sylk");
    assert_string_equal(header(alert, "apns-push-type").c_str(), "alert");
    assert_string_equal(header(alert, "apns-expiration").c_str(), "91400");
    Json alertBody = Json::parse(alert.body);
    assert_int_equal(json_integer_value(json_object_get(alertBody.member("aps"), "badge")), 3);

    PushEvent cancel;
    cancel.kind = PushEvent::Kind::Cancel;
    HttpRequest background = buildApnsRequest("https://apns.test:1", apnsTarget(false), cancel, "JWT", 5000);
    assert_string_equal(header(background, "apns-push-type").c_str(), "background");
    assert_string_equal(header(background, "apns-priority").c_str(), "5");
    // A cancel to a PushKit token is a voip push: it must reach the app that rang.
    assert_string_equal(apnsPushType(apnsTarget(true), cancel).c_str(), "voip");
}

void fcmRequest(void**) {
    PushTarget target;
    target.provider = "fcm";
    target.app = "com.example.sylk";
    target.token = "fcm-token";
    PushEvent message;
    message.kind = PushEvent::Kind::Message;
    message.badge = 7;
    HttpRequest request = buildFcmRequest("https://fcm.test:2", "proj-1", target, message, "ACCESS");
    assert_string_equal(request.url.c_str(), "https://fcm.test:2/v1/projects/proj-1/messages:send");
    assert_string_equal(header(request, "authorization").c_str(), "Bearer ACCESS");
    Json body = Json::parse(request.body);
    json_t* fcm = body.member("message");
    assert_string_equal(json_string_value(json_object_get(fcm, "token")), "fcm-token");
    json_t* data = json_object_get(fcm, "data");
    assert_string_equal(json_string_value(json_object_get(data, "badge")), "7");  // data values are strings
    assert_string_equal(json_string_value(json_object_get(data, "event")), "message");
}

void classification(void**) {
    assert_int_equal(static_cast<int>(classifyApns(200, "")), static_cast<int>(Outcome::Delivered));
    assert_int_equal(static_cast<int>(classifyApns(410, R"({"reason":"Unregistered"})")), static_cast<int>(Outcome::Gone));
    assert_int_equal(static_cast<int>(classifyApns(400, R"({"reason":"BadDeviceToken"})")), static_cast<int>(Outcome::Gone));
    assert_int_equal(static_cast<int>(classifyApns(400, R"({"reason":"BadTopic"})")), static_cast<int>(Outcome::Failed));
    assert_int_equal(static_cast<int>(classifyApns(503, "")), static_cast<int>(Outcome::Retry));
    assert_int_equal(static_cast<int>(classifyApns(429, "")), static_cast<int>(Outcome::Retry));
    assert_int_equal(static_cast<int>(classifyFcm(404, "")), static_cast<int>(Outcome::Gone));
    assert_int_equal(static_cast<int>(classifyFcm(400, R"({"error":{"status":"UNREGISTERED"}})")), static_cast<int>(Outcome::Gone));
    assert_int_equal(static_cast<int>(classifyFcm(500, "")), static_cast<int>(Outcome::Retry));
    assert_int_equal(static_cast<int>(classifyFcm(400, R"({"error":{"status":"INVALID_ARGUMENT"}})")), static_cast<int>(Outcome::Failed));
}

void pnParams(void**) {
    std::string error;
    auto apns = parsePnParams("<sip:alice@10.0.0.1:5060;transport=tcp;pn-provider=apns;pn-prid=00fc13adff78512;"
                              "pn-param=ABCD1234.com.example.sylk.voip>;expires=600", &error);
    assert_true(apns.has_value());
    assert_string_equal(apns->provider.c_str(), "apns");
    assert_string_equal(apns->token.c_str(), "00fc13adff78512");
    assert_string_equal(apns->app.c_str(), "com.example.sylk");
    assert_true(apns->voip);
    auto fcm = parsePnParams("<sip:a@h>;pn-provider=FCM;pn-prid=tok%3Aen;pn-param=proj-1", &error);
    assert_true(fcm.has_value());
    assert_string_equal(fcm->provider.c_str(), "fcm");
    assert_string_equal(fcm->token.c_str(), "tok:en");
    assert_false(fcm->voip);
    // Not a push binding: no error.
    assert_false(parsePnParams("<sip:alice@10.0.0.1>;expires=600", &error).has_value());
    assert_true(error.empty());
    // Broken ones: an error each.
    const char* bad[] = {
        "<sip:a@h;pn-provider=webpush;pn-prid=x;pn-param=y>",
        "<sip:a@h;pn-provider=apns;pn-param=T.com.x>",
        "<sip:a@h;pn-provider=apns;pn-prid=x;pn-param=nodot>",
        "<sip:a@h;pn-provider=apns;pn-prid=x%zz;pn-param=T.a>",
        "<sip:a@h;pn-provider=apns;pn-provider=fcm;pn-prid=x;pn-param=T.a>",
        "<sip:a@h;pn-provider=fcm;pn-prid;pn-param=p>",
        "<sip:a@h;pn-provider=fcm;pn-prid=x;pn-param=p",
    };
    for (const char* contact : bad) {
        assert_false(parsePnParams(contact, &error).has_value());
        assert_false(error.empty());
    }
}

void registry(void**) {
    TokenRegistry tokens(":memory:");
    PushTarget a = apnsTarget(true);
    a.device = "phone";
    assert_true(tokens.add(a));
    assert_false(tokens.add(a));  // unchanged
    PushTarget b = a;
    b.device = "tablet";
    b.token = "other";
    assert_true(tokens.add(b));
    assert_int_equal(tokens.list("alice@example.com").size(), 2);
    assert_int_equal(tokens.removeToken("apns", "other"), 1);
    assert_int_equal(tokens.list("alice@example.com").size(), 1);
    assert_int_equal(tokens.remove("alice@example.com", "", "phone"), 1);
    assert_int_equal(tokens.count(), 0);
}

void apiRoutesAndBodies(void**) {
    ApiRoute route = routeOf("POST", "/v2/tokens/alice@example.com/push/phone-1");
    assert_int_equal(static_cast<int>(route.kind), static_cast<int>(ApiRoute::Kind::PushAccount));
    assert_string_equal(route.account.c_str(), "alice@example.com");
    assert_string_equal(route.device.c_str(), "phone-1");
    assert_int_equal(static_cast<int>(routeOf("DELETE", "/v2/tokens/alice@example.com").kind),
                     static_cast<int>(ApiRoute::Kind::RemoveToken));
    assert_int_equal(static_cast<int>(routeOf("GET", "/push").kind), static_cast<int>(ApiRoute::Kind::MethodNotAllowed));
    assert_int_equal(static_cast<int>(routeOf("POST", "/v2/tokens/noatsign").kind), static_cast<int>(ApiRoute::Kind::NotFound));
    assert_int_equal(static_cast<int>(routeOf("POST", "/v2/tokens/a@b/pushx").kind), static_cast<int>(ApiRoute::Kind::NotFound));
    std::string error;
    auto target = readTokenBody(Json::parse(R"({"app-id":"com.example.sylk.voip","platform":"ios","token":"ab","device-id":"d1"})"),
                                "alice@example.com", &error);
    assert_true(target.has_value());
    assert_true(target->voip);
    assert_string_equal(target->app.c_str(), "com.example.sylk");
    assert_false(readTokenBody(Json::parse(R"({"app-id":"x","platform":"windows","token":"ab"})"), "a@b", &error).has_value());
    assert_false(readTokenBody(Json::parse(R"({"app-id":"x","platform":"ios"})"), "a@b", &error).has_value());
    assert_string_equal(error.c_str(), "missing \"token\"");
    auto event = readEventBody(Json::parse(R"({"event":"incoming_session","call-id":"c","sip-from":"sip:b@x","badge":2})"), &error);
    assert_true(event.has_value());
    assert_int_equal(static_cast<int>(event->kind), static_cast<int>(PushEvent::Kind::IncomingCall));
    assert_false(readEventBody(Json::parse(R"({"event":"reboot"})"), &error).has_value());
    assert_false(readEventBody(Json::parse(R"({"event":"message","badge":-1})"), &error).has_value());
}

}  // namespace

int main() {
    const CMUnitTest tests[] = {
        cmocka_unit_test(apnsTokenIsEs256WithKidIssIat), cmocka_unit_test(apnsTokenRenewsAfterFiftyMinutes),
        cmocka_unit_test(googleAssertionClaims),         cmocka_unit_test(apnsRequests),
        cmocka_unit_test(fcmRequest),                    cmocka_unit_test(classification),
        cmocka_unit_test(pnParams),                      cmocka_unit_test(registry),
        cmocka_unit_test(apiRoutesAndBodies),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
