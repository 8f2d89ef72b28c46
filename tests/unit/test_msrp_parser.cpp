// The MSRP frame reader, URIs, Byte-Range, serialization and chunk reassembly
// (sylkcore/msrp): the example messages of RFC 4975, RFC 4976 and RFC 7701 as printed there
// (tests/unit/fixtures/msrp, README.md says which section each is from; also the fuzzer's seeds)
// read with the fields the RFCs print, read whole and split at every byte boundary; end-lines
// inside bodies, the limits, malformed headers that still frame, URI comparison (RFC 4975 §6.1).
#include <dirent.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "sylkcore/msrp/incoming_assembly.hpp"
#include "sylkcore/msrp/parser.hpp"
#include "sylkcore/msrp/uri.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::msrp;

static std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    assert_true(in.good());
    return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

static std::string fixture(const std::string& name) { return readFile(std::string(MSRP_FIXTURES) + "/" + name); }

static std::vector<std::string> fixtureNames() {
    std::vector<std::string> names;
    DIR* dir = opendir(MSRP_FIXTURES);
    if (!dir)
        return names;
    while (dirent* entry = readdir(dir)) {
        // README.md describes the others.
        if (entry->d_name[0] != '.' && std::string(entry->d_name) != "README.md")
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

// One fixture, one frame.
static Message readFixture(const std::string& name) {
    auto frames = readWhole(fixture(name));
    assert_int_equal(frames.size(), 1);
    return frames[0];
}

static std::string path(const std::vector<Uri>& uris) { return Uri::pathString(uris); }

static void expectRequest(const Message& m, const char* method, const char* tid, const char* to, const char* from) {
    assert_true(m.request);
    assert_string_equal(m.method.c_str(), method);
    assert_string_equal(m.transactionId.c_str(), tid);
    assert_string_equal(path(m.toPath).c_str(), to);
    assert_string_equal(path(m.fromPath).c_str(), from);
}

static void expectResponse(const Message& m, const char* tid, int status, const char* comment, const char* to,
                           const char* from) {
    assert_false(m.request);
    assert_string_equal(m.transactionId.c_str(), tid);
    assert_int_equal(m.status, status);
    assert_string_equal(m.comment.c_str(), comment);
    assert_string_equal(path(m.toPath).c_str(), to);
    assert_string_equal(path(m.fromPath).c_str(), from);
    assert_true(m.body.empty());
    assert_true(m.continuation == Continuation::End);
    assert_true(m.malformed.empty());
}

static void expectRange(const Message& m, const char* range) {
    assert_string_equal(m.header("Byte-Range").value().c_str(), range);
    assert_string_equal(m.byteRange().str().c_str(), range);
}

static const char* kBob4 = "msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp";
static const char* kAlice4 = "msrp://atlanta.example.com:7654/jshA7weztas;tcp";
static const char* kBob11 = "msrp://bob.example.com:8888/9di4eae923wzd;tcp";
static const char* kAlice11 = "msrp://alicepc.example.com:7777/iau39soe2843z;tcp";

// RFC 4975 §4 Figure 2, §5.1 Figure 3, §11.1.
static void rfc4975_basic_exchange(void**) {
    Message send = readFixture("rfc4975_s4_fig2_send");
    expectRequest(send, "SEND", "a786hjs2", kBob4, kAlice4);
    assert_int_equal(send.toPath[0].port, 12763);
    assert_string_equal(send.toPath[0].host.c_str(), "biloxi.example.com");
    assert_string_equal(send.toPath[0].sessionId.c_str(), "kjhd37s2s20w2a");
    assert_string_equal(send.toPath[0].transport.c_str(), "tcp");
    assert_false(send.toPath[0].secure);
    assert_string_equal(send.messageId().c_str(), "87652491");
    // The RFC's Byte-Range counts 25 octets for a 23-octet body (the CRLF before the end-line
    // belongs to the end-line, RFC 4975 §9); the frame ends at the end-line, not at the range.
    expectRange(send, "1-25/25");
    assert_string_equal(send.contentType().c_str(), "text/plain");
    assert_string_equal(send.body.c_str(), "Hey Bob, are you there?");
    assert_true(send.continuation == Continuation::End);
    assert_true(send.malformed.empty());
    expectResponse(readFixture("rfc4975_s4_fig2_200"), "a786hjs2", 200, "OK", kAlice4, kBob4);

    // Figure 3 is a snippet: "abcdEFGH" in two chunks, To-Path and From-Path left out. The
    // chunks frame, and a receiver is told they lack the paths (it answers 400).
    Message first = readFixture("rfc4975_s5_1_fig3_chunk1");
    assert_string_equal(first.transactionId.c_str(), "dkei38sd");
    assert_string_equal(first.messageId().c_str(), "4564dpWd");
    expectRange(first, "1-*/8");
    assert_false(first.byteRange().end.has_value());
    assert_int_equal(*first.byteRange().total, 8);
    assert_string_equal(first.body.c_str(), "abcd");
    assert_true(first.continuation == Continuation::More);
    assert_string_equal(first.malformed.c_str(), "a request without To-Path and From-Path");
    Message second = readFixture("rfc4975_s5_1_fig3_chunk2");
    assert_string_equal(second.transactionId.c_str(), "dkei38ia");
    assert_string_equal(second.messageId().c_str(), "4564dpWd");
    expectRange(second, "5-8/8");
    assert_int_equal(second.byteRange().start, 5);
    assert_string_equal(second.body.c_str(), "EFGH");
    assert_true(second.continuation == Continuation::End);
    assert_false(second.malformed.empty());

    Message hiBob = readFixture("rfc4975_s11_1_step4_send");
    expectRequest(hiBob, "SEND", "d93kswow", kBob11, kAlice11);
    assert_string_equal(hiBob.messageId().c_str(), "12339sdqwer");
    expectRange(hiBob, "1-16/16");
    assert_string_equal(hiBob.body.c_str(), "Hi, I'm Alice!");
    assert_true(hiBob.malformed.empty());
    expectResponse(readFixture("rfc4975_s11_1_step5_200"), "d93kswow", 200, "OK", kAlice11, kBob11);
    Message hiAlice = readFixture("rfc4975_s11_1_step6_send");
    expectRequest(hiAlice, "SEND", "dkei38sd", kAlice11, kBob11);
    assert_string_equal(hiAlice.messageId().c_str(), "456s9wlk3");
    expectRange(hiAlice, "1-21/21");
    assert_string_equal(hiAlice.body.c_str(), "Hi, Alice!  I'm Bob!");
    expectResponse(readFixture("rfc4975_s11_1_step7_200"), "dkei38sd", 200, "OK", kBob11, kAlice11);
}

// RFC 4975 §11.2, §11.4, §11.5, §11.6.
static void rfc4975_more_examples(void**) {
    Message xhtml = readFixture("rfc4975_s11_2_fig13_xhtml");
    expectRequest(xhtml, "SEND", "dsdfoe38sd", "msrp://alice.example.com:7777/iau39soe2843z;tcp", kBob11);
    assert_string_equal(xhtml.messageId().c_str(), "456so39s");
    expectRange(xhtml, "1-374/374");
    assert_string_equal(xhtml.contentType().c_str(), "application/xhtml+xml");
    assert_int_equal(xhtml.body.find("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<!DOCTYPE html\r\n"), 0);
    assert_true(xhtml.body.ends_with("  </body>\r\n</html>"));

    const char* bobpc = "msrp://bobpc.example.com:8888/9di4eae923wzd;tcp";
    const char* alicepc = "msrp://alicepc.example.com:7654/iau39soe2843z;tcp";
    Message cpim1 = readFixture("rfc4975_s11_4_fig14_cpim_chunk1");
    expectRequest(cpim1, "SEND", "d93kswow", bobpc, alicepc);
    assert_string_equal(cpim1.messageId().c_str(), "12339sdqwer");
    expectRange(cpim1, "1-137/148");
    assert_int_equal(*cpim1.byteRange().end, 137);
    assert_int_equal(cpim1.body.size(), 137);  // here the range and the body agree
    assert_string_equal(cpim1.contentType().c_str(), "message/cpim");
    assert_true(cpim1.body.starts_with("To: Bob <sip:bob@example.com>\r\nFrom: Alice <sip:alice@example.com>\r\n"));
    assert_true(cpim1.body.ends_with("Content-Type: text/plain\r\n\r\nABCD"));
    assert_true(cpim1.continuation == Continuation::More);
    Message cpim2 = readFixture("rfc4975_s11_4_fig15_cpim_chunk2");
    expectRequest(cpim2, "SEND", "op2nc9a", bobpc, alicepc);
    assert_string_equal(cpim2.messageId().c_str(), "12339sdqwer");
    expectRange(cpim2, "138-148/148");
    assert_string_equal(cpim2.body.c_str(), "1234567890");
    assert_true(cpim2.continuation == Continuation::End);

    Message system = readFixture("rfc4975_s11_5_system_message");
    expectRequest(system, "SEND", "d93kswow", "msrp://alicepc.example.com:8888/9di4eae923wzd;tcp",
                  "msrp://example.com:7777/iau39soe2843z;tcp");
    expectRange(system, "1-38/38");
    assert_string_equal(system.failureReport().c_str(), "no");
    assert_false(system.successReportWanted());
    assert_string_equal(system.body.c_str(), "This conference will end in 5 minutes");

    Message html = readFixture("rfc4975_s11_6_fig16_send");
    expectRequest(html, "SEND", "d93kswow", kBob11, kAlice11);
    assert_true(html.successReportWanted());
    assert_string_equal(html.failureReport().c_str(), "no");
    assert_string_equal(html.contentType().c_str(), "text/html");
    assert_true(html.body.starts_with("<html><body>\r\n<p>Here is that important link...\r\n"));
    assert_true(html.body.ends_with("</p>\r\n</body></html>"));
    Message report = readFixture("rfc4975_s11_6_fig17_report");
    expectRequest(report, "REPORT", "dkei38sd", kAlice11, kBob11);
    assert_string_equal(report.messageId().c_str(), "12339sdqwer");
    expectRange(report, "1-106/106");
    assert_string_equal(report.header("Status").value().c_str(), "000 200 OK");
    assert_true(report.body.empty());
    assert_true(report.malformed.empty());
}

// RFC 4976 §3: a SEND through two relays, its 200s and REPORTs; paths of up to four URIs.
static void rfc4976_relayed_send(void**) {
    const char* relayA = "msrps://a.example.org:9000/kjfjan;tcp";
    const char* relayB = "msrps://b.example.net:9000/aeiug;tcp";
    const char* bob = "msrps://bob.example.net:8145/foo;tcp";
    const char* alice = "msrps://alice.example.org:7965/bar;tcp";
    auto join = [](std::initializer_list<const char*> uris) {
        std::string s;
        for (const char* uri : uris)
            s += (s.empty() ? "" : " ") + std::string(uri);
        return s;
    };
    struct Hop {
        const char* send;
        const char* ok;
        const char* tid;
        std::string to, from;
    };
    const Hop hops[] = {
        {"rfc4976_s3_send_alice", "rfc4976_s3_200_relay_a", "6aef", join({relayA, relayB, bob}), alice},
        {"rfc4976_s3_send_relay_a", "rfc4976_s3_200_relay_b", "juh76", join({relayB, bob}), join({relayA, alice})},
        {"rfc4976_s3_send_relay_b", "rfc4976_s3_200_bob", "xght6", bob, join({relayB, relayA, alice})},
    };
    for (const Hop& hop : hops) {
        Message send = readFixture(hop.send);
        expectRequest(send, "SEND", hop.tid, hop.to.c_str(), hop.from.c_str());
        assert_true(send.toPath[0].secure);
        assert_string_equal(send.messageId().c_str(), "87652");
        assert_true(send.successReportWanted());
        expectRange(send, "1-*/*");
        assert_false(send.byteRange().total.has_value());
        assert_string_equal(send.body.c_str(), "Hi Bob, I'm about to send you file.mpeg");
        assert_true(send.malformed.empty());
        // A 200 goes back one hop only: to the last From-Path URI's sender, from the first To-Path URI.
        Message ok = readFixture(hop.ok);
        expectResponse(ok, hop.tid, 200, "OK", send.fromPath[0].str().c_str(), send.toPath[0].str().c_str());
        assert_string_equal(ok.messageId().c_str(), "87652");
    }
    struct Report {
        const char* name;
        std::string to, from;
    };
    const Report reports[] = {
        {"rfc4976_s3_report_bob", join({relayB, relayA, alice}), bob},
        {"rfc4976_s3_report_relay_b", join({relayA, alice}), join({relayB, bob})},
        {"rfc4976_s3_report_relay_a", alice, join({relayA, relayB, bob})},
    };
    for (const Report& r : reports) {
        Message report = readFixture(r.name);
        expectRequest(report, "REPORT", "yh67", r.to.c_str(), r.from.c_str());
        expectRange(report, "1-39/39");
        assert_string_equal(report.header("Status").value().c_str(), "000 200 OK");
        assert_true(report.malformed.empty());
    }
}

// RFC 4976 §5.1: AUTH to two relays, 401 with WWW-Authenticate, 200 with Use-Path and Expires.
static void rfc4976_auth(void**) {
    const char* alice = "msrps://alice.example.com:9892/98cjs;tcp";
    const char* intraAuth = "msrps://alice@intra.example.com;tcp";
    const char* intra = "msrps://intra.example.com:9000/jui787s2f;tcp";
    const char* extra = "msrps://extra.example.com;tcp";
    const std::string intraExtra = std::string(intra) + " " + extra;
    const std::string intraAlice = std::string(intra) + " " + alice;

    Message auth = readFixture("rfc4976_s5_1_auth_intra");
    expectRequest(auth, "AUTH", "49fh", intraAuth, alice);
    // A relay's URI: a user, no port, no session-id.
    assert_true(auth.toPath[0].secure);
    assert_string_equal(auth.toPath[0].user.c_str(), "alice");
    assert_string_equal(auth.toPath[0].host.c_str(), "intra.example.com");
    assert_int_equal(auth.toPath[0].port, 0);
    assert_true(auth.toPath[0].sessionId.empty());
    assert_true(auth.body.empty());
    assert_true(auth.malformed.empty());

    Message challenge = readFixture("rfc4976_s5_1_401_intra");
    expectResponse(challenge, "49fh", 401, "Unauthorized", alice, intraAuth);
    assert_string_equal(challenge.header("WWW-Authenticate").value().c_str(),
                        "Digest realm=\"intra.example.com\", qop=\"auth\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\"");

    Message credentials = readFixture("rfc4976_s5_1_auth_intra_credentials");
    expectRequest(credentials, "AUTH", "49fi", intraAuth, alice);
    assert_string_equal(credentials.header("Authorization").value().c_str(),
                        "Digest username=\"Alice\", realm=\"intra.example.com\", "
                        "nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", qop=auth, nc=00000001, cnonce=\"0a4f113b\", "
                        "response=\"6629fae49393a05397450978507c4ef1\"");
    assert_true(credentials.malformed.empty());

    Message granted = readFixture("rfc4976_s5_1_200_intra_use_path");
    expectResponse(granted, "49fi", 200, "OK", alice, intraAuth);
    assert_string_equal(granted.header("Use-Path").value().c_str(), intra);
    auto usePath = Uri::parsePath(granted.header("Use-Path").value());
    assert_int_equal(usePath.size(), 1);
    assert_int_equal(usePath[0].port, 9000);
    assert_string_equal(usePath[0].sessionId.c_str(), "jui787s2f");
    assert_string_equal(granted.header("Expires").value().c_str(), "900");
    assert_true(granted.header("Authentication-Info")->starts_with("nextnonce=\"40f2e879449675f288476d772627370a\","));

    expectRequest(readFixture("rfc4976_s5_1_auth_extra_alice"), "AUTH", "mnbvw", intraExtra.c_str(), alice);
    expectRequest(readFixture("rfc4976_s5_1_auth_extra_intra"), "AUTH", "m2nbvw", extra, intraAlice.c_str());
    Message extraChallenge = readFixture("rfc4976_s5_1_401_extra_intra");
    expectResponse(extraChallenge, "m2nbvw", 401, "Unauthorized", intraAlice.c_str(), extra);
    Message relayedChallenge = readFixture("rfc4976_s5_1_401_extra_alice");
    expectResponse(relayedChallenge, "mnbvw", 401, "Unauthorized", alice, intraExtra.c_str());
    assert_string_equal(relayedChallenge.header("WWW-Authenticate")->c_str(),
                        extraChallenge.header("WWW-Authenticate")->c_str());
    Message extraCredentials = readFixture("rfc4976_s5_1_auth_extra_credentials_alice");
    expectRequest(extraCredentials, "AUTH", "m3nbvx", intraExtra.c_str(), alice);
    Message forwardedCredentials = readFixture("rfc4976_s5_1_auth_extra_credentials_intra");
    expectRequest(forwardedCredentials, "AUTH", "m4nbvx", extra, intraAlice.c_str());
    assert_string_equal(forwardedCredentials.header("Authorization")->c_str(),
                        extraCredentials.header("Authorization")->c_str());

    Message extraGranted = readFixture("rfc4976_s5_1_200_extra_intra");
    expectResponse(extraGranted, "m4nbvx", 200, "OK", intraAlice.c_str(), extra);
    auto twoHops = Uri::parsePath(extraGranted.header("Use-Path").value());
    assert_int_equal(twoHops.size(), 2);
    assert_string_equal(Uri::pathString(twoHops).c_str(),
                        "msrps://intra.example.com:9000/jui787s2f;tcp msrps://extra.example.com:9000/mywdEe1233;tcp");
    assert_string_equal(extraGranted.header("Expires").value().c_str(), "1800");
    // The last 200 as printed (its Use-Path names the extra relay twice, as the RFC has it).
    Message relayedGranted = readFixture("rfc4976_s5_1_200_extra_alice");
    expectResponse(relayedGranted, "m3nbvx", 200, "OK", alice, intraExtra.c_str());
    assert_int_equal(Uri::parsePath(relayedGranted.header("Use-Path").value()).size(), 2);
}

// RFC 7701 §9.2 to §9.5: NICKNAME, 425, and SENDs of Message/CPIM through the chat room.
static void rfc7701_chat(void**) {
    const char* room = "msrp://chat.example.com:12763/kjhd37s2s20w2a;tcp";
    const char* alice = "msrp://client.atlanta.example.com:7654/jshA7weztas;tcp";
    const char* roomToBob = "msrp://chat.example.com:5678/jofofo3;tcp";
    const char* bob = "msrp://client.biloxi.example.com:4923/49dufdje2;tcp";

    Message taken = readFixture("rfc7701_s9_2_f1_nickname");
    expectRequest(taken, "NICKNAME", "d93kswow", room, alice);
    assert_string_equal(taken.header("Use-Nickname").value().c_str(), "\"Alice the great\"");
    assert_true(taken.body.empty());
    assert_true(taken.malformed.empty());
    expectResponse(readFixture("rfc7701_s9_2_f2_425"), "d93kswow", 425, "Nickname reserved or already in use", alice,
                   room);
    Message accepted = readFixture("rfc7701_s9_2_f3_nickname");
    expectRequest(accepted, "NICKNAME", "09swk2d", room, alice);
    assert_string_equal(accepted.header("use-nickname").value().c_str(), "\"Alice in Wonderland\"");
    expectResponse(readFixture("rfc7701_s9_2_f4_200"), "09swk2d", 200, "OK", alice, room);

    Message toRoom = readFixture("rfc7701_s9_3_f1_send");
    expectRequest(toRoom, "SEND", "3490visdm", room, alice);
    assert_string_equal(toRoom.messageId().c_str(), "99s9s2");
    expectRange(toRoom, "1-*/*");
    assert_string_equal(toRoom.contentType().c_str(), "message/cpim");
    assert_true(toRoom.body.starts_with("To: <sip:chatroom22@chat.example.com;transport=tcp>\r\n"));
    assert_true(toRoom.body.ends_with("\r\n\r\nHello guys, how are you today?"));
    expectResponse(readFixture("rfc7701_s9_3_f2_200"), "3490visdm", 200, "OK", alice, room);
    Message fromRoom = readFixture("rfc7701_s9_3_f3_send");
    expectRequest(fromRoom, "SEND", "490ej23", bob, roomToBob);
    assert_string_equal(fromRoom.body.c_str(), toRoom.body.c_str());

    Message privately = readFixture("rfc7701_s9_4_f1_send");
    expectRequest(privately, "SEND", "6959ssdf", room, alice);
    assert_string_equal(privately.messageId().c_str(), "okj3kw");
    assert_true(privately.body.ends_with("Hello Bob."));
    // The RFC's 200 carries another transaction id than the SEND it answers ("6959ssdfm"): it
    // frames, and would match no transaction.
    expectResponse(readFixture("rfc7701_s9_4_f2_200"), "6959ssdfm", 200, "OK", alice, room);
    Message forwarded = readFixture("rfc7701_s9_4_f3_send");
    expectRequest(forwarded, "SEND", "9v9s2", bob, roomToBob);
    assert_string_equal(forwarded.messageId().c_str(), "d9fghe982");
    expectResponse(readFixture("rfc7701_s9_4_f4_200"), "9v9s2", 200, "OK", roomToBob, bob);

    // §9.5 as printed: both chunks carry transaction id 7443ruls and the first ends in '$'.
    Message chunk1 = readFixture("rfc7701_s9_5_chunk1");
    expectRequest(chunk1, "SEND", "7443ruls", room, alice);
    expectRange(chunk1, "1-*/174");
    assert_string_equal(chunk1.body.c_str(), "To: <sip:bob@example.com>\r\nFrom: <sip:alice@example.com>");
    Message chunk2 = readFixture("rfc7701_s9_5_chunk2");
    expectRequest(chunk2, "SEND", "7443ruls", room, alice);
    expectRange(chunk2, "68-174/174");
    assert_true(chunk2.body.ends_with("Content-Type: text/plain\r\n\r\nHello Bob"));
}

static Message readCorpus(const std::string& name) {
    auto frames = readWhole(readFile(std::string(MSRP_CORPUS) + "/" + name));
    assert_int_equal(frames.size(), 1);
    return frames[0];
}

// Frames no RFC prints, kept in the fuzz corpus: an interrupted chunk ('#'), an empty SEND
// (RFC 4975 §7.1.1: "1-0/0", no Content-Type, no body), and a body holding "-------<tid>"
// followed by something else than a flag and CRLF, twice, before the real end-line.
static void frames_the_rfcs_do_not_print(void**) {
    Message aborted = readCorpus("aborted_chunk");
    assert_true(aborted.continuation == Continuation::Abort);
    assert_string_equal(aborted.body.c_str(), "(image data)");
    assert_true(aborted.malformed.empty());

    Message empty = readCorpus("empty_send_range_1-0-0");
    expectRange(empty, "1-0/0");
    assert_int_equal(*empty.byteRange().end, 0);
    assert_true(empty.body.empty());
    assert_false(empty.header("Content-Type").has_value());
    assert_true(empty.malformed.empty());

    auto two = readWhole(readFile(std::string(MSRP_CORPUS) + "/two_frames_and_foreign_endline"));
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
    assert_int_equal(whole.size(), fixtureNames().size());
    assert_true(whole.size() >= 48);
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

// The reader stops filling a body where Byte-Range says its frame ends (the rest waits in the
// buffer): a Byte-Range that is wrong either way still frames by the end-line, however the
// stream is split.
static void a_wrong_byte_range_still_frames(void**) {
    auto frame = [](const std::string& tid, const std::string& range, const std::string& body) {
        return "MSRP " + tid + " SEND\r\nTo-Path: msrp://b.example:2855/s2;tcp\r\nFrom-Path: msrp://a.example:2855/s1;tcp\r\n"
               "Message-ID: m1\r\nByte-Range: " + range + "\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n-------" +
               tid + "+\r\n";
    };
    std::string all = frame("tid1", "1-5/100", "exactly ok") + frame("tid2", "1-40/100", "short") +
                      frame("tid3", "1-3/100", "longer than said") + frame("tid4", "1-4/4", "four");
    std::vector<std::string> bodies = {"exactly ok", "short", "longer than said", "four"};
    for (size_t split = 0; split <= all.size(); ++split) {
        for (size_t step : {size_t{1}, size_t{7}, all.size()}) {
            Parser parser;
            std::vector<Message> frames;
            parser.feed(std::string_view(all).substr(0, split), frames);
            for (size_t at = split; at < all.size(); at += step)
                parser.feed(std::string_view(all).substr(at, step), frames);
            assert_int_equal(frames.size(), bodies.size());
            for (size_t i = 0; i < frames.size(); ++i)
                assert_string_equal(frames[i].body.c_str(), bodies[i].c_str());
            assert_int_equal(parser.pending(), 0);
        }
    }
}

// The end-line search looks at 16 candidate starts at a time while a whole block's markers fit in
// the body, then byte by byte: an end-line and near misses of it (the same first and last byte,
// the marker followed by a byte that is no flag, a cut marker, a wrong marker followed by a flag
// and CRLF), at every offset around those blocks,
// in binary bodies, whole and split anywhere; the body is always exactly what was framed.
static void the_end_line_is_found_at_every_offset(void**) {
    const std::string tid = "a1b2c3d4";
    auto frame = [&](const std::string& body) {
        return "MSRP " + tid + " SEND\r\nTo-Path: msrp://b.example:2855/s2;tcp\r\nFrom-Path: msrp://a.example:2855/s1;tcp\r\n"
               "Message-ID: m1\r\nByte-Range: 1-" + std::to_string(body.size()) + "/" + std::to_string(body.size()) +
               "\r\nContent-Type: application/octet-stream\r\n\r\n" + body + "\r\n-------" + tid + "$\r\n";
    };
    const std::vector<std::string> decoys = {"", "\r\n------xa1b2c3d4", "\r\n-------a1b2c3d4x", "\r\n-------a1b2c3d45",
                                             "\r\n-------a1b2", "\r\r\n-------a1b2c3d4\r",
                                             "\r\n------xa1b2c3d4$\r\n", "\rX\n------a1b2c3d4+\r\n"};
    std::mt19937 random(11);
    for (size_t length = 1; length < 90; ++length) {
        for (const auto& decoy : decoys) {
            std::string body(length, '\0');
            for (auto& c : body)
                c = static_cast<char>(random() % 4 == 0 ? '\r' : random());  // many CRs, as in binary data and more
            if (decoy.size() <= length)
                body.replace(length - decoy.size() - (length - decoy.size()) / 3, decoy.size(), decoy);
            std::string all = frame(body) + frame("next");
            for (size_t split = 0; split <= all.size(); split += (split < 150 ? 1 : 3)) {
                Parser parser;
                std::vector<Message> frames;
                parser.feed(std::string_view(all).substr(0, split), frames);
                parser.feed(std::string_view(all).substr(split), frames);
                assert_int_equal(frames.size(), 2);
                assert_true(frames[0].body == body);
                assert_string_equal(frames[1].body.c_str(), "next");
            }
        }
    }
    // A file chunk's size, decoys anywhere, read 64 KiB at a time as a socket gives it.
    std::string body(256 * 1024 + 13, '\0');
    for (auto& c : body)
        c = static_cast<char>(random());
    for (size_t at = 100; at + 20 < body.size(); at += 4093)
        body.replace(at, decoys[1 + at % (decoys.size() - 1)].size(), decoys[1 + at % (decoys.size() - 1)]);
    std::string all = frame(body) + frame("next");
    Parser parser;
    std::vector<Message> frames;
    for (size_t at = 0; at < all.size(); at += 65536)
        parser.feed(std::string_view(all).substr(at, 65536), frames);
    assert_int_equal(frames.size(), 2);
    assert_true(frames[0].body == body);
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
        cmocka_unit_test(rfc4975_basic_exchange),
        cmocka_unit_test(rfc4975_more_examples),
        cmocka_unit_test(rfc4976_relayed_send),
        cmocka_unit_test(rfc4976_auth),
        cmocka_unit_test(rfc7701_chat),
        cmocka_unit_test(frames_the_rfcs_do_not_print),
        cmocka_unit_test(every_split_reads_the_same),
        cmocka_unit_test(a_wrong_byte_range_still_frames),
        cmocka_unit_test(the_end_line_is_found_at_every_offset),
        cmocka_unit_test(serialize_reads_back),
        cmocka_unit_test(bad_headers_still_frame),
        cmocka_unit_test(framing_errors_and_limits),
        cmocka_unit_test(uris_compare_as_rfc4975_says),
        cmocka_unit_test(byte_ranges),
        cmocka_unit_test(chunks_reassemble_in_any_order),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
