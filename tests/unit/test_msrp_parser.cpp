// The MSRP frame reader, URIs, Byte-Range, serialization and chunk reassembly
// (sylkcore/msrp): RFC 4975's example messages (tests/fuzz/corpus/msrp_parser, also the
// fuzzer's seeds) read whole and split at every byte boundary, end-lines inside bodies, the
// limits, malformed headers that still frame, URI comparison (RFC 4975 §6.1).
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "sylkcore/msrp/incoming_assembly.hpp"
#include "sylkcore/msrp/parser.hpp"
#include "sylkcore/msrp/uri.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::msrp;

static std::string fixture(const std::string& name) {
    std::ifstream in(std::string(MSRP_FIXTURES) + "/" + name, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

static std::vector<std::string> fixtureNames() {
    std::vector<std::string> names;
    DIR* dir = opendir(MSRP_FIXTURES);
    if (!dir)
        return names;
    while (dirent* entry = readdir(dir)) {
        if (entry->d_name[0] != '.')
            names.push_back(entry->d_name);
    }
    closedir(dir);
    std::sort(names.begin(), names.end());
    return names;
}

static std::vector<Message> readWhole(const std::string& bytes) {
    Parser parser;
    std::vector<Message> frames;
    parser.feed(bytes, frames);
    assert_int_equal(parser.pending(), 0);
    return frames;
}

static void the_rfc_send_example_reads(void**) {
    auto frames = readWhole(fixture("rfc4975_s4_send"));
    assert_int_equal(frames.size(), 1);
    const Message& send = frames[0];
    assert_true(send.request);
    assert_string_equal(send.method.c_str(), "SEND");
    assert_string_equal(send.transactionId.c_str(), "a786hjs2");
    assert_int_equal(send.toPath.size(), 1);
    assert_string_equal(send.toPath[0].host.c_str(), "biloxi.example.com");
    assert_int_equal(send.toPath[0].port, 12763);
    assert_string_equal(send.toPath[0].sessionId.c_str(), "kjhd37s2s20w2a");
    assert_string_equal(send.fromPath[0].sessionId.c_str(), "jshA7weztas");
    assert_string_equal(send.messageId().c_str(), "87652491");
    assert_string_equal(send.contentType().c_str(), "text/plain");
    assert_string_equal(send.body.c_str(), "Hey Bob, are you there?");
    assert_true(send.continuation == Continuation::End);
    ByteRange range = send.byteRange();
    assert_int_equal(range.start, 1);
    assert_int_equal(*range.end, 25);
    assert_int_equal(*range.total, 25);
    assert_true(send.malformed.empty());

    auto responses = readWhole(fixture("rfc4975_s4_response"));
    assert_int_equal(responses.size(), 1);
    assert_false(responses[0].request);
    assert_int_equal(responses[0].status, 200);
    assert_string_equal(responses[0].comment.c_str(), "OK");
    assert_true(responses[0].body.empty());
}

static void other_rfc_examples_read(void**) {
    auto report = readWhole(fixture("rfc4975_s10_4_report"))[0];
    assert_string_equal(report.method.c_str(), "REPORT");
    assert_string_equal(report.header("status").value().c_str(), "000 200 OK");
    assert_true(report.body.empty());

    auto first = readWhole(fixture("rfc4975_s10_3_chunk_first"))[0];
    assert_true(first.continuation == Continuation::More);
    assert_false(first.byteRange().end.has_value());
    assert_int_equal(*first.byteRange().total, 8191);

    auto aborted = readWhole(fixture("rfc4975_s10_3_chunk_abort"))[0];
    assert_true(aborted.continuation == Continuation::Abort);
    assert_string_equal(aborted.body.c_str(), "(image data)");

    auto bodiless = readWhole(fixture("rfc4975_s5_4_bodiless_send"))[0];
    assert_true(bodiless.body.empty());
    assert_false(bodiless.header("Content-Type").has_value());

    auto auth = readWhole(fixture("rfc4976_auth"))[0];
    assert_string_equal(auth.method.c_str(), "AUTH");
    assert_true(auth.toPath[0].secure);
    assert_string_equal(auth.toPath[0].user.c_str(), "alice");
    assert_int_equal(auth.toPath[0].port, 0);
    assert_true(auth.toPath[0].sessionId.empty());

    auto unauthorized = readWhole(fixture("rfc4976_401"))[0];
    assert_int_equal(unauthorized.status, 401);
    assert_true(unauthorized.header("WWW-Authenticate")->find("nonce=") != std::string::npos);

    auto nickname = readWhole(fixture("rfc7701_nickname"))[0];
    assert_string_equal(nickname.header("Use-Nickname")->c_str(), "\"Alice the Great\"");

    // The body holds "-------<tid>" followed by something else than a flag and CRLF, twice.
    auto two = readWhole(fixture("two_frames_and_foreign_endline"));
    assert_int_equal(two.size(), 2);
    assert_string_equal(two[1].body.c_str(), "-------abcd12345$\r\n-------abcd1234X");
    assert_true(two[1].continuation == Continuation::More);
}

// Every example, and all of them back to back, split in two at every byte and fed one byte at
// a time: the same frames as read whole.
static void every_split_reads_the_same(void**) {
    std::string all;
    for (const auto& name : fixtureNames())
        all += fixture(name);
    auto whole = readWhole(all);
    assert_true(whole.size() >= 13);
    std::vector<std::string> expected;
    for (const auto& frame : whole)
        expected.push_back(frame.serialize());
    for (size_t split = 0; split <= all.size(); ++split) {
        Parser parser;
        std::vector<Message> frames;
        parser.feed(std::string_view(all).substr(0, split), frames);
        parser.feed(std::string_view(all).substr(split), frames);
        assert_int_equal(frames.size(), whole.size());
        for (size_t i = 0; i < frames.size(); ++i)
            assert_string_equal(frames[i].serialize().c_str(), expected[i].c_str());
    }
    Parser bytewise;
    std::vector<Message> frames;
    for (char c : all)
        bytewise.feed(std::string_view(&c, 1), frames);
    assert_int_equal(frames.size(), whole.size());
    for (size_t i = 0; i < frames.size(); ++i)
        assert_string_equal(frames[i].serialize().c_str(), expected[i].c_str());
}

static void serialize_reads_back(void**) {
    Message send = Message::makeRequest("SEND", {Uri::parse("msrp://b.example:2855/s2;tcp")},
                                        {Uri::parse("msrps://a.example:2856/s1;tcp")});
    send.setHeader("Message-ID", "m1");
    send.setHeader("Byte-Range", "1-5/10");
    send.setHeader("Content-Type", "text/plain");
    send.body = "a\r\nbc";
    send.continuation = Continuation::More;
    std::string wire = send.serialize();
    auto back = readWhole(wire);
    assert_int_equal(back.size(), 1);
    assert_string_equal(back[0].serialize().c_str(), wire.c_str());
    assert_string_equal(back[0].body.c_str(), "a\r\nbc");

    Message response = back[0].makeResponse(200, "OK");
    assert_string_equal(response.toPath[0].str().c_str(), "msrps://a.example:2856/s1;tcp");
    assert_string_equal(response.fromPath[0].str().c_str(), "msrp://b.example:2855/s2;tcp");
    assert_string_equal(response.serialize().c_str(),
                        ("MSRP " + send.transactionId +
                         " 200 OK\r\nTo-Path: msrps://a.example:2856/s1;tcp\r\nFrom-Path: msrp://b.example:2855/s2;tcp\r\n"
                         "-------" + send.transactionId + "$\r\n").c_str());

    // An empty message with a Content-Type keeps its empty line and reads back as empty.
    Message empty = send;
    empty.body.clear();
    auto emptyBack = readWhole(empty.serialize());
    assert_true(emptyBack[0].body.empty());
    assert_true(emptyBack[0].header("Content-Type").has_value());
}

static void bad_headers_still_frame(void**) {
    std::string frames =
        "MSRP t0001 SEND\r\nTo-Path: http://nope/;tcp\r\nFrom-Path: msrp://a:1/b;tcp\r\nMessage-ID: 1\r\n"
        "Content-Type: text/plain\r\n\r\nx\r\n-------t0001$\r\n"
        "MSRP t0002 SEND\r\nFrom-Path: msrp://a:1/b;tcp\r\n-------t0002$\r\n"
        "MSRP t0003 SEND\r\nTo-Path: msrp://a:1/b;tcp\r\nFrom-Path: msrp://a:1/b;tcp\r\nByte-Range: 9-3/4\r\n-------t0003$\r\n"
        "MSRP t0004 SEND\r\nTo-Path: msrp://a:1/b;tcp\r\nFrom-Path: msrp://a:1/b;tcp\r\nno colon here\r\n-------t0004$\r\n"
        "MSRP t0005 FOO\r\nTo-Path: msrp://a:1/b;tcp\r\nFrom-Path: msrp://a:1/b;tcp\r\n-------t0005$\r\n";
    auto read = readWhole(frames);
    assert_int_equal(read.size(), 5);
    for (size_t i = 0; i < 4; ++i)
        assert_false(read[i].malformed.empty());
    assert_true(read[4].malformed.empty());  // an unknown method is the receiver's business (501)
    assert_string_equal(read[4].method.c_str(), "FOO");
}

static bool framingFails(const std::string& bytes, Parser::Limits limits = {}) {
    Parser parser(limits);
    std::vector<Message> frames;
    try {
        parser.feed(bytes, frames);
    } catch (const ParseError&) {
        // Stays failed.
        try {
            parser.feed("MSRP abcd SEND\r\n", frames);
        } catch (const ParseError&) {
            return true;
        }
        return false;
    }
    return false;
}

static void framing_errors_and_limits(void**) {
    assert_true(framingFails("GET / HTTP/1.1\r\n"));
    assert_true(framingFails("MSRP ab SEND\r\n"));        // transaction id too short
    assert_true(framingFails("MSRP abcd send\r\n"));      // methods are upper case
    assert_true(framingFails("MSRP abcd\r\n"));
    assert_true(framingFails("MSRP abcd SEND\r\n-------abcd!\r\n"));  // not a flag
    assert_true(framingFails("MSRP abcd SEND\r\n-------wxyz$\r\n"));  // another transaction's end-line
    Parser::Limits small{.maxHeaderBytes = 64, .maxBodyBytes = 16};
    assert_true(framingFails("MSRP abcd SEND\r\nX: " + std::string(100, 'a'), small));
    assert_true(framingFails("MSRP abcd SEND\r\nTo-Path: msrp://a:1/b;tcp\r\n\r\n" + std::string(40, 'a'), small));
    // Right at the limit is fine.
    std::string sixteen = "MSRP abcd SEND\r\nTo-Path: msrp://a:1/b;tcp\r\n\r\n" + std::string(16, 'a') + "\r\n-------abcd$\r\n";
    Parser parser(small);
    std::vector<Message> frames;
    parser.feed(sixteen, frames);
    assert_int_equal(frames.size(), 1);
    assert_int_equal(frames[0].body.size(), 16);
}

static void uris_compare_as_rfc4975_says(void**) {
    Uri a = Uri::parse("MSRP://Alice@Host.Example.COM:7777/iau39soe2843z;TCP");
    Uri b = Uri::parse("msrp://host.example.com:7777/iau39soe2843z;tcp");
    assert_true(a == b);  // scheme, host, transport case-insensitive; userinfo ignored
    assert_true(Uri::parse("msrp://host:7777/IAU;tcp") != Uri::parse("msrp://host:7777/iau;tcp"));
    assert_true(Uri::parse("msrp://host/x;tcp") != Uri::parse("msrp://host:2855/x;tcp"));  // explicit port
    assert_true(Uri::parse("msrps://host:1/x;tcp") != Uri::parse("msrp://host:1/x;tcp"));
    assert_true(Uri::parse("msrp://host:1/x;tcp") != Uri::parse("msrp://host:1/x;sctp"));
    assert_true(Uri::parse("msrp://host:1;tcp") != Uri::parse("msrp://host:1/x;tcp"));
    Uri v6 = Uri::parse("msrp://[2001:db8::1]:2855/a/b=+;tcp;x=y");
    assert_string_equal(v6.host.c_str(), "2001:db8::1");
    assert_string_equal(v6.sessionId.c_str(), "a/b=+");
    assert_string_equal(v6.str().c_str(), "msrp://[2001:db8::1]:2855/a/b=+;tcp;x=y");
    assert_string_equal(v6.hostPort().c_str(), "[2001:db8::1]:2855");
    for (const char* bad : {"sip:alice@example.com", "msrp://host:1/x", "msrp://:1/x;tcp", "msrp://host:0/x;tcp",
                            "msrp://host:65536/x;tcp", "msrp://host:1/;tcp", "msrp://ho st:1/x;tcp", "msrp://host:1/x;",
                            "msrp://[zz]:1/x;tcp"}) {
        bool refused = false;
        try {
            Uri::parse(bad);
        } catch (const ParseError&) {
            refused = true;
        }
        assert_true(refused);
    }
    auto path = Uri::parsePath(" msrp://r:1;tcp  msrp://p:2/s;tcp ");
    assert_int_equal(path.size(), 2);
    assert_string_equal(Uri::pathString(path).c_str(), "msrp://r:1;tcp msrp://p:2/s;tcp");
}

static void byte_ranges(void**) {
    assert_string_equal(ByteRange::parse("1-*/*").str().c_str(), "1-*/*");
    assert_string_equal(ByteRange::parse(" 4097-8191/8191 ").str().c_str(), "4097-8191/8191");
    assert_string_equal(ByteRange::parse("1-0/0").str().c_str(), "1-0/0");
    for (const char* bad : {"0-1/1", "5-3/9", "1-9/5", "a-1/1", "1-1", "1-2/3/4", "-1/1"}) {
        bool refused = false;
        try {
            ByteRange::parse(bad);
        } catch (const ParseError&) {
            refused = true;
        }
        assert_true(refused);
    }
}

static void chunks_reassemble_in_any_order(void**) {
    IncomingAssembly assembly;
    // "hello world" in three chunks, last first, one twice.
    assembly.add(6, "world", true, 11);
    assert_false(assembly.complete());
    assembly.add(0, "hello", false, 11);
    assert_false(assembly.complete());
    assert_true(assembly.add(0, "hello", false, 11).empty());  // duplicate: nothing new
    assembly.add(5, " ", false, 11);
    assert_true(assembly.complete());
    assert_int_equal(assembly.received(), 11);
    assert_string_equal(assembly.take().c_str(), "hello world");

    // Unknown total: complete once '$' came and nothing is missing.
    IncomingAssembly open;
    open.add(0, "ab", false, std::nullopt);
    open.add(4, "ef", true, std::nullopt);
    assert_false(open.complete());
    open.add(2, "cd", false, std::nullopt);
    assert_true(open.complete());
    assert_string_equal(open.take().c_str(), "abcdef");

    IncomingAssembly empty;
    empty.add(0, "", true, 0);
    assert_true(empty.complete());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_rfc_send_example_reads),
        cmocka_unit_test(other_rfc_examples_read),
        cmocka_unit_test(every_split_reads_the_same),
        cmocka_unit_test(serialize_reads_back),
        cmocka_unit_test(bad_headers_still_frame),
        cmocka_unit_test(framing_errors_and_limits),
        cmocka_unit_test(uris_compare_as_rfc4975_says),
        cmocka_unit_test(byte_ranges),
        cmocka_unit_test(chunks_reassemble_in_any_order),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
