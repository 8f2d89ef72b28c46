// msrp_file_peer: the peer of bench/msrp_file_bench.py, in C++ so that the peer is not what bounds
// a transfer (the Python peer framing and parsing 50 MB took longer than the server did). It does
// not use sylkcore/msrp on purpose: the peer's cost must not depend on the code under test. The raw
// TCP copy it is compared with is made by the same program with the same technique (blocking
// sockets, the same chunk size per write, one read buffer of 1 MiB), so both sides of the ratio
// pay the same peer costs.
//
//   msrp_file_peer raw-sink HOST BYTES [STORE [HOW]]
//                                                   listens on HOST (port printed on stdout), reads
//                                                   BYTES from one connection, then writes one byte;
//                                                   with STORE (a path) it also writes them there,
//                                                   HOW (see storeMode below): "hash" (the default)
//                                                   buffered and SHA-1 hashed on its one thread;
//                                                   buffered|buffered-sync|direct|direct-sync as
//                                                   janus stores an upload in that mode, no hash
//   msrp_file_peer raw-sendfile LOCAL HOST PORT FILE CHUNK
//                                                   sendfile()s FILE in CHUNK-byte ranges, as janus
//                                                   sends a pull; waits for the sink's byte
//   msrp_file_peer raw-send LOCAL HOST PORT FILE CHUNK
//                                                   writes FILE in CHUNK-byte writes; waits for the
//                                                   sink's byte
//   msrp_file_peer send LOCAL HOST PORT TO FROM FILE CHUNK
//                                                   sends FILE as one MSRP message in CHUNK-byte SEND
//                                                   chunks (pipelined, Success-Report: yes), every
//                                                   chunk's 200 read; ends at the success REPORT
//                                                   (the server sends it once the file is stored)
//   msrp_file_peer recv LOCAL HOST PORT TO FROM OUT [BYTES]
//                                                   binds the session with an empty SEND, answers
//                                                   every chunk of the incoming message 200, writes
//                                                   the body to OUT (after the clock stops); with
//                                                   BYTES (the expected size) the body's memory is
//                                                   allocated and touched before the clock starts,
//                                                   as the raw sink's read buffer is: the clock then
//                                                   measures the copy, not this VM's first touch of
//                                                   50 MB of fresh pages (up to 5 ms/MB here)
//   msrp_file_peer evict PATH                       PATH's pages out of the page cache (after a
//                                                   write-back), so that its next read is cold
//   msrp_file_peer disk FILE PATH                   the device's own speeds, no network: writes FILE
//                                                   to PATH with 1 MiB O_DIRECT writes from an
//                                                   aligned buffer, then reads it back cold (64 KiB
//                                                   reads; a direct write leaves nothing in the page
//                                                   cache), as a pull of a file no longer in the page
//                                                   cache reads it; prints {"write_seconds":
//                                                   W, "read_seconds": R, "bytes": N} and removes PATH
//
// LOCAL is the address to connect from. The file is read into memory before the clock starts. On
// success stdout's last line is {"seconds": S, "bytes": N, "cpu": C} (S from the first byte written
// to the end, C this process's CPU seconds over the same span); the raw sink's last line is
// {"cpu": C} from the accept to its answer. A protocol error exits 1 with the reason on stderr.
#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <algorithm>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>

namespace {

constexpr size_t kReadSize = 1 << 20;

[[noreturn]] void die(const std::string& why) {
    fprintf(stderr, "msrp_file_peer: %s\n", why.c_str());
    exit(1);
}

double now() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        die("cannot read " + path);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

sockaddr_in address(const std::string& host, uint16_t port) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1)
        die("not an IPv4 address: " + host);
    return addr;
}

int connectFrom(const std::string& local, const std::string& host, uint16_t port) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from = address(local, 0), to = address(host, port);
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
        connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0)
        die("cannot connect to " + host + ":" + std::to_string(port) + ": " + strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

void writeAll(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = write(fd, bytes.data(), bytes.size());
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die(std::string("write failed: ") + strerror(errno));
        bytes.remove_prefix(static_cast<size_t>(n));
    }
}

