// msrp_load: the load client of bench/msrp_switch_bench.py. Python cannot send and receive tens of
// thousands of MSRP frames a second on one core, so this program does only that, on MSRP
// connections that the bench has already opened and bound (or authenticated to a relay) and hands
// over as inherited file descriptors. It does not use sylkcore/msrp on purpose: the client's cost
// must not depend on the code under test, and it must be the same for every target.
//
//   msrp_load --config FILE --rate R --warmup W --seconds S [--drain D] [--body-bytes B]
//
// FILE: one line per session, tab separated: fd, own URI (From-Path), To-Path (space separated
// URIs), CPIM sender ("Name <sip:...>"). The sessions send together R messages per second
// (round robin, evenly spaced), each a message/cpim SEND whose text carries the send time
// (CLOCK_MONOTONIC ns: "bench-ts:<ns>;"). Every SEND that arrives is answered 200 (hop by hop:
// To-Path = the first From-Path URI, RFC 4976 section 7.3); one carrying a send time is a delivery,
// counted when it arrives in the window (to set against the server's CPU time in the window); the
// latency (arrival - send time, 0.1 ms histogram) is taken of every message sent in the window,
// arriving in the window or in the drain after it.
// stdout: "window-start" and "window-end" lines at the measured window's edges (the bench samples
// the server's CPU then), then one JSON line with the counts of the window and the latencies.
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace {

constexpr char kMarker[] = "bench-ts:";
constexpr size_t kBucketUs = 100;          // histogram resolution
constexpr size_t kBuckets = 100000;        // up to 10 s; later arrivals go into the last bucket

int64_t nowNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct Counters {
    uint64_t sent = 0;              // SENDs with a send time we wrote
    uint64_t delivered = 0;         // SENDs with a send time that arrived in the window (for the CPU figure)
    uint64_t deliveredOfWindow = 0; // deliveries of messages sent in the window, arriving until the end (latency)
    int64_t windowStart = 0, windowEnd = 0;  // send times that count for the latency
    uint64_t otherSends = 0;        // SENDs without one (notices, history, bindings)
    uint64_t responses = 0;         // responses received (to our SENDs, by hop)
    uint64_t errorResponses = 0;    // responses other than 2xx
    uint64_t reports = 0;
    uint64_t otherRequests = 0;
    uint64_t sendBlocked = 0;       // messages not written because the socket was full
    std::string firstError;         // the start line of the first error response, for the report
    std::vector<uint32_t> histogram = std::vector<uint32_t>(kBuckets, 0);
    int64_t maxLatencyUs = 0;
};

class Connection {
public:
    Connection(int fd, std::string ownUri, std::string toPath, std::string sender)
        : fd_(fd), ownUri_(std::move(ownUri)), toPath_(std::move(toPath)), sender_(std::move(sender)) {}
    ~Connection() { close(fd_); }

    int fd() const { return fd_; }
    bool closed() const { return closed_; }
    bool wantsWrite() const { return !out_.empty(); }

    // One message with the send time in its text; returns that time, or 0 when the socket's buffer
    // is full and the backlog here is already large (the target is not reading): then the message
    // is not sent.
    int64_t sendMessage(uint64_t sequence, size_t padBytes) {
        if (out_.size() > 256 * 1024)
            return 0;
        int64_t sentAt = nowNs();
        char text[96];
        snprintf(text, sizeof text, "%s%lld;seq:%llu;", kMarker, static_cast<long long>(sentAt),
                 static_cast<unsigned long long>(sequence));
        std::string content(text);
        if (content.size() < padBytes)
            content.append(padBytes - content.size(), 'x');
        std::string cpim = "From: " + sender_ + "\r\nDateTime: 2026-01-01T00:00:00Z\r\n\r\nContent-Type: text/plain\r\n\r\n" + content;
        char tid[24], mid[32];
        snprintf(tid, sizeof tid, "t%07llx", static_cast<unsigned long long>(++transactions_));
        snprintf(mid, sizeof mid, "m%llx", static_cast<unsigned long long>(sequence));
        std::string frame;
        frame.reserve(cpim.size() + 256);
        frame += "MSRP ";
        frame += tid;
        frame += " SEND\r\nTo-Path: " + toPath_ + "\r\nFrom-Path: " + ownUri_ + "\r\nMessage-ID: " + mid +
                 "\r\nByte-Range: 1-" + std::to_string(cpim.size()) + "/" + std::to_string(cpim.size()) +
                 "\r\nContent-Type: message/cpim\r\n\r\n" + cpim + "\r\n-------" + tid + "$\r\n";
        out_ += frame;
        flush();
        return sentAt;
    }

    void flush() {
        while (!out_.empty()) {
            ssize_t n = write(fd_, out_.data(), out_.size());
            if (n > 0) {
                out_.erase(0, static_cast<size_t>(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                if (n < 0 && errno != EAGAIN)
                    closed_ = true;
                return;
            }
        }
    }

    void readAvailable(Counters& counters, bool counting) {
        char buffer[65536];
        for (;;) {
            ssize_t n = read(fd_, buffer, sizeof buffer);
            if (n > 0) {
                in_.append(buffer, static_cast<size_t>(n));
                continue;
            }
            if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
                closed_ = true;
            if (n < 0 && errno == EINTR)
                continue;
            break;
        }
        size_t consumed = 0;
        while (size_t length = frameLength(consumed)) {
            handleFrame(std::string_view(in_).substr(consumed, length), counters, counting);
            consumed += length;
        }
        in_.erase(0, consumed);
        flush();
    }

private:
    // Length of the complete frame at offset `start` of the input, 0 while it is incomplete.
    size_t frameLength(size_t start) const {
        std::string_view rest = std::string_view(in_).substr(start);
        size_t lineEnd = rest.find("\r\n");
        if (lineEnd == std::string_view::npos)
            return 0;
        // "MSRP <tid> ..."
        size_t tidStart = rest.find(' ');
        size_t tidEnd = tidStart == std::string_view::npos ? tidStart : rest.find(' ', tidStart + 1);
        if (tidEnd == std::string_view::npos || tidEnd > lineEnd) {
            fprintf(stderr, "msrp_load: malformed start line\n");
            exit(3);
        }
        std::string endLine = "\r\n-------";
        endLine += rest.substr(tidStart + 1, tidEnd - tidStart - 1);
        for (size_t at = rest.find(endLine, lineEnd); at != std::string_view::npos; at = rest.find(endLine, at + 1)) {
            size_t flag = at + endLine.size();
            if (flag + 3 > rest.size())
                return 0;
            if ((rest[flag] == '$' || rest[flag] == '+' || rest[flag] == '#') && rest[flag + 1] == '\r' &&
                rest[flag + 2] == '\n')
                return flag + 3;
        }
        return 0;
    }

    static std::string_view header(std::string_view frame, std::string_view name) {
        size_t headEnd = frame.find("\r\n\r\n");
        std::string_view head = frame.substr(0, headEnd);
        std::string key = "\r\n";
        key += name;
        key += ": ";
        size_t at = head.find(key);
        if (at == std::string_view::npos)
            return {};
        size_t valueStart = at + key.size();
        size_t valueEnd = head.find("\r\n", valueStart);
        return head.substr(valueStart, valueEnd - valueStart);
    }

    void handleFrame(std::string_view frame, Counters& counters, bool counting) {
        size_t lineEnd = frame.find("\r\n");
        std::string_view start = frame.substr(0, lineEnd);
        size_t tidStart = start.find(' ') + 1;
        size_t tidEnd = start.find(' ', tidStart);
        std::string_view tid = start.substr(tidStart, tidEnd - tidStart);
        std::string_view what = start.substr(tidEnd + 1);
        if (!what.empty() && what[0] >= '0' && what[0] <= '9') {
            if (counting) {
                ++counters.responses;
                if (what[0] != '2' && counters.errorResponses++ == 0)
                    counters.firstError = std::string(start.substr(tidEnd + 1));
            }
            return;
        }
        if (what == "REPORT") {
            counters.reports += counting;
            return;
        }
        int64_t arrival = nowNs();
        std::string_view fromPath = header(frame, "From-Path");
        std::string_view previousHop = fromPath.substr(0, fromPath.find(' '));
        if (header(frame, "Failure-Report") != "no") {
            std::string response = "MSRP ";
            response += tid;
            response += what == "SEND" ? " 200 OK\r\nTo-Path: " : " 501 Unknown method\r\nTo-Path: ";
            response += what == "SEND" ? previousHop : fromPath;
            response += "\r\nFrom-Path: " + ownUri_ + "\r\n-------";
            response += tid;
            response += "$\r\n";
            out_ += response;
        }
        if (what != "SEND") {
            counters.otherRequests += counting;
            return;
        }
        size_t marker = frame.find(kMarker);
        if (marker == std::string_view::npos) {
            counters.otherSends += counting;
            return;
        }
        counters.delivered += counting;
        // Latency of every message sent in the window, also when it arrives after it (during the
        // drain): a target that serves some connections late must not hide them.
        int64_t sentAt = strtoll(frame.data() + marker + sizeof kMarker - 1, nullptr, 10);
        if (sentAt < counters.windowStart || sentAt >= counters.windowEnd)
            return;
        int64_t latencyUs = std::max<int64_t>(0, (arrival - sentAt) / 1000);
        ++counters.deliveredOfWindow;
        counters.maxLatencyUs = std::max(counters.maxLatencyUs, latencyUs);
        counters.histogram[std::min<size_t>(static_cast<size_t>(latencyUs) / kBucketUs, kBuckets - 1)]++;
    }

    int fd_;
    std::string ownUri_, toPath_, sender_;
    std::string in_, out_;
    uint64_t transactions_ = 0;
    bool closed_ = false;
};

struct Options {
    std::string config;
    double rate = 1000;       // messages per second, all sessions together
    double warmup = 2, seconds = 5, drain = 1;
    size_t bodyBytes = 64;
};

Options parseOptions(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string name = argv[i];
        const char* value = argv[i + 1];
        if (name == "--config")
            options.config = value;
        else if (name == "--rate")
            options.rate = atof(value);
        else if (name == "--warmup")
            options.warmup = atof(value);
        else if (name == "--seconds")
            options.seconds = atof(value);
        else if (name == "--drain")
            options.drain = atof(value);
        else if (name == "--body-bytes")
            options.bodyBytes = static_cast<size_t>(atol(value));
        else {
            fprintf(stderr, "msrp_load: unknown option %s\n", argv[i]);
            exit(2);
        }
    }
    if (options.config.empty() || options.rate <= 0) {
        fprintf(stderr, "usage: msrp_load --config FILE --rate R [--warmup W --seconds S --drain D --body-bytes B]\n");
        exit(2);
    }
    return options;
}

std::vector<std::unique_ptr<Connection>> readConfig(const std::string& path) {
    std::vector<std::unique_ptr<Connection>> connections;
    std::ifstream in(path);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty())
            continue;
        std::vector<std::string> fields;
        std::stringstream split(line);
        std::string field;
        while (std::getline(split, field, '\t'))
            fields.push_back(field);
        if (fields.size() != 4) {
            fprintf(stderr, "msrp_load: config line needs 4 tab-separated fields: %s\n", line.c_str());
            exit(2);
        }
        int fd = atoi(fields[0].c_str());
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
        connections.push_back(std::make_unique<Connection>(fd, fields[1], fields[2], fields[3]));
    }
    if (connections.empty()) {
        fprintf(stderr, "msrp_load: no sessions in %s\n", path.c_str());
        exit(2);
    }
    return connections;
}

