// Two MSRP stacks (sylkcore/msrp) on their own stack threads talking over real loopback
// sockets: active/passive binding, a 1 MB message in chunks both ways, 413 and 415 with the
// connection kept, a malformed frame that closes only its own connection, unknown session and
// method, connection reuse by two sessions, Success-Report, abort, transaction timeout and a
// passive session whose peer never comes. Streaming, backpressure and msrps:
// test_msrp_stack_flow.cpp.
#include "msrp_stack_fixture.hpp"

static void a_megabyte_each_way_in_chunks(void**) {
    Recorder ra, rb;
    Node a("msrp-a"), b("msrp-b");
    Pair pair = connectPair(a, ra, b, rb);
    assert_true(waitFor([&] {
        std::lock_guard la(ra.mutex), lb(rb.mutex);
        return ra.bound == 1 && rb.bound == 1;
    }));
    const std::string there = pattern(1024 * 1024, 1), back = pattern(1024 * 1024 + 7, 2);
    auto sent = std::make_shared<Outcome>(), returned = std::make_shared<Outcome>();
    OutgoingMessage one;
    one.contentType = "application/octet-stream";
    one.body = there;
    std::string id = sendOn(a, pair.active, one, sent);
    assert_false(id.empty());
    OutgoingMessage two;
    two.contentType = "application/octet-stream";
    two.body = back;
    assert_false(sendOn(b, pair.passive, two, returned).empty());
    assert_true(waitFor([&] { return rb.messageCount() == 1 && ra.messageCount() == 1; }, 60000ms));
    assert_true(waitFor([&] { return sent->status != 0 && returned->status != 0; }));
    assert_int_equal(sent->status, 200);
    assert_int_equal(returned->status, 200);
    {
        std::lock_guard la(ra.mutex), lb(rb.mutex);
        assert_true(rb.messages[0].body == there);
        assert_string_equal(rb.messages[0].messageId.c_str(), id.c_str());
        assert_string_equal(rb.messages[0].contentType.c_str(), "application/octet-stream");
        assert_true(ra.messages[0].body == back);
    }
    assert_int_equal(a.connections(), 1);
    assert_int_equal(b.connections(), 1);
    assert_true(ra.closedReason().empty());
    assert_true(rb.closedReason().empty());
    // TCP keepalive (MSRP has no keep-alive request) on both ends of the connection.
    bool activeKeepalive = false, passiveKeepalive = false;
    a.thread.execute([&] { activeKeepalive = pair.active->connection() && pair.active->connection()->keepalive(); });
    b.thread.execute([&] { passiveKeepalive = pair.passive->connection() && pair.passive->connection()->keepalive(); });
    assert_true(activeKeepalive);
    assert_true(passiveKeepalive);
}

static void too_big_is_413_and_the_connection_stays(void**) {
    Recorder ra, rb;
    Node a("msrp-a"), b("msrp-b");
    SessionSetup limits;
    limits.maxMessageSize = 10000;
    limits.acceptTypes = {"text/*", "message/cpim"};
    Pair pair = connectPair(a, ra, b, rb, limits);
    auto big = std::make_shared<Outcome>();
    OutgoingMessage oversized;
    oversized.body = pattern(50000, 3);
    sendOn(a, pair.active, oversized, big);
    assert_true(waitFor([&] { return big->status != 0; }));
    assert_int_equal(big->status, 413);
    auto image = std::make_shared<Outcome>();
    OutgoingMessage png;
    png.contentType = "image/png";
    png.body = "not really a png";
    sendOn(a, pair.active, png, image);
    assert_true(waitFor([&] { return image->status != 0; }));
    assert_int_equal(image->status, 415);
    auto small = std::make_shared<Outcome>();
    OutgoingMessage hello;
    hello.contentType = "text/plain; charset=utf-8";
    hello.body = "hello after the refusals";
    sendOn(a, pair.active, hello, small);
    assert_true(waitFor([&] { return rb.messageCount() == 1 && small->status != 0; }));
    assert_int_equal(small->status, 200);
    std::lock_guard lb(rb.mutex);
    assert_string_equal(rb.messages[0].body.c_str(), "hello after the refusals");
    assert_int_equal(rb.dropped.size(), 2);
    assert_int_equal(rb.dropped[0].second, 413);
    assert_int_equal(rb.dropped[1].second, 415);
    assert_true(rb.closed.empty());
    assert_int_equal(b.connections(), 1);
}