// This process's CPU seconds (user + system): what a transfer costs an end, whatever the load.
double cpuNow() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void report(double seconds, uint64_t bytes, double cpu) {
    printf("{\"seconds\": %.6f, \"bytes\": %llu, \"cpu\": %.6f}\n", seconds, static_cast<unsigned long long>(bytes),
           cpu);
}

// ---------------------------------------------------------------- raw copy

// How a raw sink with a STORE path keeps the bytes: "hash" writes each read buffered and SHA-1
// hashes it on the one thread (what storing and hashing cost a plain receiver); the others write
// the file without hashing (the raw copy that stores: the fair baseline for an upload):
// "buffered" plain pwrite() into the page cache, as janus stores an upload; "direct" 1 MiB
// O_DIRECT writes from an aligned buffer the socket is read into (the tail buffered), as janus
// stored one before 2026-12-06; "-sync" adds an fdatasync() before the answer (experiments: what
// a sync before the success REPORT would cost).
struct StoreMode {
    bool hash = false, direct = false, sync = false;
};

StoreMode storeMode(const std::string& how) {
    if (how == "hash")
        return {true, false, false};
    if (how == "buffered")
        return {};
    if (how == "buffered-sync")
        return {false, false, true};
    if (how == "direct")
        return {false, true, false};
    if (how == "direct-sync")
        return {false, true, true};
    die("unknown store mode " + how);
}

int rawSink(const std::string& host, uint64_t bytes, const std::string& store, const std::string& how) {
    StoreMode mode = storeMode(how);
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr = address(host, 0);
    socklen_t length = sizeof addr;
    if (listener < 0 || bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(listener, 1) != 0 ||
        getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &length) != 0)
        die(std::string("cannot listen: ") + strerror(errno));
    printf("%u\n", ntohs(addr.sin_port));
    fflush(stdout);
    int fd = accept(listener, nullptr, nullptr);
    if (fd < 0)
        die(std::string("accept failed: ") + strerror(errno));
    double cpuStart = cpuNow();
    int file = store.empty() ? -1
                             : open(store.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (mode.direct ? O_DIRECT : 0), 0600);
    if (!store.empty() && file < 0)
        die("cannot write " + store + ": " + strerror(errno));
    EVP_MD_CTX* sha1 = EVP_MD_CTX_new();
    EVP_DigestInit_ex(sha1, EVP_sha1(), nullptr);
    void* aligned = nullptr;
    if (posix_memalign(&aligned, 4096, kReadSize) != 0)
        die("out of memory");
    std::unique_ptr<char, decltype(&free)> buffer(static_cast<char*>(aligned), &free);
    memset(buffer.get(), 0, kReadSize);  // touched before the clock matters, as a long-lived receiver's is
    uint64_t got = 0, written = 0;
    size_t filled = 0;  // direct: bytes gathered in the buffer, written once it is full
    while (got < bytes) {
        ssize_t n = read(fd, buffer.get() + filled, kReadSize - filled);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die("the sender stopped after " + std::to_string(got) + " bytes");
        got += static_cast<uint64_t>(n);
        if (file < 0)
            continue;
        if (mode.direct) {
            filled += static_cast<size_t>(n);
            if (filled < kReadSize && got < bytes)
                continue;
            if (filled < kReadSize)  // the tail: buffered, as janus writes it
                fcntl(file, F_SETFL, fcntl(file, F_GETFL) & ~O_DIRECT);
            if (pwrite(file, buffer.get(), filled, static_cast<off_t>(written)) != static_cast<ssize_t>(filled))
                die("cannot write " + store + ": " + strerror(errno));
            written += filled;
            filled = 0;
            continue;
        }
        if (pwrite(file, buffer.get(), static_cast<size_t>(n), static_cast<off_t>(written)) != n)
            die("cannot write " + store);
        written += static_cast<uint64_t>(n);
        if (mode.hash)
            EVP_DigestUpdate(sha1, buffer.get(), static_cast<size_t>(n));
    }
    if (file >= 0) {
        unsigned char digest[EVP_MAX_MD_SIZE];
        unsigned int size = 0;
        if (mode.hash)
            EVP_DigestFinal_ex(sha1, digest, &size);
        if (mode.sync && fdatasync(file) != 0)
            die("cannot sync " + store + ": " + strerror(errno));
        close(file);  // stored (and hashed), as the server has it when it reports
    }
    EVP_MD_CTX_free(sha1);
    writeAll(fd, "k");
    printf("{\"cpu\": %.6f}\n", cpuNow() - cpuStart);
    close(fd);
    close(listener);
    return 0;
}

