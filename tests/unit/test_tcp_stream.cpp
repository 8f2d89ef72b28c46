// TcpStream and TcpListener against real sockets on 127.0.0.1: echo with backpressure both
// ways, half-close and close after flush, TLS with certificates made here by the openssl CLI
// (trusted, untrusted, wrong name, pinned fingerprint), a peer that vanishes mid-stream.
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sylkcore/net/stack_thread.hpp"
#include "sylkcore/net/tcp_listener.hpp"
#include "sylkcore/net/tcp_stream.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace std::chrono_literals;
using namespace sylk::net;

// CMocka's assertions must run on the test's own thread: on the stack thread, checks are counted
// here and asserted afterwards.
static std::atomic<int> failedOnStack{0};
static void expect(bool ok) {
    if (!ok)
        ++failedOnStack;
}

template <typename Condition>
static bool waitFor(Condition condition, std::chrono::milliseconds limit = 20000ms) {
    auto until = std::chrono::steady_clock::now() + limit;
    while (!condition()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

// The byte at offset i of the test stream: a pattern that shows loss, duplication or reordering.
static char patternAt(size_t i) { return static_cast<char>((i * 7 + i / 251) & 0xff); }

static std::string pattern(size_t from, size_t size) {
    std::string bytes(size, '\0');
    for (size_t i = 0; i < size; ++i)
        bytes[i] = patternAt(from + i);
    return bytes;
}

// Small kernel buffers, so that a few megabytes are enough to make the queues grow.
static void smallBuffers(TcpStream& stream) {
    for (int option : {SO_SNDBUF, SO_RCVBUF})
        g_socket_set_option(stream.socket(), SOL_SOCKET, option, 32 * 1024, nullptr);
}

static void echo_megabytes_with_backpressure(void**) {
    constexpr size_t kTotal = 4 * 1024 * 1024;
    constexpr size_t kHighWater = 256 * 1024;
    StackThread stack("test-echo");
    // Stack thread only, read by the test through execute().
    std::shared_ptr<TcpStream> server, client;
    std::unique_ptr<TcpListener> listener;
    size_t sent = 0, received = 0;
    bool intact = true;
    std::atomic<int> serverPauses{0}, clientDrains{0}, serverPeerClosed{0}, serverClosed{0}, clientPeerClosed{0},
        clientClosed{0}, failures{0};
    std::atomic<bool> done{false};
    std::function<void()> produce = [&] {
        while (sent < kTotal && client->belowHighWater()) {
            size_t chunk = std::min<size_t>(16 * 1024 + sent % 1000, kTotal - sent);
            expect(client->write(pattern(sent, chunk)));
            sent += chunk;
        }
        if (sent == kTotal)
            client->shutdownWrite();  // after the queue: the server then closes after its echo
    };
    stack.execute([&] {
        listener = std::make_unique<TcpListener>(stack, "127.0.0.1", 0, TlsOptions{}, [&](std::shared_ptr<TcpStream> s) {
            server = std::move(s);
            smallBuffers(*server);
            server->setHighWater(kHighWater);
            TcpStream* echo = server.get();
            server->start({
                .received =
                    [&, echo](const uint8_t* data, size_t size) {
                        echo->write(std::string_view(reinterpret_cast<const char*>(data), size));
                        if (!echo->belowHighWater() && !echo->readingPaused()) {
                            echo->pauseReading();  // the peer reads slower than it sends
                            ++serverPauses;
                        }
                    },
                .drained = [echo] { echo->resumeReading(); },
                .peerClosed =
                    [&, echo] {
                        ++serverPeerClosed;
                        echo->close();  // after flushing the echo
                    },
                .closed = [&] { ++serverClosed; },
                .failed = [&](const std::string&) { ++failures; },
            });
        });
        client = TcpStream::connect(stack, "127.0.0.1", listener->port(), TlsOptions{},
                                    {
                                        .connected =
                                            [&] {
                                                smallBuffers(*client);
                                                produce();
                                            },
                                        .received =
                                            [&](const uint8_t* data, size_t size) {
                                                for (size_t i = 0; i < size; ++i)
                                                    intact = intact && static_cast<char>(data[i]) == patternAt(received + i);
                                                received += size;
                                            },
                                        .drained = [&] {
                                            ++clientDrains;
                                            produce();
                                        },
                                        .peerClosed =
                                            [&] {
                                                ++clientPeerClosed;
                                                client->close();
                                            },
                                        .closed = [&] {
                                            ++clientClosed;
                                            done = true;
                                        },
                                        .failed = [&](const std::string&) { ++failures; },
                                    });
        client->setHighWater(kHighWater);
        client->pauseReading();  // nobody reads the echo yet: the server's queue must grow
    });
    assert_true(waitFor([&] { return serverPauses > 0; }));
    size_t queuedAtServer = 0;
    stack.execute([&] {
        queuedAtServer = server->queued();
        client->resumeReading();
    });
    assert_true(queuedAtServer >= kHighWater);
    assert_true(waitFor([&] { return done.load(); }));
    size_t sentTotal = 0, receivedTotal = 0;
    bool allIntact = false;
    stack.execute([&] {
        sentTotal = sent;
        receivedTotal = received;
        allIntact = intact;
    });
    assert_int_equal(sentTotal, kTotal);
    assert_int_equal(receivedTotal, kTotal);
    assert_true(allIntact);
    assert_true(clientDrains > 0);
    assert_int_equal(serverPeerClosed.load(), 1);
    assert_int_equal(serverClosed.load(), 1);
    assert_int_equal(clientPeerClosed.load(), 1);
    assert_int_equal(clientClosed.load(), 1);
    assert_int_equal(failures.load(), 0);
    bool lateWrite = true;
    stack.execute([&] {
        lateWrite = client->write("late");  // closed: refused
        client.reset();
        server.reset();
        listener.reset();
    });
    assert_false(lateWrite);
    assert_int_equal(failedOnStack.load(), 0);
}

// writeFile: a file range between head and tail, in order with plain writes, through a full
// socket (the reader paused: sendfile() meets EAGAIN and waits for the socket); a range past
// the file's end fails the stream once.
static void a_file_range_goes_between_head_and_tail(void**) {
    constexpr size_t kFileSize = 3 * 1024 * 1024;
    gchar* path = nullptr;
    int fd = g_file_open_tmp("sylk-sendfile-test-XXXXXX", &path, nullptr);
    assert_true(fd >= 0);
    std::string content = pattern(0, kFileSize);
    assert_int_equal(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    auto keep = std::shared_ptr<const void>(new int(fd), [](const void* p) {
        close(*static_cast<const int*>(p));
        delete static_cast<const int*>(p);
    });
    std::string expected = "head1" + content.substr(1000, 2 * 1024 * 1024) + "tail1" + "plain" + "head2" +
                           content.substr(0, kFileSize) + "tail2" + "head3" + "tail3";
    StackThread stack("test-sendfile");
    std::shared_ptr<TcpStream> server, client;
    std::unique_ptr<TcpListener> listener;
    std::string received;
    std::atomic<int> failures{0}, serverFailures{0};
    std::string serverWhy;
    std::atomic<bool> accepted{false};
    stack.execute([&] {
        listener = std::make_unique<TcpListener>(stack, "127.0.0.1", 0, TlsOptions{}, [&](std::shared_ptr<TcpStream> s) {
            server = std::move(s);
            smallBuffers(*server);
            server->start({.failed = [&](const std::string& why) {
                serverWhy = why;
                ++serverFailures;
            }});
            expect(server->writeFile("head1", fd, 1000, 2 * 1024 * 1024, keep, "tail1"));
            expect(server->write("plain"));
            expect(server->writeFile("head2", fd, 0, kFileSize, keep, "tail2"));
            expect(server->writeFile("head3", fd, 0, 0, keep, "tail3"));
            expect(server->queued() > 0);  // the reader is paused: the socket is full
            accepted = true;
        });
        client = TcpStream::connect(stack, "127.0.0.1", listener->port(), TlsOptions{},
                                    {.connected = [&] { smallBuffers(*client); },
                                     .received = [&](const uint8_t* data, size_t size) {
                                         received.append(reinterpret_cast<const char*>(data), size);
                                     },
                                     .failed = [&](const std::string&) { ++failures; }});
        client->pauseReading();
    });
    assert_true(waitFor([&] { return accepted.load(); }));
    stack.execute([&] { client->resumeReading(); });
    size_t have = 0;
    assert_true(waitFor([&] {
        stack.execute([&] { have = received.size(); });
        return have >= expected.size();
    }));
    bool same = false;
    stack.execute([&] { same = received == expected; });
    assert_true(same);
    // A range past the end: the head goes, then the stream fails (once, from the loop).
    bool taken = false;
    stack.execute([&] { taken = server->writeFile("head4", fd, kFileSize - 10, 100, keep, "tail4"); });
    assert_true(taken);
    assert_true(waitFor([&] { return serverFailures.load() > 0; }));
    stack.execute([&] {
        expect(serverWhy.find("ended early") != std::string::npos);
        expect(!server->write("late"));
        client.reset();
        server.reset();
        listener.reset();
    });
    assert_int_equal(serverFailures.load(), 1);
    assert_int_equal(failedOnStack.load(), 0);
    g_unlink(path);
    g_free(path);
}

static void halfCloseThenCloseAfterFlush(const TlsOptions& serverTls, const TlsOptions& clientTls) {
    StackThread stack("test-halfclose");
    std::shared_ptr<TcpStream> server, client;
    std::unique_ptr<TcpListener> listener;
    std::string atServer, atClient;
    std::atomic<int> clientPeerClosed{0}, serverClosed{0}, failures{0};
    const std::string tail = pattern(0, 1024 * 1024);  // queued, then close(): all of it arrives
    stack.execute([&] {
        listener = std::make_unique<TcpListener>(stack, "127.0.0.1", 0, serverTls, [&](std::shared_ptr<TcpStream> s) {
            server = std::move(s);
            server->start({
                .received = [&](const uint8_t* data, size_t size) { atServer.append(reinterpret_cast<const char*>(data), size); },
                .peerClosed =
                    [&] {
                        // The client shut its side: we may still answer, then close after the flush.
                        expect(server->write("answer after your FIN:"));
                        expect(server->write(tail));
                        server->close();
                        expect(!server->write("refused after close()"));
                    },
                .closed = [&] { ++serverClosed; },
                .failed = [&](const std::string&) { ++failures; },
            });
        });
        client = TcpStream::connect(stack, "127.0.0.1", listener->port(), clientTls,
                                    {
                                        .received = [&](const uint8_t* data,
                                                        size_t size) { atClient.append(reinterpret_cast<const char*>(data), size); },
                                        .peerClosed = [&] { ++clientPeerClosed; },
                                        .failed = [&](const std::string&) { ++failures; },
                                    });
        expect(client->write("question"));  // queued while connecting
        client->shutdownWrite();
        expect(!client->write("refused after shutdownWrite()"));
    });
    assert_true(waitFor([&] { return clientPeerClosed > 0 && serverClosed > 0; }));
    std::string gotAtServer, gotAtClient;
    stack.execute([&] {
        gotAtServer = atServer;
        gotAtClient = atClient;
        client.reset();
        server.reset();
        listener.reset();
    });
    assert_string_equal(gotAtServer.c_str(), "question");
    assert_true(gotAtClient == "answer after your FIN:" + tail);
    assert_int_equal(failures.load(), 0);
    assert_int_equal(failedOnStack.load(), 0);
}

static void half_close_then_close_after_flush(void**) { halfCloseThenCloseAfterFlush(TlsOptions{}, TlsOptions{}); }

static void a_refused_connection_fails_once(void**) {
    StackThread stack("test-refused");
    uint16_t port = 0;
    stack.execute([&] {
        TcpListener probe(stack, "127.0.0.1", 0, TlsOptions{}, [](std::shared_ptr<TcpStream>) {});
        port = probe.port();
    });  // closed again: nobody listens there now
    std::shared_ptr<TcpStream> client;
    std::atomic<int> failures{0}, connected{0};
    std::string why;
    stack.execute([&] {
        client = TcpStream::connect(stack, "127.0.0.1", port, TlsOptions{},
                                    {.connected = [&] { ++connected; },
                                     .failed =
                                         [&](const std::string& reason) {
                                             why = reason;
                                             ++failures;
                                         }});
    });
    assert_true(waitFor([&] { return failures > 0; }));
    std::this_thread::sleep_for(50ms);
    assert_int_equal(failures.load(), 1);
    assert_int_equal(connected.load(), 0);
    bool written = true;
    std::string reason;
    stack.execute([&] {
        reason = why;
        written = client->write("x");
        client.reset();
    });
    assert_true(reason.find("cannot connect to 127.0.0.1:") == 0);
    assert_false(written);
}

static void a_peer_that_vanishes_mid_stream_is_one_failure(void**) {
    StackThread stack("test-vanish");
    std::shared_ptr<TcpStream> server, client;
    std::unique_ptr<TcpListener> listener;
    SourceHandle vanish;
    std::atomic<int> failures{0}, afterFailure{0};
    std::string why;
    size_t sent = 0;
    std::function<void()> produce = [&] {
        while (client->belowHighWater() && sent < 512 * 1024 * 1024) {
            client->write(pattern(sent, 64 * 1024));
            sent += 64 * 1024;
        }
    };
    auto event = [&] {
        if (failures)
            ++afterFailure;  // nothing may follow the failure
    };
    stack.execute([&] {
        listener = std::make_unique<TcpListener>(stack, "127.0.0.1", 0, TlsOptions{}, [&](std::shared_ptr<TcpStream> s) {
            server = std::move(s);
            server->start({.received = [&](const uint8_t*, size_t) {
                if (server->readingPaused())
                    return;
                // Stop reading, let unread bytes pile up, then vanish: the kernel resets.
                server->pauseReading();
                vanish = stack.after(50ms, [&] { server->abort(); });
            }});
        });
        client = TcpStream::connect(stack, "127.0.0.1", listener->port(), TlsOptions{},
                                    {.connected = [&] { produce(); },
                                     .received = [&](const uint8_t*, size_t) { event(); },
                                     .drained =
                                         [&] {
                                             event();
                                             produce();
                                         },
                                     .peerClosed = [&] { event(); },
                                     .closed = [&] { event(); },
                                     .failed =
                                         [&](const std::string& reason) {
                                             why = reason;
                                             ++failures;
                                         }});
    });
    assert_true(waitFor([&] { return failures > 0; }));
    std::this_thread::sleep_for(200ms);
    assert_int_equal(failures.load(), 1);
    assert_int_equal(afterFailure.load(), 0);
    std::string reason;
    bool open = true, written = true;
    stack.execute([&] {
        reason = why;
        open = client->isOpen();
        written = client->write("x");
        vanish.cancel();
        client.reset();
        server.reset();
        listener.reset();
    });
    assert_true(reason.find("send failed") == 0 || reason.find("receive failed") == 0);
    assert_true(reason.find("reset") != std::string::npos || reason.find("Broken pipe") != std::string::npos);
    assert_false(open);
    assert_false(written);
}

// ---------------------------------------------------------------- TLS

struct Certificates {
    std::string folder, ca, certificate, key, fingerprint;
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

// A CA and a certificate it signs for localhost / 127.0.0.1 (EC keys: quick to make).
static Certificates makeCertificates() {
    Certificates made;
    gchar* folder = g_dir_make_tmp("sylk-tls-test-XXXXXX", nullptr);
    made.folder = folder;
    g_free(folder);
    made.ca = made.folder + "/ca.pem";
    made.certificate = made.folder + "/server.pem";
    made.key = made.folder + "/server.key";
    const std::string f = made.folder;
    std::string script =
        "cd " + f + " && "
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem "
        "-days 2 -subj /CN=Sylk-Test-CA -addext basicConstraints=critical,CA:TRUE "
        "-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null && "
        "openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout server.key -out server.csr "
        "-subj /CN=localhost 2>/dev/null && "
        "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\nextendedKeyUsage=serverAuth\\n' > ext.cnf && "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile ext.cnf 2>/dev/null && "
        "openssl x509 -in server.pem -noout -fingerprint -sha256";
    std::string output = run(script);  // "sha256 Fingerprint=AB:CD:..."
    auto equals = output.find('=');
    if (equals != std::string::npos)
        made.fingerprint = output.substr(equals + 1, output.find_last_not_of("\r\n") - equals);
    return made;
}

static void removeCertificates(const Certificates& made) {
    for (const char* name : {"ca.pem", "ca.key", "ca.srl", "server.pem", "server.key", "server.csr", "ext.cnf"})
        g_remove((made.folder + "/" + name).c_str());
    g_rmdir(made.folder.c_str());
}

struct TlsOutcome {
    bool connected = false;
    std::string failure;
    std::string echoed;
    std::string fingerprint;
    std::string served;  // the listener's own fingerprint
};

// Connects to a TLS echo server with these client options and says what happened.
static TlsOutcome tryTls(const Certificates& made, TlsOptions options) {
    StackThread stack("test-tls");
    std::shared_ptr<TcpStream> server, client;
    std::unique_ptr<TcpListener> listener;
    std::atomic<bool> settled{false};
    TlsOutcome outcome;
    TlsOptions serverTls;
    serverTls.enabled = true;
    serverTls.certificateFile = made.certificate;
    serverTls.keyFile = made.key;
    options.enabled = true;
    stack.execute([&] {
        listener = std::make_unique<TcpListener>(stack, "127.0.0.1", 0, serverTls, [&](std::shared_ptr<TcpStream> s) {
            server = std::move(s);
            TcpStream* echo = server.get();
            server->start({.received = [echo](const uint8_t* data, size_t size) {
                echo->write(std::string_view(reinterpret_cast<const char*>(data), size));
            }});
        });
        outcome.served = listener->fingerprint();
        client = TcpStream::connect(stack, "127.0.0.1", listener->port(), options,
                                    {.connected =
                                         [&] {
                                             outcome.connected = true;
                                             outcome.fingerprint = client->peerFingerprint();
                                             client->write("hello over TLS");
                                         },
                                     .received =
                                         [&](const uint8_t* data, size_t size) {
                                             outcome.echoed.append(reinterpret_cast<const char*>(data), size);
                                             if (outcome.echoed.size() >= 14)
                                                 settled = true;
                                         },
                                     .failed =
                                         [&](const std::string& why) {
                                             outcome.failure = why;
                                             settled = true;
                                         }});
    });
    assert_true(waitFor([&] { return settled.load(); }));
    stack.execute([&] {
        client.reset();
        server.reset();
        listener.reset();
    });
    return outcome;
}

static void tls_checks_the_peer(void**) {
    Certificates made = makeCertificates();
    assert_true(made.fingerprint.size() == 95);  // 32 bytes as AB:CD:...

    TlsOptions trusted;
    trusted.caFile = made.ca;
    trusted.serverName = "localhost";
    TlsOutcome ok = tryTls(made, trusted);
    assert_true(ok.connected);
    assert_string_equal(ok.echoed.c_str(), "hello over TLS");
    assert_string_equal(ok.fingerprint.c_str(), made.fingerprint.c_str());  // as openssl computes it
    assert_string_equal(ok.served.c_str(), made.fingerprint.c_str());

    TlsOptions systemStore;  // our CA is not in it
    systemStore.serverName = "localhost";
    TlsOutcome untrusted = tryTls(made, systemStore);
    assert_false(untrusted.connected);
    assert_true(untrusted.failure.find("not signed by a trusted CA") != std::string::npos);

    TlsOptions wrongName = trusted;
    wrongName.serverName = "sip.example.com";
    TlsOutcome misnamed = tryTls(made, wrongName);
    assert_false(misnamed.connected);
    assert_true(misnamed.failure.find("does not name sip.example.com") != std::string::npos);

    TlsOptions pinned;  // no CA, any name: the pin (a=fingerprint) decides
    pinned.serverName = "whatever.invalid";
    pinned.pinnedFingerprint = "sha-256 " + made.fingerprint;
    TlsOutcome pinOk = tryTls(made, pinned);
    assert_true(pinOk.connected);
    assert_string_equal(pinOk.echoed.c_str(), "hello over TLS");

    TlsOptions wrongPin = trusted;  // trusted CA and right name, but not the pinned certificate
    wrongPin.pinnedFingerprint = std::string(made.fingerprint).replace(0, 2, made.fingerprint.substr(0, 2) == "00" ? "11" : "00");
    TlsOutcome pinBad = tryTls(made, wrongPin);
    assert_false(pinBad.connected);
    assert_true(pinBad.failure.find("pinned fingerprint") != std::string::npos);

    removeCertificates(made);
}

static void tls_half_close_then_close_after_flush(void**) {
    Certificates made = makeCertificates();
    TlsOptions serverTls;
    serverTls.enabled = true;
    serverTls.certificateFile = made.certificate;
    serverTls.keyFile = made.key;
    TlsOptions clientTls;
    clientTls.enabled = true;
    clientTls.caFile = made.ca;
    clientTls.serverName = "localhost";
    halfCloseThenCloseAfterFlush(serverTls, clientTls);  // close_notify one way, then the other
    removeCertificates(made);
}

// With TLS, writeFile reads the range and sends it encrypted, in order with the framing.
static void tls_sends_a_file_range(void**) {
    Certificates made = makeCertificates();
    gchar* path = nullptr;
    int fd = g_file_open_tmp("sylk-sendfile-tls-XXXXXX", &path, nullptr);
    assert_true(fd >= 0);
    std::string content = pattern(0, 300 * 1024);
    assert_int_equal(::write(fd, content.data(), content.size()), static_cast<ssize_t>(content.size()));
    auto keep = std::shared_ptr<const void>(new int(fd), [](const void* p) {
        close(*static_cast<const int*>(p));
        delete static_cast<const int*>(p);
    });
    std::string expected = "head" + content.substr(7, 200 * 1024) + "tail";
    TlsOptions serverTls;
    serverTls.enabled = true;
    serverTls.certificateFile = made.certificate;
    serverTls.keyFile = made.key;
    TlsOptions clientTls;
    clientTls.enabled = true;
    clientTls.caFile = made.ca;
    clientTls.serverName = "localhost";
    StackThread stack("test-tls-file");
    std::shared_ptr<TcpStream> server, client;
    std::unique_ptr<TcpListener> listener;
    std::string received;
    std::atomic<size_t> have{0};
    std::atomic<int> failures{0};
    stack.execute([&] {
        listener = std::make_unique<TcpListener>(stack, "127.0.0.1", 0, serverTls, [&](std::shared_ptr<TcpStream> s) {
            server = std::move(s);
            server->start({.received =
                               [&](const uint8_t* data, size_t size) {
                                   received.append(reinterpret_cast<const char*>(data), size);
                                   have = received.size();
                               },
                           .failed = [&](const std::string&) { ++failures; }});
        });
        client = TcpStream::connect(stack, "127.0.0.1", listener->port(), clientTls,
                                    {.failed = [&](const std::string&) { ++failures; }});
        expect(client->writeFile("head", fd, 7, 200 * 1024, keep, "tail"));  // queued while connecting
    });
    assert_true(waitFor([&] { return have.load() >= expected.size() || failures.load() > 0; }));
    bool same = false;
    stack.execute([&] {
        same = received == expected;
        client.reset();
        server.reset();
        listener.reset();
    });
    assert_true(same);
    assert_int_equal(failures.load(), 0);
    assert_int_equal(failedOnStack.load(), 0);
    g_unlink(path);
    g_free(path);
    removeCertificates(made);
}

static void a_listener_refuses_bad_settings(void**) {
    StackThread stack("test-listener");
    auto refused = [&](const std::string& address, uint16_t port, const TlsOptions& tls) {
        std::string error;
        stack.execute([&] {
            try {
                TcpListener listener(stack, address, port, tls, [](std::shared_ptr<TcpStream>) {});
            } catch (const std::exception& e) {
                error = e.what();
            }
        });
        return error;
    };
    assert_true(refused("not an address", 0, TlsOptions{}).find("not an IP address") == 0);
    TlsOptions missing;
    missing.enabled = true;
    missing.certificateFile = "/nonexistent/cert.pem";
    missing.keyFile = "/nonexistent/key.pem";
    assert_true(refused("127.0.0.1", 0, missing).find("TLS certificate /nonexistent/cert.pem") == 0);
    std::unique_ptr<TcpListener> first;
    stack.execute([&] { first = std::make_unique<TcpListener>(stack, "127.0.0.1", 0, TlsOptions{}, [](std::shared_ptr<TcpStream>) {}); });
    assert_true(refused("127.0.0.1", first->port(), TlsOptions{}).find("cannot listen on 127.0.0.1:") == 0);
    stack.execute([&] { first.reset(); });
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(echo_megabytes_with_backpressure),
        cmocka_unit_test(half_close_then_close_after_flush),
        cmocka_unit_test(a_file_range_goes_between_head_and_tail),
        cmocka_unit_test(a_refused_connection_fails_once),
        cmocka_unit_test(a_peer_that_vanishes_mid_stream_is_one_failure),
        cmocka_unit_test(tls_checks_the_peer),
        cmocka_unit_test(tls_half_close_then_close_after_flush),
        cmocka_unit_test(tls_sends_a_file_range),
        cmocka_unit_test(a_listener_refuses_bad_settings),
    };
    int failed = cmocka_run_group_tests(tests, nullptr, nullptr);
    // GIO's TLS handshakes run on GLib's worker threads, whose dynamic TLS (GnuTLS, dlopen()ed
    // with the GIO module) LeakSanitizer cannot walk at exit (its tracer crashes): let the idle
    // workers end first (they leave their pool's queue after half a second, then end).
    g_thread_pool_set_max_unused_threads(0);
    std::this_thread::sleep_for(1500ms);
    g_thread_pool_stop_unused_threads();
    return failed;
}