// A raw TCP client on b's listener: what it receives.
struct RawClient {
    std::shared_ptr<net::TcpStream> stream;
    std::mutex mutex;
    std::string received;
    std::atomic<bool> ended{false};

    RawClient(net::StackThread& thread, uint16_t port) {
        thread.execute([&] {
            stream = net::TcpStream::connect(thread, "127.0.0.1", port, {},
                                             {.received =
                                                  [this](const uint8_t* data, size_t size) {
                                                      std::lock_guard lock(mutex);
                                                      received.append(reinterpret_cast<const char*>(data), size);
                                                  },
                                              .peerClosed = [this] { ended = true; },
                                              .failed = [this](const std::string&) { ended = true; }});
        });
    }
    std::string text() {
        std::lock_guard lock(mutex);
        return received;
    }
};

static void a_malformed_frame_closes_only_its_connection(void**) {
    Recorder ra, rb;
    Node a("msrp-a"), b("msrp-b");
    Pair pair = connectPair(a, ra, b, rb);
    assert_true(waitFor([&] {
        std::lock_guard lb(rb.mutex);
        return rb.bound == 1;
    }));
    net::StackThread clientThread("msrp-raw");
    uint16_t port = 0;
    b.thread.execute([&] { port = b.stack->port(false); });
    RawClient raw(clientThread, port);
    Uri passive = b.uriOf(pair.passive);
    // An unknown session: 481. The bound session from another connection: 506. Malformed
    // headers that still frame: 400. All on one connection that stays open.
    std::string frames =
        "MSRP unknown1 SEND\r\nTo-Path: msrp://127.0.0.1:" + std::to_string(port) +
        "/nosuchsession;tcp\r\nFrom-Path: msrp://127.0.0.1:1/x;tcp\r\nMessage-ID: 1\r\n-------unknown1$\r\n"
        "MSRP wrongconn SEND\r\nTo-Path: " + passive.str() +
        "\r\nFrom-Path: msrp://127.0.0.1:1/x;tcp\r\nMessage-ID: 2\r\n-------wrongconn$\r\n"
        "MSRP badhdrs1 SEND\r\nTo-Path: nonsense\r\nFrom-Path: msrp://127.0.0.1:1/x;tcp\r\n-------badhdrs1$\r\n";
    clientThread.execute([&] { raw.stream->write(frames); });
    assert_true(waitFor([&] { return raw.text().find("MSRP badhdrs1 400") != std::string::npos; }));
    assert_true(raw.text().find("MSRP unknown1 481") != std::string::npos);
    assert_true(raw.text().find("MSRP wrongconn 506") != std::string::npos);
    assert_false(raw.ended);
    assert_int_equal(b.connections(), 2);
    // Now bytes that are no MSRP frame at all: that connection, and only it, ends.
    clientThread.execute([&] { raw.stream->write("GARBAGE / HTTP/1.1\r\n\r\n"); });
    assert_true(waitFor([&] { return raw.ended.load(); }));
    assert_true(waitFor([&] { return b.connections() == 1; }));
    auto outcome = std::make_shared<Outcome>();
    OutgoingMessage hello;
    hello.body = "still here";
    sendOn(a, pair.active, hello, outcome);
    assert_true(waitFor([&] { return rb.messageCount() == 1 && outcome->status == 200; }));
    assert_true(rb.closedReason().empty());
    clientThread.execute([&] { raw.stream.reset(); });
}

