// message/cpim (sylkcore/cpim), shared by the SIP plugin and the MSRP switch: RFC 3862's example,
// every To kept, addresses read and written, limits and malformed documents refused with a reason.
#include <string>

#include "sylkcore/cpim/cpim.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::cpim;

namespace {

// RFC 3862 section 6.1 (the example message), with CRLF line ends.
const char kRfcExample[] =
    "From: MR SANDERS <im:piglet@100akerwood.com>\r\n"
    "To: Depressed Donkey <im:eeyore@100akerwood.com>\r\n"
    "DateTime: 2000-12-13T13:40:00-08:00\r\n"
    "Subject: the weather will be fine today\r\n"
    "Subject:;lang=fr beau temps prevu pour aujourd'hui\r\n"
    "NS: MyFeatures <mid:MessageFeatures@id.foo.com>\r\n"
    "Require: MyFeatures.VitalMessageOption\r\n"
    "MyFeatures.VitalMessageOption: Confirmation-requested\r\n"
    "MyFeatures.WackyMessageOption: Use-silly-font\r\n"
    "\r\n"
    "Content-type: text/xml; charset=utf-8\r\n"
    "Content-ID: <1234567890@foo.com>\r\n"
    "\r\n"
    "<body>\r\nHere is the text of my message.\r\n</body>\r\n";

bool contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

}  // namespace

static void reads_the_rfc_example(void**) {
    auto message = parseCpim(kRfcExample);
    assert_true(message.has_value());
    assert_string_equal(message->from.c_str(), "MR SANDERS <im:piglet@100akerwood.com>");
    assert_string_equal(message->to.c_str(), "Depressed Donkey <im:eeyore@100akerwood.com>");
    assert_int_equal(message->recipients.size(), 1);
    assert_string_equal(message->dateTime.c_str(), "2000-12-13T13:40:00-08:00");
    assert_string_equal(message->contentType.c_str(), "text/xml; charset=utf-8");
    assert_string_equal(message->header("myfeatures.vitalmessageoption").c_str(), "Confirmation-requested");
    assert_string_equal(message->header("NS").c_str(), "MyFeatures <mid:MessageFeatures@id.foo.com>");
    assert_string_equal(message->body.c_str(), "<body>\r\nHere is the text of my message.\r\n</body>\r\n");
    assert_string_equal(addressUri(message->from).c_str(), "im:piglet@100akerwood.com");
}

static void keeps_every_recipient(void**) {
    auto message = parseCpim("From: <sip:a@x>\r\nTo: <sip:room@x>\r\nTo: Bob <sip:b@x>\r\n\r\n"
                             "Content-Type: text/plain\r\n\r\nhi");
    assert_true(message.has_value());
    assert_int_equal(message->recipients.size(), 2);
    assert_string_equal(message->recipients[0].c_str(), "<sip:room@x>");
    assert_string_equal(message->recipients[1].c_str(), "Bob <sip:b@x>");
    assert_string_equal(message->body.c_str(), "hi");
}

static void round_trips_what_it_builds(void**) {
    CpimMessage sent;
    sent.from = address("Alice \"the\" \\ Great", "sip:alice@example.com");
    sent.to = address("", "sip:room@example.com");
    sent.dateTime = cpimNow();
    sent.headers = {{"NS", "agp <urn:ag-projects:xml:ns:cpim>"}, {"agp.Message-Type", "status"}};
    sent.contentType = "text/plain;charset=utf-8";
    sent.body = "Welcome\r\n\r\nto the room";
    std::string text = buildCpim(sent);
    assert_true(contains(text, "From: \"Alice the  Great\" <sip:alice@example.com>\r\n"));
    assert_true(contains(text, "To: <sip:room@example.com>\r\n"));
    auto read = parseCpim(text);
    assert_true(read.has_value());
    assert_string_equal(addressUri(read->from).c_str(), "sip:alice@example.com");
    assert_string_equal(addressUri(read->to).c_str(), "sip:room@example.com");
    assert_string_equal(read->header("agp.message-type").c_str(), "status");
    assert_string_equal(read->body.c_str(), sent.body.c_str());
    assert_int_equal(read->dateTime.size(), 20);  // 2026-11-27T07:40:00Z
}

static void reads_addresses(void**) {
    assert_string_equal(addressUri("  sip:a@b ").c_str(), "sip:a@b");
    assert_string_equal(addressUri("<sip:a@b>").c_str(), "sip:a@b");
    assert_string_equal(addressUri("\"A <x> \\\" y\" <sip:a@b>").c_str(), "sip:a@b");
    assert_string_equal(addressUri("\"unclosed <sip:a@b>").c_str(), "");
    assert_string_equal(addressUri("Alice <sip:a@b").c_str(), "");
}

static void refuses_malformed_documents(void**) {
    std::string reason;
    assert_false(parseCpim("From: <sip:a@b>\r\n", &reason).has_value());
    assert_string_equal(reason.c_str(), "no blank line after the headers");
    assert_false(parseCpim(": <sip:a@b>\r\n\r\n\r\nx", &reason).has_value());
    assert_string_equal(reason.c_str(), "a header line without a name");
    assert_false(parseCpim("From <sip:a@b>\r\n\r\n\r\nx", &reason).has_value());
    assert_string_equal(reason.c_str(), "a header name that is not a token");
    assert_false(parseCpim(std::string("From: a\x01\r\n\r\n\r\nx"), &reason).has_value());
    assert_string_equal(reason.c_str(), "control characters in a header");
    std::string many;
    for (int i = 0; i < 65; ++i)
        many += "X-" + std::to_string(i) + ": v\r\n";
    assert_false(parseCpim(many + "\r\n\r\nx", &reason).has_value());
    assert_string_equal(reason.c_str(), "too many headers");
}

static void honours_the_size_limit(void**) {
    std::string big = "From: <sip:a@b>\r\n\r\nContent-Type: image/png\r\n\r\n" + std::string(100 * 1024, 'x');
    std::string reason;
    assert_false(parseCpim(big, &reason).has_value());
    assert_true(contains(reason, "larger than 65536 bytes"));
    auto read = parseCpim(big, &reason, 1024 * 1024);
    assert_true(read.has_value());
    assert_int_equal(read->body.size(), 100 * 1024);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_the_rfc_example),
        cmocka_unit_test(keeps_every_recipient),
        cmocka_unit_test(round_trips_what_it_builds),
        cmocka_unit_test(reads_addresses),
        cmocka_unit_test(refuses_malformed_documents),
        cmocka_unit_test(honours_the_size_limit),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
