// The MSRP stack's flow: a streamed message handed to on_data as it arrives, a file to a fast
// reader that leaves the stack thread to other sessions, a peer that stops reading (the queue
// stays bounded), and msrps with the certificate pinned by fingerprint. Real loopback sockets,
// as in test_msrp_stack.cpp.
#include "msrp_stack_fixture.hpp"

static void a_streamed_message_goes_to_on_data(void**) {
    Recorder ra, rb;
    Node a("msrp-a"), b("msrp-b");
    rb.streaming = true;  // a file kept elsewhere: the stack does not hold it
    Pair pair = connectPair(a, ra, b, rb);
    bool noDelayBefore = true;
    b.thread.execute([&] { noDelayBefore = pair.passive->connection()->sendsWithoutDelay(); });
    assert_false(noDelayBefore);  // a chat connection keeps Nagle
    const std::string file = pattern(300000, 6);
    auto outcome = std::make_shared<Outcome>();
    OutgoingMessage message;
    message.contentType = "application/octet-stream";
    message.size = file.size();
    message.read = [&file](uint64_t offset, size_t max) { return file.substr(offset, max); };
    sendOn(a, pair.active, message, outcome);
    assert_true(waitFor([&] { return outcome->status == 200 && rb.messageCount() == 1; }));
    // A connection that carries a streamed message (a file) sends without Nagle's wait for the
    // peer's ACK: its REPORT must not sit behind a delayed ACK.
    bool noDelay = false;
    b.thread.execute([&] { noDelay = pair.passive->connection()->sendsWithoutDelay(); });
    assert_true(noDelay);
    std::lock_guard lb(rb.mutex);
    assert_true(rb.messages[0].body.empty());
    assert_int_equal(rb.messages[0].size, file.size());
    assert_true(rb.streamed == file);
    assert_true(rb.progress > 100);  // 2048-byte chunks: one onProgress each
}

// A peer that reads as fast as loopback goes and discards what it reads (a C socket on a thread
// of its own, not a stack: nothing parsed), after binding a passive session with an empty SEND.
class FastReader {
public:
    FastReader(uint16_t port, const Uri& session) {
        fd_ = socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
            throw std::runtime_error("cannot connect the fast reader");
        std::string bind = "MSRP bind0001 SEND\r\nTo-Path: " + session.str() +
                           "\r\nFrom-Path: msrp://127.0.0.1:1/fastreader;tcp\r\nMessage-ID: bind1\r\n"
                           "Byte-Range: 1-0/0\r\n-------bind0001$\r\n";
        if (::send(fd_, bind.data(), bind.size(), 0) != static_cast<ssize_t>(bind.size()))
            throw std::runtime_error("cannot bind the fast reader");
        thread_ = std::thread([this] {
            std::vector<char> buffer(1 << 20);
            while (true) {
                ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
                if (n <= 0)
                    return;
                bytes += static_cast<uint64_t>(n);
            }
        });
    }
    ~FastReader() {
        shutdown(fd_, SHUT_RDWR);
        thread_.join();
        close(fd_);
    }
    std::atomic<uint64_t> bytes{0};

private:
    int fd_ = -1;
    std::thread thread_;
};

// What a small message on one session waited while another session of the same stack thread
// sent a big file to a fast reader: the bytes of the file read for sending between posting the
// small send and its running on the thread, and the milliseconds until the small message arrived.
struct TurnMeasure {
    uint64_t fileBytesMeanwhile = 0;
    double latencyMs = 0;
};