// A peer written by hand on a raw connection: it binds a passive session with its first
// request, sends a message's chunks out of order and one twice, asks for a Success-Report, and
// reads what the stack writes on the wire.
static void chunks_out_of_order_from_a_raw_peer(void**) {
    Recorder rb;
    Node b("msrp-b");
    SessionSetup setup;
    setup.role = Role::Passive;
    setup.remotePath = {Uri::parse("msrp://127.0.0.1:1/rawpeer;tcp")};
    auto session = b.create(setup, rb);
    Uri ours = b.uriOf(session);
    net::StackThread clientThread("msrp-raw");
    RawClient raw(clientThread, ours.port);
    auto chunk = [&](const std::string& tid, const std::string& range, const std::string& body, char flag) {
        return "MSRP " + tid + " SEND\r\nTo-Path: " + ours.str() +
               "\r\nFrom-Path: msrp://127.0.0.1:1/rawpeer;tcp\r\nMessage-ID: ooo1\r\nSuccess-Report: yes\r\n"
               "Byte-Range: " + range + "\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n-------" + tid + flag + "\r\n";
    };
    clientThread.execute([&] {
        raw.stream->write(chunk("tid00002", "4-6/6", "def", '$'));
        raw.stream->write(chunk("tid00001", "1-3/6", "abc", '+'));
        raw.stream->write(chunk("tid00003", "1-3/6", "abc", '+'));  // again
    });
    assert_true(waitFor([&] { return rb.messageCount() == 1; }));
    assert_true(waitFor([&] { return raw.text().find("REPORT") != std::string::npos; }));
    std::string wire = raw.text();
    for (const char* tid : {"tid00001", "tid00002"})
        assert_true(wire.find(std::string("MSRP ") + tid + " 200 OK\r\nTo-Path: msrp://127.0.0.1:1/rawpeer;tcp\r\nFrom-Path: " +
                              ours.str() + "\r\n-------" + tid + "$\r\n") != std::string::npos);
    assert_true(wire.find("Message-ID: ooo1\r\nByte-Range: 1-6/6\r\nStatus: 000 200 OK\r\n") != std::string::npos);
    {
        std::lock_guard lb(rb.mutex);
        assert_string_equal(rb.messages[0].body.c_str(), "abcdef");
        assert_string_equal(rb.messages[0].messageId.c_str(), "ooo1");
        assert_int_equal(rb.bound, 1);
    }
    // The duplicate came after the message was complete: answered, not delivered again.
    assert_true(waitFor([&] { return raw.text().find("MSRP tid00003 200 OK") != std::string::npos; }));
    assert_int_equal(rb.messageCount(), 1);
    clientThread.execute([&] { raw.stream.reset(); });
}

// We offered (no peer path yet) and the peer connects before the SIP answer reaches us: its
// requests wait for setRemote instead of a 481, in order, and are then answered and delivered.
// A session that never gets its path answers 481 after bindTimeout; the connection stays.
static void a_peer_faster_than_the_answer_waits_for_the_path(void**) {
    Recorder early, never;
    StackConfig quick;
    quick.bindTimeout = 700ms;
    Node b("msrp-b", quick);
    auto session = b.create(SessionSetup{}, early);  // no remote path: it waits for setRemote
    Uri ours = b.uriOf(session);
    net::StackThread clientThread("msrp-raw");
    RawClient raw(clientThread, ours.port);
    auto send = [&](const std::string& tid, const Uri& to, const std::string& body) {
        return "MSRP " + tid + " SEND\r\nTo-Path: " + to.str() +
               "\r\nFrom-Path: msrp://127.0.0.1:1/fastpeer;tcp\r\nMessage-ID: " + tid +
               "\r\nByte-Range: 1-" + std::to_string(body.size()) + "/" + std::to_string(body.size()) +
               "\r\nContent-Type: text/plain\r\n\r\n" + body + "\r\n-------" + tid + "$\r\n";
    };
    clientThread.execute([&] {
        raw.stream->write("MSRP bind0001 SEND\r\nTo-Path: " + ours.str() +
                          "\r\nFrom-Path: msrp://127.0.0.1:1/fastpeer;tcp\r\nMessage-ID: bind0001\r\n"
                          "Byte-Range: 1-0/0\r\n-------bind0001$\r\n");
        raw.stream->write(send("tidfirst", ours, "first"));
    });
    std::this_thread::sleep_for(300ms);  // the answer is slow: nothing is answered meanwhile
    assert_true(raw.text().empty());
    assert_int_equal(early.messageCount(), 0);
    bool set = false;
    b.thread.execute([&] { set = session->setRemote({Uri::parse("msrp://127.0.0.1:1/fastpeer;tcp")}, Role::Passive); });
    assert_true(set);
    assert_true(waitFor([&] { return early.messageCount() == 1; }));
    assert_true(waitFor([&] { return raw.text().find("MSRP tidfirst 200 OK") != std::string::npos; }));
    std::string wire = raw.text();
    assert_true(wire.find("MSRP bind0001 200 OK") != std::string::npos);
    assert_true(wire.find("MSRP bind0001 200 OK") < wire.find("MSRP tidfirst 200 OK"));
    {
        std::lock_guard lock(early.mutex);
        assert_string_equal(early.messages[0].body.c_str(), "first");
        assert_int_equal(early.bound, 1);
    }
    // Reading went on: a later request on the same connection is answered at once.
    clientThread.execute([&] { raw.stream->write(send("tidlater1", ours, "later")); });
    assert_true(waitFor([&] { return early.messageCount() == 2; }));
    // A second session never gets its path: its request waits bindTimeout, then 481.
    auto orphan = b.create(SessionSetup{}, never);
    Uri orphanUri = b.uriOf(orphan);
    RawClient second(clientThread, ours.port);
    auto started = std::chrono::steady_clock::now();
    clientThread.execute([&] { second.stream->write(send("tidorph01", orphanUri, "anyone")); });
    assert_true(waitFor([&] { return second.text().find("MSRP tidorph01 481") != std::string::npos; }));
    assert_true(std::chrono::steady_clock::now() - started >= 600ms);
    assert_false(second.ended);
    assert_int_equal(never.messageCount(), 0);
    clientThread.execute([&] {
        raw.stream.reset();
        second.stream.reset();
    });
}