// A status line for a JSON string: printable ASCII without quotes or backslashes.
std::string jsonSafe(const std::string& text) {
    std::string safe;
    for (char c : text)
        safe += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
    return safe;
}

double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

int64_t percentileUs(const Counters& counters, double fraction) {
    if (counters.deliveredOfWindow == 0)
        return -1;
    uint64_t wanted = static_cast<uint64_t>(fraction * static_cast<double>(counters.deliveredOfWindow));
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
        seen += counters.histogram[i];
        if (seen > wanted)
            return static_cast<int64_t>((i + 1) * kBucketUs);  // upper edge of the bucket
    }
    return counters.maxLatencyUs;
}

}  // namespace

int main(int argc, char** argv) {
    Options options = parseOptions(argc, argv);
    auto connections = readConfig(options.config);
    int epoll = epoll_create1(0);
    for (size_t i = 0; i < connections.size(); ++i) {
        epoll_event event{};
        event.events = EPOLLIN;
        event.data.u64 = i;
        epoll_ctl(epoll, EPOLL_CTL_ADD, connections[i]->fd(), &event);
    }
    std::vector<bool> writeWatched(connections.size(), false);

    Counters counters;
    const int64_t start = nowNs();
    const int64_t windowStart = start + static_cast<int64_t>(options.warmup * 1e9);
    const int64_t windowEnd = windowStart + static_cast<int64_t>(options.seconds * 1e9);
    const int64_t end = windowEnd + static_cast<int64_t>(options.drain * 1e9);
    counters.windowStart = windowStart;
    counters.windowEnd = windowEnd;
    const double interval = 1e9 / options.rate;
    uint64_t nextMessage = 0;  // message k is due at start + k * interval, from session k % N
    bool inWindow = false, windowDone = false;
    double cpuAtStart = 0, cpuAtEnd = 0;
    int64_t windowStartedAt = 0, windowEndedAt = 0;
    uint64_t closedConnections = 0;
    std::vector<epoll_event> events(256);

    for (;;) {
        int64_t now = nowNs();
        if (!inWindow && !windowDone && now >= windowStart) {
            inWindow = true;
            windowStartedAt = now;
            cpuAtStart = cpuSeconds();
            printf("window-start\n");
            fflush(stdout);
        }
        if (inWindow && now >= windowEnd) {
            inWindow = false;
            windowDone = true;
            windowEndedAt = now;
            cpuAtEnd = cpuSeconds();
            printf("window-end\n");
            fflush(stdout);
        }
        if (now >= end)
            break;
        // Sending stops with the window, so that the drain only collects what is under way.
        while (now < windowEnd && start + static_cast<int64_t>(static_cast<double>(nextMessage) * interval) <= now) {
            Connection& connection = *connections[nextMessage % connections.size()];
            if (!connection.closed()) {
                // counted by the send time written in it, as the receivers count the latency
                int64_t sentAt = connection.sendMessage(nextMessage, options.bodyBytes);
                if (sentAt == 0)
                    counters.sendBlocked += inWindow;
                else if (sentAt >= windowStart && sentAt < windowEnd)
                    ++counters.sent;
            }
            ++nextMessage;
        }
        int64_t nextDue = now < windowEnd ? start + static_cast<int64_t>(static_cast<double>(nextMessage) * interval)
                                          : end;
        // Rounded up to whole ms: a wait of 0 while the next message is less than 1 ms away would
        // spin a core; a message sent up to 1 ms late carries its real send time anyway.
        int64_t wait = nextDue - nowNs();
        int timeoutMs = wait <= 0 ? 0 : static_cast<int>(std::clamp<int64_t>((wait + 999999) / 1000000, 1, 100));
        int ready = epoll_wait(epoll, events.data(), static_cast<int>(events.size()), timeoutMs);
        for (int i = 0; i < ready; ++i) {
            size_t index = events[static_cast<size_t>(i)].data.u64;
            Connection& connection = *connections[index];
            if (events[static_cast<size_t>(i)].events & EPOLLOUT)
                connection.flush();
            if (events[static_cast<size_t>(i)].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                connection.readAvailable(counters, inWindow);
            if (connection.closed()) {
                epoll_ctl(epoll, EPOLL_CTL_DEL, connection.fd(), nullptr);
                ++closedConnections;
                continue;
            }
        }
        // Watch for writability only where something is queued.
        for (size_t index = 0; index < connections.size(); ++index) {
            Connection& connection = *connections[index];
            if (connection.closed() || connection.wantsWrite() == writeWatched[index])
                continue;
            writeWatched[index] = connection.wantsWrite();
            epoll_event event{};
            event.events = EPOLLIN | (writeWatched[index] ? static_cast<uint32_t>(EPOLLOUT) : 0u);
            event.data.u64 = index;
            epoll_ctl(epoll, EPOLL_CTL_MOD, connection.fd(), &event);
        }
    }
    double window = static_cast<double>(windowEndedAt - windowStartedAt) / 1e9;
    printf("{\"sessions\": %zu, \"window_s\": %.6f, \"sent\": %llu, \"delivered\": %llu, \"delivered_of_window_sends\": %llu, \"other_sends\": %llu, "
           "\"responses\": %llu, \"error_responses\": %llu, \"reports\": %llu, \"other_requests\": %llu, "
           "\"send_blocked\": %llu, \"closed_connections\": %llu, \"latency_us\": {\"p50\": %lld, \"p90\": %lld, "
           "\"p99\": %lld, \"p999\": %lld, \"max\": %lld}, \"client_cpu_s\": %.6f, \"first_error\": \"%s\"}\n",
           connections.size(), window, static_cast<unsigned long long>(counters.sent),
           static_cast<unsigned long long>(counters.delivered),
           static_cast<unsigned long long>(counters.deliveredOfWindow), static_cast<unsigned long long>(counters.otherSends),
           static_cast<unsigned long long>(counters.responses),
           static_cast<unsigned long long>(counters.errorResponses), static_cast<unsigned long long>(counters.reports),
           static_cast<unsigned long long>(counters.otherRequests),
           static_cast<unsigned long long>(counters.sendBlocked), static_cast<unsigned long long>(closedConnections),
           static_cast<long long>(percentileUs(counters, 0.5)), static_cast<long long>(percentileUs(counters, 0.9)),
           static_cast<long long>(percentileUs(counters, 0.99)), static_cast<long long>(percentileUs(counters, 0.999)),
           static_cast<long long>(counters.maxLatencyUs), cpuAtEnd - cpuAtStart, jsonSafe(counters.firstError).c_str());
    close(epoll);
    return 0;
}