static TurnMeasure measureTurn(size_t writeBytesPerTurn) {
    StackConfig sender;
    sender.chunkSize = 64 * 1024;
    sender.writeBytesPerTurn = writeBytesPerTurn;
    Recorder rFile, ra, rc;
    Node a("msrp-a", sender), c("msrp-c");
    SessionSetup passive;  // as the plugin's file transfers: the peer connects and binds
    passive.role = Role::Passive;
    passive.remotePath = {Uri::parse("msrp://127.0.0.1:1/fastreader;tcp")};
    auto fileSession = a.create(passive, rFile);
    FastReader reader(a.uriOf(fileSession).port, a.uriOf(fileSession));
    assert_true(waitFor([&] {
        std::lock_guard lock(rFile.mutex);
        return rFile.bound == 1;
    }));
    Pair small = connectPair(a, ra, c, rc);
    std::atomic<uint64_t> read{0};
    OutgoingMessage file;
    file.contentType = "application/octet-stream";
    file.size = uint64_t(1) << 36;  // far more than this test lets it send
    file.failureReport = Report::No;  // the reader answers nothing
    file.read = [&read](uint64_t, size_t max) {
        read += max;
        return std::string(max, 'f');
    };
    auto fileOutcome = std::make_shared<Outcome>();
    std::string fileId = sendOn(a, fileSession, file, fileOutcome);
    assert_true(waitFor([&] { return reader.bytes > 64 * 1024 * 1024; }));  // under way
    std::atomic<uint64_t> readWhenRun{0};
    auto start = std::chrono::steady_clock::now();
    uint64_t readWhenPosted = read;
    a.thread.post([&] {
        readWhenRun = read.load();
        OutgoingMessage ping;
        ping.body = "ping";
        small.active->send(std::move(ping));
    });
    assert_true(waitFor([&] { return rc.messageCount() == 1; }));
    TurnMeasure measure;
    measure.latencyMs = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    measure.fileBytesMeanwhile = readWhenRun - readWhenPosted;
    a.thread.execute([&] { fileSession->close(); });
    return measure;
}

// Session::pump writes one turn's worth (StackConfig::writeBytesPerTurn) and posts the rest, so
// a small message of another session on the same thread goes out within a turn or two of the
// file, whatever the reader's speed. The unbounded turn (the old behaviour) is measured too and
// printed beside it, for the record; only the bounded one is asserted.
static void a_file_to_a_fast_reader_leaves_the_thread_to_others(void**) {
    TurnMeasure unbounded = measureTurn(SIZE_MAX);
    TurnMeasure bounded = measureTurn(StackConfig{}.writeBytesPerTurn);
    printf("# small message behind a file: unbounded turn %.1f MB of the file meanwhile, %.1f ms; "
           "%zu-byte turns %.2f MB, %.1f ms\n",
           unbounded.fileBytesMeanwhile / 1e6, unbounded.latencyMs, StackConfig{}.writeBytesPerTurn,
           bounded.fileBytesMeanwhile / 1e6, bounded.latencyMs);
    // The turn in progress, the file's posted turn queued before the small send, and a turn the
    // connection's drained event may start: a few turns of 256 KiB plus a chunk each at most.
    assert_true(bounded.fileBytesMeanwhile <= 4 * (StackConfig{}.writeBytesPerTurn + 64 * 1024 + 1024));
}

// A peer that stops reading: the session's queue stays bounded (send() refuses once it is
// full) and onDrained comes when the peer reads again.
static void a_peer_that_stops_reading_bounds_the_queue(void**) {
    StackConfig bounded;
    bounded.sendQueueBytes = 64 * 1024;
    bounded.connectionHighWater = 32 * 1024;
    Recorder ra;
    Node a("msrp-a", bounded);
    net::StackThread peerThread("msrp-slow");
    std::unique_ptr<net::TcpListener> listener;
    std::shared_ptr<net::TcpStream> peer;
    std::atomic<size_t> peerReceived{0};
    peerThread.execute([&] {
        listener = std::make_unique<net::TcpListener>(peerThread, "127.0.0.1", 0, net::TlsOptions{},
                                                      [&](std::shared_ptr<net::TcpStream> stream) {
                                                          peer = std::move(stream);
                                                          g_socket_set_option(peer->socket(), SOL_SOCKET, SO_RCVBUF, 16 * 1024, nullptr);
                                                          peer->start({.received = [&](const uint8_t*, size_t size) { peerReceived += size; }});
                                                          peer->pauseReading();
                                                      });
    });
    uint16_t port = 0;
    peerThread.execute([&] { port = listener->port(); });
    SessionSetup setup;
    setup.remotePath = {Uri::parse("msrp://127.0.0.1:" + std::to_string(port) + "/slow;tcp")};
    auto session = a.create(setup, ra);
    assert_true(waitFor([&] {
        std::lock_guard la(ra.mutex);
        return ra.bound == 1;
    }));
    size_t accepted = 0;
    bool refused = false;
    for (int i = 0; i < 2000 && !refused; ++i) {
        OutgoingMessage message;
        message.body = pattern(8192, static_cast<unsigned>(i));
        std::string id;
        a.thread.execute([&] { id = session->send(std::move(message)); });
        if (id.empty())
            refused = true;
        else
            ++accepted;
        std::this_thread::sleep_for(1ms);
    }
    assert_true(refused);
    size_t queued = 0;
    bool sendable = true;
    a.thread.execute([&] {
        queued = session->queuedBytes();
        sendable = session->sendable();
    });
    assert_false(sendable);
    assert_true(queued <= bounded.sendQueueBytes + 8192);
    assert_true(accepted * 8192 < 4 * 1024 * 1024);  // far less than what was offered: bounded
    peerThread.execute([&] { peer->resumeReading(); });
    assert_true(waitFor([&] {
        std::lock_guard la(ra.mutex);
        return ra.drained > 0;
    }));
    assert_true(waitFor([&] { return peerReceived >= accepted * 8192; }));
    a.thread.execute([&] { sendable = session->sendable(); });
    assert_true(sendable);
    a.thread.execute([&] { session->close(); });
    peerThread.execute([&] {
        peer.reset();
        listener.reset();
    });
}