// Failure-Report: partial gets no 200s but learns of a failure from the REPORT (and takes
// silence for delivery after a transaction's time); no hears nothing at all (done says 200
// once written: the sender asked not to know).
static void failure_report_partial_and_no(void**) {
    Recorder ra, rb;
    StackConfig quick;
    quick.transactionTimeout = 500ms;
    Node a("msrp-a", quick), b("msrp-b");
    SessionSetup textOnly;
    textOnly.acceptTypes = {"text/plain"};
    Pair pair = connectPair(a, ra, b, rb, textOnly);
    auto fine = std::make_shared<Outcome>(), refused = std::make_shared<Outcome>(), unheard = std::make_shared<Outcome>();
    OutgoingMessage ok;
    ok.body = "partial and fine";
    ok.failureReport = Report::Partial;
    sendOn(a, pair.active, ok, fine);
    OutgoingMessage png;
    png.contentType = "image/png";
    png.body = "png?";
    png.failureReport = Report::Partial;
    sendOn(a, pair.active, png, refused);
    OutgoingMessage quiet;
    quiet.contentType = "image/png";
    quiet.body = "nobody will say";
    quiet.failureReport = Report::No;
    sendOn(a, pair.active, quiet, unheard);
    assert_true(waitFor([&] { return refused->status != 0 && rb.messageCount() == 1 && fine->status != 0; }));
    assert_int_equal(refused->status, 415);  // from b's REPORT
    assert_int_equal(fine->status, 200);
    assert_true(ra.closedReason().empty());
    assert_int_equal(unheard->status, 200);
    assert_true(waitFor([&] {
        std::lock_guard lb(rb.mutex);
        return rb.dropped.size() == 2;
    }));
    std::lock_guard la(ra.mutex), lb(rb.mutex);
    assert_string_equal(rb.messages[0].body.c_str(), "partial and fine");
    assert_int_equal(ra.reports.size(), 1);  // one REPORT: the partial one's failure
    assert_string_equal(ra.reports[0].c_str(), "000 415 Unsupported Media Type");
}