int rawSend(const std::string& local, const std::string& host, uint16_t port, const std::string& file, size_t chunk) {
    std::string payload = readFile(file);
    int fd = connectFrom(local, host, port);
    double cpuStart = cpuNow();
    double start = now();
    for (size_t offset = 0; offset < payload.size(); offset += chunk)
        writeAll(fd, std::string_view(payload).substr(offset, chunk));
    char ack = 0;
    if (read(fd, &ack, 1) != 1)
        die("no acknowledgement from the sink");
    report(now() - start, payload.size(), cpuNow() - cpuStart);
    close(fd);
    return 0;
}

// The raw copy of a stored file: sendfile() of FILE in CHUNK-byte ranges (page cache to socket,
// as janus sends a pull's chunk bodies), whatever state of the page cache the store left it in.
int rawSendFile(const std::string& local, const std::string& host, uint16_t port, const std::string& file, size_t chunk) {
    int in = open(file.c_str(), O_RDONLY | O_CLOEXEC);
    struct stat info{};
    if (in < 0 || fstat(in, &info) != 0)
        die("cannot read " + file);
    int fd = connectFrom(local, host, port);
    double cpuStart = cpuNow();
    double start = now();
    off_t offset = 0;
    while (offset < info.st_size) {
        ssize_t n = sendfile(fd, in, &offset, std::min<size_t>(chunk, static_cast<size_t>(info.st_size - offset)));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            die(std::string("sendfile failed: ") + strerror(errno));
    }
    char ack = 0;
    if (read(fd, &ack, 1) != 1)
        die("no acknowledgement from the sink");
    report(now() - start, static_cast<uint64_t>(info.st_size), cpuNow() - cpuStart);
    close(fd);
    close(in);
    return 0;
}

// ---------------------------------------------------------------- MSRP

// One MSRP frame as this peer needs it: start line parts, a few headers, the body's place.
struct Frame {
    std::string tid, method;  // method empty: a response
    int status = 0;
    std::string messageId, byteRange, statusHeader, toPath, fromPath;
    std::string_view body;
    char flag = '$';
};

// Reads frames from a byte stream: incremental over one growing buffer. A frame's body points into
// the buffer until the next fill().
class FrameReader {
public:
    explicit FrameReader(int fd) : fd_(fd) {}

    // One read (blocking); false at the end of the stream.
    // The buffer is sized once (grown only for a frame bigger than it) and never zero-filled
    // per read: a resize per read cleared 1 MiB for every read, more than the copy itself.
    bool fill() {
        if (consumed_ > 0 && (consumed_ == used_ || consumed_ > (1 << 20))) {
            std::memmove(buffer_.data(), buffer_.data() + consumed_, used_ - consumed_);
            used_ -= consumed_;
            consumed_ = 0;
        }
        if (buffer_.size() < used_ + kReadSize)
            buffer_.resize(used_ + kReadSize);
        ssize_t n;
        do {
            n = read(fd_, buffer_.data() + used_, kReadSize);
        } while (n < 0 && errno == EINTR);
        used_ += static_cast<size_t>(n > 0 ? n : 0);
        return n > 0;
    }