struct Certificate {
    std::string folder, certificate, key, fingerprint;
};

static std::string run(const std::string& command) {
    std::string output;
    FILE* pipe = popen(command.c_str(), "r");
    if (!pipe)
        return output;
    char buffer[512];
    while (fgets(buffer, sizeof buffer, pipe))
        output += buffer;
    if (pclose(pipe) != 0)
        return "";
    return output;
}

// A self-signed certificate, as MSRP peers have (the fingerprint in SDP vouches for it).
static Certificate selfSigned() {
    Certificate made;
    gchar* folder = g_dir_make_tmp("sylk-msrp-tls-XXXXXX", nullptr);
    made.folder = folder;
    g_free(folder);
    made.certificate = made.folder + "/cert.pem";
    made.key = made.folder + "/key.pem";
    std::string output = run("cd " + made.folder +
                             " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
                             "-keyout key.pem -out cert.pem -days 2 -subj /CN=msrp.test 2>/dev/null && "
                             "openssl x509 -in cert.pem -noout -fingerprint -sha256");
    auto equals = output.find('=');
    if (equals != std::string::npos)
        made.fingerprint = output.substr(equals + 1, output.find_last_not_of("\r\n") - equals);
    return made;
}

static void msrps_with_a_pinned_fingerprint(void**) {
    Certificate made = selfSigned();
    assert_false(made.fingerprint.empty());
    StackConfig tls;
    tls.tls = true;
    tls.tlsOptions.certificateFile = made.certificate;
    tls.tlsOptions.keyFile = made.key;
    {
        Recorder ra, rb, rc, rd;  // the handlers outlive the stacks
        Node a("msrp-a"), b("msrp-b", tls);
        std::string served;
        b.thread.execute([&] { served = b.stack->fingerprint(); });
        assert_string_equal(served.c_str(), made.fingerprint.c_str());
        Pair pair = connectPair(a, ra, b, rb, {}, true, "sha-256 " + made.fingerprint);
        assert_true(b.uriOf(pair.passive).secure);
        auto outcome = std::make_shared<Outcome>();
        OutgoingMessage secret;
        secret.body = pattern(100000, 5);
        sendOn(a, pair.active, secret, outcome);
        assert_true(waitFor([&] { return outcome->status == 200 && rb.messageCount() == 1; }));
        {
            std::lock_guard lb(rb.mutex);
            assert_true(rb.messages[0].body == secret.body);
        }
        // Another pin: the connection is refused and the session ends.
        std::string wrong = made.fingerprint;
        wrong.replace(0, 2, wrong.substr(0, 2) == "00" ? "11" : "00");
        Pair refused = connectPair(a, rc, b, rd, {}, true, "sha-256 " + wrong, false);
        assert_true(waitFor([&] { return !rc.closedReason().empty(); }));
        assert_true(rc.closedReason().find("cannot connect") == 0);
        a.thread.execute([&] { refused.active.reset(); });
    }
    for (const char* name : {"cert.pem", "key.pem"})
        g_remove((made.folder + "/" + name).c_str());
    g_rmdir(made.folder.c_str());
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_streamed_message_goes_to_on_data),
        cmocka_unit_test(a_peer_that_stops_reading_bounds_the_queue),
        cmocka_unit_test(a_file_to_a_fast_reader_leaves_the_thread_to_others),
        cmocka_unit_test(msrps_with_a_pinned_fingerprint),
    };
    int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
    // As test_tcp_stream: let GLib's idle TLS workers end before LeakSanitizer looks.
    g_thread_pool_set_max_unused_threads(0);
    std::this_thread::sleep_for(1500ms);
    g_thread_pool_stop_unused_threads();
    return failed;
}