static void other_methods_reach_the_handler(void**) {
    Recorder ra, rb;
    Node a("msrp-a"), b("msrp-b");
    rb.nicknameStatus = 425;
    Pair pair = connectPair(a, ra, b, rb);
    std::atomic<int> nickname{0}, unknown{0};
    a.thread.execute([&] {
        pair.active->sendRequest("NICKNAME", {{"Use-Nickname", "\"alice\""}}, "", "",
                                 [&](const Message* response, const std::string&) { nickname = response ? response->status : -1; });
        pair.active->sendRequest("FROBNICATE", {}, "", "",
                                 [&](const Message* response, const std::string&) { unknown = response ? response->status : -1; });
    });
    assert_true(waitFor([&] { return nickname != 0 && unknown != 0; }));
    assert_int_equal(nickname, 425);
    assert_int_equal(unknown, 501);
    // What would forge headers or frames is refused before anything is written.
    int refusals = 0;
    a.thread.execute([&] {
        auto refuses = [&](auto send) {
            try {
                send();
            } catch (const std::invalid_argument&) {
                ++refusals;
            }
        };
        refuses([&] {
            OutgoingMessage message;
            message.messageId = "two words";
            pair.active->send(message);
        });
        refuses([&] {
            OutgoingMessage message;
            message.headers = {{"X-Note", "a\r\nTo-Path: msrp://evil:1/x;tcp"}};
            pair.active->send(message);
        });
        refuses([&] { pair.active->sendRequest("nick name", {}, "", "", nullptr); });
    });
    assert_int_equal(refusals, 3);
}

static void two_sessions_share_one_connection(void**) {
    Recorder ra1, rb1, ra2, rb2;
    Node a("msrp-a"), b("msrp-b");
    Pair first = connectPair(a, ra1, b, rb1);
    Pair second = connectPair(a, ra2, b, rb2);
    auto o1 = std::make_shared<Outcome>(), o2 = std::make_shared<Outcome>(), o3 = std::make_shared<Outcome>();
    OutgoingMessage m1, m2, m3;
    m1.body = "to the first";
    m2.body = "to the second";
    m3.body = "back from the second";
    sendOn(a, first.active, m1, o1);
    sendOn(a, second.active, m2, o2);
    assert_true(waitFor([&] { return o1->status == 200 && o2->status == 200; }));
    sendOn(b, second.passive, m3, o3);
    assert_true(waitFor([&] { return o3->status == 200 && ra2.messageCount() == 1; }));
    assert_int_equal(rb1.messageCount(), 1);
    assert_int_equal(rb2.messageCount(), 1);
    {
        std::lock_guard l1(rb1.mutex), l2(rb2.mutex), l3(ra2.mutex);
        assert_string_equal(rb1.messages[0].body.c_str(), "to the first");
        assert_string_equal(rb2.messages[0].body.c_str(), "to the second");
        assert_string_equal(ra2.messages[0].body.c_str(), "back from the second");
    }
    assert_int_equal(a.connections(), 1);  // RFC 4975 §5.4 connection reuse
    assert_int_equal(b.connections(), 1);
    // Closing one session leaves the other working on the shared connection.
    a.thread.execute([&] { first.active->close(); });
    auto o4 = std::make_shared<Outcome>();
    OutgoingMessage m4;
    m4.body = "second still works";
    sendOn(a, second.active, m4, o4);
    assert_true(waitFor([&] { return o4->status == 200 && rb2.messageCount() == 2; }));
}