    // The next complete frame already read; false when there is none yet.
    bool parse(Frame& frame) {
        std::string_view all(buffer_.data(), used_);
        all.remove_prefix(consumed_);
        size_t lineEnd = all.find("\r\n");
        if (lineEnd == std::string_view::npos)
            return false;
        std::string_view start = all.substr(0, lineEnd);
        if (start.substr(0, 5) != "MSRP ")
            die("not an MSRP frame: " + std::string(start.substr(0, 40)));
        size_t space = start.find(' ', 5);
        frame = Frame{};
        frame.tid = std::string(start.substr(5, space - 5));
        std::string_view what = start.substr(space + 1);
        if (!what.empty() && what[0] >= '0' && what[0] <= '9')
            frame.status = atoi(std::string(what.substr(0, 3)).c_str());
        else
            frame.method = std::string(what);
        std::string endLine = "-------" + frame.tid;
        size_t at = lineEnd + 2;
        while (true) {
            size_t end = all.find("\r\n", at);
            if (end == std::string_view::npos)
                return false;
            std::string_view line = all.substr(at, end - at);
            at = end + 2;
            if (line.substr(0, endLine.size()) == endLine && line.size() == endLine.size() + 1) {
                frame.flag = line.back();
                consumed_ += at;
                return true;
            }
            if (line.empty())
                break;
            size_t colon = line.find(':');
            std::string_view name = line.substr(0, colon), value = line.substr(colon + 2);
            if (name == "Message-ID")
                frame.messageId = value;
            else if (name == "Byte-Range")
                frame.byteRange = value;
            else if (name == "Status")
                frame.statusHeader = value;
            else if (name == "To-Path")
                frame.toPath = value;
            else if (name == "From-Path")
                frame.fromPath = value;
        }
        // The body: where Byte-Range says it ends when the end-line is there, else searched.
        std::string marker = "\r\n" + endLine;
        size_t bodyEnd = std::string_view::npos;
        unsigned long long first = 0, last = 0;
        if (sscanf(frame.byteRange.c_str(), "%llu-%llu", &first, &last) == 2 && last >= first - 1) {
            size_t expected = at + static_cast<size_t>(last - first + 1);
            if (all.size() < expected + marker.size() + 3)
                return false;
            if (all.substr(expected, marker.size()) == marker)
                bodyEnd = expected;
        }
        if (bodyEnd == std::string_view::npos) {
            bodyEnd = all.find(marker, at);
            if (bodyEnd == std::string_view::npos || all.size() < bodyEnd + marker.size() + 3)
                return false;
        }
        frame.body = all.substr(at, bodyEnd - at);
        frame.flag = all[bodyEnd + marker.size()];
        consumed_ += bodyEnd + marker.size() + 3;
        return true;
    }

private:
    int fd_;
    std::string buffer_;
    size_t used_ = 0;      // bytes of buffer_ read
    size_t consumed_ = 0;  // of those, parsed into frames
};

// A response to a request of the peer: To-Path is its From-Path (one hop), From-Path ours.
std::string response(const Frame& request, const std::string& from) {
    return "MSRP " + request.tid + " 200 OK\r\nTo-Path: " + request.fromPath + "\r\nFrom-Path: " + from + "\r\n-------" +
           request.tid + "$\r\n";
}

