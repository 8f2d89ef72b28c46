// The SIP message class our stacks parse with (plugins/sip/sip_message_class.hpp): methods with
// any token character parse, garbage is an invalid request nta drops, and headers made by
// Sofia's own code still find their place in our messages; plus acceptsSdp over parsed Accepts.
#include <cstring>
#include <string>

#include "plugins/sip/sip_message.hpp"
#include "plugins/sip/sip_message_class.hpp"
#include "plugins/sip/sofia.hpp"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <sofia-sip/sip_util.h>
#pragma GCC diagnostic pop
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::sip;

namespace {

std::string options(const std::string& method, const std::string& extra = "") {
    return method + " sip:room@127.0.0.1 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 192.0.2.1:5070;branch=z9hG4bK1\r\n"
           "From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:room@127.0.0.1>\r\nCall-ID: c1\r\n"
           "CSeq: 7 " + method + "\r\n" + extra + "Content-Length: 0\r\n\r\n";
}

msg_t* parse(const msg_mclass_t* mclass, const std::string& text) {
    return msg_make(mclass, 0, text.data(), static_cast<ssize_t>(text.size()));
}

}  // namespace

static void takes_methods_with_any_token_character(void**) {
    assert_non_null(SipMessageClass::instance());
    for (const char* method : {"FOO*+", "B`Q", "X%Y'Z~!"}) {
        msg_t* msg = parse(SipMessageClass::instance(), options(method));
        assert_non_null(msg);
        sip_t* sip = sip_object(msg);
        assert_non_null(sip->sip_request);
        assert_int_equal(sip->sip_request->rq_method, sip_method_unknown);
        assert_string_equal(sip->sip_request->rq_method_name, method);
        assert_non_null(sip->sip_cseq);
        assert_int_equal(sip->sip_cseq->cs_seq, 7);
        assert_string_equal(sip->sip_cseq->cs_method_name, method);
        assert_null(sip->sip_error);
        assert_int_equal(sip_sanity_check(sip), 0);
        msg_destroy(msg);
    }
    // Sofia's own class calls such requests garbage: why ours wraps it.
    for (const char* method : {"FOO*+", "B`Q"}) {
        msg_t* stock = parse(sip_default_mclass(), options(method));
        assert_true(!stock || !sip_object(stock)->sip_request || sip_sanity_check(sip_object(stock)) < 0);
        msg_destroy(stock);
    }
    // Known methods and other versions parse as before.
    msg_t* msg = parse(SipMessageClass::instance(), options("OPTIONS"));
    assert_int_equal(sip_object(msg)->sip_request->rq_method, sip_method_options);
    msg_destroy(msg);
    std::string seven = options("OPTIONS");
    seven.replace(seven.find("SIP/2.0\r\n"), 7, "SIP/7.0");
    msg = parse(SipMessageClass::instance(), seven);
    assert_string_equal(sip_object(msg)->sip_request->rq_version, "SIP/7.0");
    msg_destroy(msg);
}

static void garbage_is_an_invalid_request(void**) {
    for (const char* garbage : {"hello there\r\n\r\n", "INVITE\r\n\r\n", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"}) {
        msg_t* msg = parse(SipMessageClass::instance(), garbage);
        assert_non_null(msg);
        sip_t* sip = sip_object(msg);
        if (std::strncmp(garbage, "GET", 3) == 0) {
            assert_true(sip_sanity_check(sip) < 0);  // parses, but is no SIP request: nta refuses it
        } else {
            assert_non_null(sip->sip_request);
            assert_int_equal(sip->sip_request->rq_url->url_type, url_invalid);
            assert_int_equal(sip->sip_request->rq_method, sip_method_ack);  // nta answers no ACK
            assert_true(sip_sanity_check(sip) < 0);
        }
        msg_destroy(msg);
    }
}

static void headers_made_by_sofia_fit_our_messages(void**) {
    // nta adds Vias and CSeqs of Sofia's own classes to messages of our class.
    msg_t* msg = msg_create(SipMessageClass::instance(), 0);
    sip_t* sip = sip_object(msg);
    sip_via_t* via = sip_via_make(msg_home(msg), "SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKx");
    sip_cseq_t* cseq = sip_cseq_create(msg_home(msg), 3, SIP_METHOD_OPTIONS);
    assert_int_equal(msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(sip), reinterpret_cast<msg_header_t*>(via)), 0);
    assert_int_equal(msg_header_insert(msg, reinterpret_cast<msg_pub_t*>(sip), reinterpret_cast<msg_header_t*>(cseq)), 0);
    assert_ptr_equal(sip->sip_via, via);
    assert_ptr_equal(sip->sip_cseq, cseq);
    msg_destroy(msg);
    // A compact-form Via is read by our parser too (a made message has no source: unchanged).
    std::string compact = options("OPTIONS");
    compact.replace(0, 0, "");
    compact.replace(compact.find("Via:"), 4, "v:");
    msg = parse(SipMessageClass::instance(), compact);
    assert_non_null(sip_object(msg)->sip_via);
    assert_string_equal(sip_object(msg)->sip_via->v_host, "192.0.2.1");
    msg_destroy(msg);
}

static void accept_takes_sdp_or_not(void**) {
    struct Case {
        const char* accept;
        bool takes;
    } cases[] = {{nullptr, true},          {"application/sdp", true},       {"text/plain, application/sdp", true},
                 {"application/*", true},  {"*/*;q=0.5", true},             {"text/plain", false},
                 {"application/sdp;q=0", false}, {"application/sdp;q=0.000", false}};
    for (const auto& c : cases) {
        std::string extra = c.accept ? std::string("Accept: ") + c.accept + "\r\n" : "";
        msg_t* msg = parse(SipMessageClass::instance(), options("INVITE", extra));
        assert_int_equal(acceptsSdp(sip_object(msg)), c.takes);
        msg_destroy(msg);
    }
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(takes_methods_with_any_token_character),
        cmocka_unit_test(garbage_is_an_invalid_request),
        cmocka_unit_test(headers_made_by_sofia_fit_our_messages),
        cmocka_unit_test(accept_takes_sdp_or_not),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