static void success_report_and_abort(void**) {
    Recorder ra, rb;
    StackConfig roomy;  // b takes the 100 MB message below (more than loopback's buffers hold)
    roomy.maxMessageSize = 256 * 1024 * 1024;
    Node a("msrp-a"), b("msrp-b", roomy);
    Pair pair = connectPair(a, ra, b, rb);
    auto reported = std::make_shared<Outcome>();
    OutgoingMessage wanted;
    wanted.body = pattern(10000, 4);
    wanted.successReport = true;
    sendOn(a, pair.active, wanted, reported);
    assert_true(waitFor([&] { return reported->status != 0; }));
    assert_int_equal(reported->status, 200);
    {
        std::lock_guard la(ra.mutex);
        assert_int_equal(ra.reports.size(), 1);  // the REPORT arrived, and made it 200
        assert_string_equal(ra.reports[0].c_str(), "000 200 OK");
    }
    // A message read as it is sent, aborted after its first chunks: b drops it. b's thread is
    // held while a sends, so the kernel's buffers and a's queue fill and a stops part way: the
    // abort surely finds the message still being sent. (Without the hold it raced: plain TCP
    // writes go out at once, and a fast reader let a write all of it before the abort came.)
    std::atomic<int> reads{0};
    auto aborted = std::make_shared<Outcome>();
    OutgoingMessage file;
    file.contentType = "application/octet-stream";
    file.size = 100 * 1024 * 1024;
    file.read = [&](uint64_t offset, size_t max) {
        ++reads;
        return pattern(max, static_cast<unsigned>(offset));
    };
    std::mutex gate;
    std::unique_lock holdB(gate);
    b.thread.post([&gate] { std::lock_guard waits(gate); });
    std::string id = sendOn(a, pair.active, file, aborted);
    bool abortable = false;
    a.thread.execute([&] { abortable = pair.active->abort(id); });
    holdB.unlock();
    assert_true(abortable);
    assert_true(reads > 0);
    assert_true(waitFor([&] { return aborted->status != 0; }));
    assert_int_equal(aborted->status, 499);
    assert_true(waitFor([&] {
        std::lock_guard lb(rb.mutex);
        return !rb.dropped.empty();
    }));
    std::lock_guard lb(rb.mutex);
    assert_string_equal(rb.dropped[0].first.c_str(), id.c_str());
    assert_int_equal(rb.dropped[0].second, 499);
    assert_int_equal(rb.messages.size(), 1);  // only the first message
}

static void timeouts(void**) {
    StackConfig quick;
    quick.transactionTimeout = 300ms;
    quick.bindTimeout = 300ms;
    Recorder waiting, active;  // the handlers outlive the stack
    Node a("msrp-a", quick);
    // A passive session whose peer never comes.
    SessionSetup setup;
    setup.role = Role::Passive;
    setup.remotePath = {Uri::parse("msrp://127.0.0.1:9/nobody;tcp")};
    a.create(setup, waiting);
    assert_true(waitFor([&] { return !waiting.closedReason().empty(); }));
    // A peer that accepts and never answers: the transaction times out and the session fails.
    net::StackThread silentThread("msrp-silent");
    std::unique_ptr<net::TcpListener> silent;
    std::vector<std::shared_ptr<net::TcpStream>> accepted;
    silentThread.execute([&] {
        silent = std::make_unique<net::TcpListener>(silentThread, "127.0.0.1", 0, net::TlsOptions{},
                                                    [&](std::shared_ptr<net::TcpStream> stream) {
                                                        stream->start({});
                                                        accepted.push_back(std::move(stream));
                                                    });
    });
    SessionSetup toSilent;
    uint16_t silentPort = 0;
    silentThread.execute([&] { silentPort = silent->port(); });
    auto session = a.create(toSilent, active);  // no path yet: the message is queued before it connects
    auto outcome = std::make_shared<Outcome>();
    OutgoingMessage hello;
    hello.body = "anyone?";
    sendOn(a, session, hello, outcome);
    a.thread.execute([&] {
        session->setRemote({Uri::parse("msrp://127.0.0.1:" + std::to_string(silentPort) + "/silent;tcp")}, Role::Active);
    });
    assert_true(waitFor([&] { return outcome->status != 0; }));
    assert_int_equal(outcome->status, 408);
    assert_true(waitFor([&] { return active.closedReason() == "transaction timeout"; }));
    silentThread.execute([&] {
        accepted.clear();
        silent.reset();
    });
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_megabyte_each_way_in_chunks),
        cmocka_unit_test(too_big_is_413_and_the_connection_stays),
        cmocka_unit_test(a_malformed_frame_closes_only_its_connection),
        cmocka_unit_test(chunks_out_of_order_from_a_raw_peer),
        cmocka_unit_test(a_peer_faster_than_the_answer_waits_for_the_path),
        cmocka_unit_test(failure_report_partial_and_no),
        cmocka_unit_test(other_methods_reach_the_handler),
        cmocka_unit_test(two_sessions_share_one_connection),
        cmocka_unit_test(success_report_and_abort),
        cmocka_unit_test(timeouts),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