int msrpSend(const std::string& local, const std::string& host, uint16_t port, const std::string& to,
             const std::string& from, const std::string& file, size_t chunk) {
    std::string payload = readFile(file);
    int fd = connectFrom(local, host, port);
    // The chunks are written as fast as the socket takes them; responses are read meanwhile.
    size_t chunks = (payload.size() + chunk - 1) / chunk;
    double cpuStart = cpuNow();
    double start = now();
    size_t sent = 0, written = 0;
    std::string pending;  // the frame being written
    size_t pendingAt = 0;
    FrameReader reader(fd);
    size_t answered = 0;
    bool reported = false;
    while (!reported) {
        if (pendingAt == pending.size() && sent < payload.size()) {
            size_t length = std::min(chunk, payload.size() - sent);
            std::string tid = "chunk" + std::to_string(written);  // 4-32 characters (RFC 4975 ident)
            pending.clear();
            pending.reserve(length + 256);
            pending += "MSRP " + tid + " SEND\r\nTo-Path: " + to + "\r\nFrom-Path: " + from +
                       "\r\nMessage-ID: benchfile\r\nSuccess-Report: yes\r\nByte-Range: " + std::to_string(sent + 1) + "-" +
                       std::to_string(sent + length) + "/" + std::to_string(payload.size()) +
                       "\r\nContent-Type: application/octet-stream\r\n\r\n";
            pending.append(payload, sent, length);
            pending += "\r\n-------" + tid + (sent + length == payload.size() ? "$" : "+") + "\r\n";
            pendingAt = 0;
            sent += length;
            ++written;
        }
        pollfd p{fd, static_cast<short>(POLLIN | (pendingAt < pending.size() ? POLLOUT : 0)), 0};
        if (poll(&p, 1, 60000) <= 0)
            die("no progress for 60 s");
        if (p.revents & POLLOUT) {
            ssize_t n = send(fd, pending.data() + pendingAt, pending.size() - pendingAt, MSG_DONTWAIT);
            if (n < 0 && errno != EAGAIN && errno != EINTR)
                die(std::string("write failed: ") + strerror(errno));
            if (n > 0)
                pendingAt += static_cast<size_t>(n);
        }
        if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
            if (!reader.fill())
                die("the server closed the connection");
            Frame frame;
            while (!reported && reader.parse(frame)) {
                if (frame.method.empty()) {
                    if (frame.status != 200)
                        die("chunk " + frame.tid + " answered " + std::to_string(frame.status));
                    ++answered;
                } else if (frame.method == "REPORT") {
                    if (frame.statusHeader.substr(0, 7) != "000 200")
                        die("failure REPORT: " + frame.statusHeader);
                    reported = true;
                }
            }
        }
    }
    double seconds = now() - start;
    if (answered < chunks)  // the last responses may trail the REPORT by a frame or two
        fprintf(stderr, "msrp_file_peer: %zu of %zu chunks answered at the REPORT\n", answered, chunks);
    report(seconds, payload.size(), cpuNow() - cpuStart);
    close(fd);
    return 0;
}

int msrpRecv(const std::string& local, const std::string& host, uint16_t port, const std::string& to,
             const std::string& from, const std::string& out, uint64_t expected) {
    std::unique_ptr<char[]> body;  // not zero-filled: every byte is written by a chunk
    if (expected > 0) {
        body.reset(new char[expected]);
        memset(body.get(), 0, expected);  // touched now, outside the clock
    }
    double cpuStart = cpuNow();
    double start = now();
    int fd = connectFrom(local, host, port);
    // RFC 4975 section 5.4: a bodiless SEND binds the session; the server then sends the file.
    writeAll(fd, "MSRP bind1 SEND\r\nTo-Path: " + to + "\r\nFrom-Path: " + from +
                     "\r\nMessage-ID: bind1\r\nByte-Range: 1-0/0\r\n-------bind1$\r\n");
    FrameReader reader(fd);
    uint64_t received = 0, total = expected;
    bool complete = false;
    std::string answers;
    while (!complete) {
        if (!reader.fill())
            die("the server closed the connection after " + std::to_string(received) + " bytes");
        Frame frame;
        while (reader.parse(frame)) {
            if (frame.method.empty()) {
                if (frame.status != 200)
                    die("our request " + frame.tid + " answered " + std::to_string(frame.status));
                continue;
            }
            if (frame.method != "SEND")
                continue;
            answers += response(frame, from);
            unsigned long long first = 0, last = 0, size = 0;
            if (sscanf(frame.byteRange.c_str(), "%llu-%llu/%llu", &first, &last, &size) != 3 || first == 0)
                die("a chunk without a usable Byte-Range: " + frame.byteRange);
            if (!body) {
                body.reset(new char[size ? size : 1]);
                total = size;
            }
            // (with BYTES given, a different announced size fails below)
            if (size != total || first - 1 + frame.body.size() > total)
                die("a chunk past the announced size");
            memcpy(body.get() + first - 1, frame.body.data(), frame.body.size());
            received += frame.body.size();
            if (frame.flag == '$' && received >= total)
                complete = true;
        }
        writeAll(fd, answers);  // every chunk answered, a read's worth at a time
        answers.clear();
    }
    double seconds = now() - start;
    double cpu = cpuNow() - cpuStart;
    std::ofstream(out, std::ios::binary).write(body.get(), static_cast<std::streamsize>(total));
    report(seconds, received, cpu);
    close(fd);
    return 0;
}

// ---------------------------------------------------------------- evict

// Takes PATH's pages out of the page cache (written back first: dirty pages stay), so that the
// next read of it comes from the disk: the pull of a room file stored long ago or before a restart.
int evict(const std::string& path) {
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fdatasync(fd) != 0 || posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0)
        die("cannot evict " + path + ": " + strerror(errno));
    close(fd);
    printf("{}\n");
    return 0;
}

// ---------------------------------------------------------------- disk

int disk(const std::string& file, const std::string& path) {
    std::string payload = readFile(file);
    constexpr size_t kStage = 1 << 20;
    void* aligned = nullptr;
    if (posix_memalign(&aligned, 4096, kStage) != 0)
        die("out of memory");
    std::unique_ptr<char, decltype(&free)> stage(static_cast<char*>(aligned), &free);
    int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_DIRECT, 0600);
    if (fd < 0)
        die("cannot write " + path + " with O_DIRECT: " + strerror(errno));
    double start = now();
    for (size_t offset = 0; offset < payload.size(); offset += kStage) {
        size_t length = std::min(kStage, payload.size() - offset);
        if (length < kStage) {  // the tail: buffered, as janus writes it
            fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_DIRECT);
            if (pwrite(fd, payload.data() + offset, length, static_cast<off_t>(offset)) != static_cast<ssize_t>(length))
                die("cannot write " + path);
            break;
        }
        memcpy(stage.get(), payload.data() + offset, length);
        if (pwrite(fd, stage.get(), length, static_cast<off_t>(offset)) != static_cast<ssize_t>(length))
            die("cannot write " + path + ": " + strerror(errno));
    }
    close(fd);
    double written = now() - start;
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot read " + path);
    std::string buffer(64 * 1024, '\0');
    uint64_t got = 0;
    start = now();
    ssize_t n;
    while ((n = read(fd, buffer.data(), buffer.size())) > 0)
        got += static_cast<uint64_t>(n);
    double readBack = now() - start;
    close(fd);
    unlink(path.c_str());
    if (got != payload.size())
        die("read back " + std::to_string(got) + " bytes");
    printf("{\"write_seconds\": %.6f, \"read_seconds\": %.6f, \"bytes\": %zu}\n", written, readBack, payload.size());
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    if (mode == "raw-sink" && argc >= 4 && argc <= 6)
        return rawSink(argv[2], std::stoull(argv[3]), argc >= 5 ? argv[4] : "", argc == 6 ? argv[5] : "hash");
    if (mode == "raw-sendfile" && argc == 7)
        return rawSendFile(argv[2], argv[3], static_cast<uint16_t>(std::stoi(argv[4])), argv[5], std::stoul(argv[6]));
    if (mode == "raw-send" && argc == 7)
        return rawSend(argv[2], argv[3], static_cast<uint16_t>(std::stoi(argv[4])), argv[5], std::stoul(argv[6]));
    if (mode == "send" && argc == 9)
        return msrpSend(argv[2], argv[3], static_cast<uint16_t>(std::stoi(argv[4])), argv[5], argv[6], argv[7],
                        std::stoul(argv[8]));
    if (mode == "recv" && (argc == 8 || argc == 9))
        return msrpRecv(argv[2], argv[3], static_cast<uint16_t>(std::stoi(argv[4])), argv[5], argv[6], argv[7],
                        argc == 9 ? std::stoull(argv[8]) : 0);
    if (mode == "evict" && argc == 3)
        return evict(argv[2]);
    if (mode == "disk" && argc == 4)
        return disk(argv[2], argv[3]);
    die("usage: see the comment at the top of bench/msrp_file_peer.cpp");
}
