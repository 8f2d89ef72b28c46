#include "http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>
#include <vector>

#include "room_link.hpp"
#include "sylkcore/files/file_store.hpp"
#include "sylkcore/store/history_access.hpp"
#include "sylkcore/store/journal_json.hpp"
#include "sylkcore/json.hpp"

namespace sylk::http {

// Per-request state, alive from the first callback to MHD's "completed" notification.
struct RequestState {
    bool started = false;
    bool isUpload = false;
    int fd = -1;                  // the upload's file while it is being written
    files::SharedFile file;
    uint64_t limit = 0;
    unsigned failStatus = 0;      // set when the upload must be refused after reading its body
    std::string failMessage;
    bool done = false;            // registered
};

namespace {

// Who may read an answer from a page of another origin. Room files may: in a cluster a page
// loaded from one node moves to the room's node (docs/cluster.md) and shares files through that
// node's /files/, another origin. The file token in the URL is the whole permission (no
// cookie, no Authorization), so any origin is as safe as the token: "*", without credentials.
enum class Readers { SameOrigin, AnyOrigin };

void allowReaders(MHD_Response* response, Readers readers) {
    if (readers == Readers::AnyOrigin)
        MHD_add_response_header(response, "Access-Control-Allow-Origin", "*");
}

MHD_Result queue(MHD_Connection* connection, unsigned status, const std::string& body, const char* type,
                 Readers readers = Readers::SameOrigin) {
    MHD_Response* response = MHD_create_response_from_buffer(body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(response, "Content-Type", type);
    MHD_add_response_header(response, "Cache-Control", "no-store");
    allowReaders(response, readers);
    MHD_Result result = MHD_queue_response(connection, status, response);
    MHD_destroy_response(response);
    return result;
}

MHD_Result sendText(MHD_Connection* connection, unsigned status, const char* text) {
    return queue(connection, status, text, "text/plain; charset=utf-8");
}

MHD_Result sendJson(MHD_Connection* connection, unsigned status, const Json& json,
                    Readers readers = Readers::SameOrigin) {
    return queue(connection, status, json.dump(), "application/json", readers);
}

MHD_Result sendError(MHD_Connection* connection, unsigned status, const std::string& message,
                     Readers readers = Readers::SameOrigin) {
    return sendJson(connection, status, Json::object().set("error", message), readers);
}

// The answers of /files/: readable by a page of any origin (see Readers).
MHD_Result sendFilesJson(MHD_Connection* connection, unsigned status, const Json& json) {
    return sendJson(connection, status, json, Readers::AnyOrigin);
}

MHD_Result sendFilesError(MHD_Connection* connection, unsigned status, const std::string& message) {
    return sendError(connection, status, message, Readers::AnyOrigin);
}

// The CORS preflight of a cross-origin upload (a POST with a progress listener or a typed body
// is not a "simple" request): the methods and the one header the page sends.
MHD_Result sendFilesPreflight(MHD_Connection* connection) {
    MHD_Response* response = MHD_create_response_from_buffer(0, nullptr, MHD_RESPMEM_PERSISTENT);
    allowReaders(response, Readers::AnyOrigin);
    MHD_add_response_header(response, "Access-Control-Allow-Methods", "GET, HEAD, POST");
    MHD_add_response_header(response, "Access-Control-Allow-Headers", "Content-Type");
    MHD_add_response_header(response, "Access-Control-Max-Age", "600");
    MHD_Result result = MHD_queue_response(connection, MHD_HTTP_NO_CONTENT, response);
    MHD_destroy_response(response);
    return result;
}

void discardUpload(RequestState& state) {
    if (state.fd >= 0) {
        close(state.fd);
        state.fd = -1;
    }
    if (!state.done && !state.file.path.empty())
        unlink(state.file.path.c_str());
}

}  // namespace

struct Callbacks {
    static MHD_Result onRequest(void* self, MHD_Connection* connection, const char* url, const char* method,
                                const char*, const char* uploadData, size_t* uploadSize, void** stateSlot) {
        auto* state = static_cast<RequestState*>(*stateSlot);
        if (!state) {
            *stateSlot = state = new RequestState;
        }
        try {
            return static_cast<MHD_Result>(
                static_cast<HttpServer*>(self)->answer(connection, url, method, uploadData, uploadSize, *state));
        } catch (...) {
            return sendText(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
        }
    }

    static void onCompleted(void*, MHD_Connection*, void** stateSlot, MHD_RequestTerminationCode) {
        auto* state = static_cast<RequestState*>(*stateSlot);
        if (state) {
            discardUpload(*state);
            delete state;
        }
        *stateSlot = nullptr;
    }
};

HttpServer::HttpServer(StaticSite site, std::string address, uint16_t port)
    : site_(std::move(site)), address_(std::move(address)), port_(port) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::useTls(std::string certificatePem, std::string keyPem) {
    certificatePem_ = std::move(certificatePem);
    keyPem_ = std::move(keyPem);
}

void HttpServer::start() {
    sockaddr_in6 v6{};
    sockaddr_in v4{};
    const sockaddr* bindAddress = nullptr;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
    if (inet_pton(AF_INET, address_.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(port_);
        bindAddress = reinterpret_cast<const sockaddr*>(&v4);
    } else if (inet_pton(AF_INET6, address_.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(port_);
        bindAddress = reinterpret_cast<const sockaddr*>(&v6);
        // "::" is every address: take IPv4 too (v4-mapped) rather than IPv6 only.
        flags |= IN6_IS_ADDR_UNSPECIFIED(&v6.sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
    } else {
        throw std::runtime_error("http: '" + address_ + "' is not an IPv4 or IPv6 address");
    }
    std::vector<MHD_OptionItem> options = {
        {MHD_OPTION_SOCK_ADDR, 0, const_cast<sockaddr*>(bindAddress)},
        {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&Callbacks::onCompleted), nullptr},
        {MHD_OPTION_CONNECTION_LIMIT, 256, nullptr},
        {MHD_OPTION_CONNECTION_TIMEOUT, 60, nullptr},
    };
    if (!certificatePem_.empty()) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
            throw std::runtime_error("http: this libmicrohttpd was built without TLS");
        flags |= MHD_USE_TLS;
        options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, certificatePem_.data()});
        options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, keyPem_.data()});
    }
    options.push_back({MHD_OPTION_END, 0, nullptr});
    daemon_ = MHD_start_daemon(flags, port_, nullptr, nullptr, &Callbacks::onRequest, this,
                               MHD_OPTION_ARRAY, options.data(), MHD_OPTION_END);
    if (!daemon_)
        throw std::runtime_error("http: cannot listen on " + address_ + ":" + std::to_string(port_) +
                                 (certificatePem_.empty() ? "" : " with this certificate and key (do they belong together?)"));
}

void HttpServer::stop() {
    if (daemon_) {
        MHD_stop_daemon(daemon_);
        daemon_ = nullptr;
    }
}

int HttpServer::answer(MHD_Connection* connection, const char* url, const char* method, const char* uploadData,
                       size_t* uploadSize, RequestState& state) {
    std::string path = url ? url : "";
    bool firstCall = !state.started;
    state.started = true;
    if (path.rfind("/files/", 0) == 0) {
        std::string rest = path.substr(7);
        std::string token = rest.substr(0, rest.find('/'));
        std::string id = rest.find('/') == std::string::npos ? "" : rest.substr(rest.find('/') + 1);
        if (strcmp(method, "POST") == 0 && id.empty())
            return upload(connection, token, uploadData, uploadSize, state);
        if (*uploadSize != 0) {
            *uploadSize = 0;
            return MHD_YES;
        }
        if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0)
            return id.empty() ? listFiles(connection, token) : download(connection, token, id);
        if (strcmp(method, "OPTIONS") == 0)
            return sendFilesPreflight(connection);
        return sendFilesError(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "files take POST (upload) and GET (download)");
    }
    if (firstCall)
        return MHD_YES;  // headers only so far: answer once the (empty) body is in
    if (*uploadSize != 0) {
        *uploadSize = 0;  // static site: request bodies are discarded
        return MHD_YES;
    }
    if (path.rfind("/messages/history/", 0) == 0) {
        if (strcmp(method, "GET") != 0)
            return sendError(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "the message history takes GET");
        return serveHistory(connection, path.substr(std::strlen("/messages/history/")));
    }
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return sendText(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served here\n");
    if (path == "/config.json" && !clientConfig_.empty())
        return serveClientConfig(connection);
    // /r/<room>: the conference page itself; it reads the room from its address. The room's
    // name never reaches the file system.
    if (RoomLink::roomOf(path))
        return serveStatic(connection, std::string(RoomLink::kPage).c_str());
    return serveStatic(connection, url);
}

int HttpServer::serveStatic(MHD_Connection* connection, const char* url) {
    auto path = site_.resolve(url ? url : "");
    if (!path)
        return sendText(connection, MHD_HTTP_NOT_FOUND, "not found\n");
    int fd = open(path->c_str(), O_RDONLY | O_CLOEXEC);
    struct stat info;
    if (fd < 0 || fstat(fd, &info) != 0) {
        if (fd >= 0)
            close(fd);
        return sendText(connection, MHD_HTTP_NOT_FOUND, "not found\n");
    }
    // The response owns fd from here on.
    MHD_Response* response = MHD_create_response_from_fd(static_cast<size_t>(info.st_size), fd);
    MHD_add_response_header(response, "Content-Type", std::string(StaticSite::contentType(*path)).c_str());
    MHD_add_response_header(response, "Cache-Control", "no-cache");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    ++served_;
    return result;
}

int HttpServer::serveClientConfig(MHD_Connection* connection) {
    ++served_;
    return queue(connection, MHD_HTTP_OK, clientConfig_, "application/json");
}

int HttpServer::upload(MHD_Connection* connection, const std::string& token, const char* uploadData,
                       size_t* uploadSize, RequestState& state) {
    auto& store = files::FileStore::instance();
    if (!state.isUpload) {
        // First call: only headers. Refuse early what we can, before reading any body.
        state.isUpload = true;
        if (!store.enabled())
            return sendFilesError(connection, MHD_HTTP_SERVICE_UNAVAILABLE, "file sharing is off on this server");
        auto grant = store.check(token);
        if (!grant)
            return sendFilesError(connection, MHD_HTTP_FORBIDDEN, "unknown or expired file token");
        const char* name = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "name");
        if (!name || !files::FileStore::validName(name))
            return sendFilesError(connection, MHD_HTTP_BAD_REQUEST,
                                  "invalid file name: give ?name= a plain name without '/', '\\\\' or control characters");
        state.limit = store.maxBytes();
        const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (length && std::strtoull(length, nullptr, 10) > state.limit)
            return sendFilesError(connection, MHD_HTTP_CONTENT_TOO_LARGE,
                                  "file is larger than the limit of " + std::to_string(state.limit) + " bytes");
        state.file.room = grant->room;
        state.file.name = name;
        state.file.sender = grant->member;
        state.file.senderDisplay = grant->display;
        state.file.path = store.reservePath(grant->room, &state.file.id);
        state.fd = open(state.file.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (state.fd < 0)
            return sendFilesError(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot store the file");
        return MHD_YES;
    }
    if (*uploadSize > 0) {
        size_t chunk = *uploadSize;
        *uploadSize = 0;
        if (state.failStatus)
            return MHD_YES;  // keep reading (and dropping) so that the client gets our answer
        if (state.file.size + chunk > state.limit) {
            state.failStatus = MHD_HTTP_CONTENT_TOO_LARGE;
            state.failMessage = "file is larger than the limit of " + std::to_string(state.limit) + " bytes";
            discardUpload(state);
            return MHD_YES;
        }
        for (size_t written = 0; written < chunk;) {
            ssize_t n = write(state.fd, uploadData + written, chunk - written);
            if (n <= 0) {
                state.failStatus = MHD_HTTP_INTERNAL_SERVER_ERROR;
                state.failMessage = "cannot store the file";
                discardUpload(state);
                return MHD_YES;
            }
            written += static_cast<size_t>(n);
        }
        state.file.size += chunk;
        return MHD_YES;
    }
    // Last call: the whole body is in.
    if (state.failStatus)
        return sendFilesError(connection, state.failStatus, state.failMessage);
    if (state.fd < 0)
        return sendFilesError(connection, MHD_HTTP_BAD_REQUEST, "upload failed");
    close(state.fd);
    state.fd = -1;
    state.file.created = g_get_real_time() / 1000;
    state.done = true;
    files::SharedFile file = state.file;
    store.add(file);
    ++served_;
    return sendFilesJson(connection, MHD_HTTP_CREATED, file.describe());
}

int HttpServer::download(MHD_Connection* connection, const std::string& token, const std::string& id) {
    auto& store = files::FileStore::instance();
    auto grant = store.check(token);
    if (!grant)
        return sendFilesError(connection, MHD_HTTP_FORBIDDEN, "unknown or expired file token");
    auto file = store.find(grant->room, id);
    if (!file)
        return sendFilesError(connection, MHD_HTTP_NOT_FOUND, "no such file in this room");
    int fd = open(file->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return sendFilesError(connection, MHD_HTTP_NOT_FOUND, "the file is gone");
    MHD_Response* response = MHD_create_response_from_fd(static_cast<size_t>(file->size), fd);
    gchar* escaped = g_uri_escape_string(file->name.c_str(), nullptr, FALSE);
    std::string disposition = std::string("attachment; filename*=UTF-8''") + escaped;
    g_free(escaped);
    MHD_add_response_header(response, "Content-Type", "application/octet-stream");
    MHD_add_response_header(response, "Content-Disposition", disposition.c_str());
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    allowReaders(response, Readers::AnyOrigin);
    MHD_Result result = MHD_queue_response(connection, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    ++served_;
    return result;
}

int HttpServer::listFiles(MHD_Connection* connection, const std::string& token) {
    auto grant = files::FileStore::instance().check(token);
    if (!grant)
        return sendFilesError(connection, MHD_HTTP_FORBIDDEN, "unknown or expired file token");
    return sendFilesJson(connection, MHD_HTTP_OK, Json::object().set("files", files::FileStore::instance().listJson(grant->room)));
}

int HttpServer::serveHistory(MHD_Connection* connection, const std::string& account) {
    auto& history = store::HistoryAccess::instance();
    const char* authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    std::string given = authorization ? authorization : "";
    std::string token = given.rfind("Apikey ", 0) == 0 ? given.substr(7) : "";
    std::optional<std::string> granted;
    try {
        if (!token.empty() && token.size() <= 128)  // ours are 64 hex digits
            granted = history.accountOf(token);
    } catch (const store::JournalError& e) {  // tokens live in the journal: without it, nobody is known
        return sendError(connection, MHD_HTTP_SERVICE_UNAVAILABLE, e.what());
    }
    if (!granted || *granted != account) {
        // The same answer for an unknown token and another account's: nothing to probe with.
        std::string body = Json::object().set("error", "give Authorization: Apikey <token> of this account").dump();
        MHD_Response* response = MHD_create_response_from_buffer(body.size(), body.data(), MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(response, "Content-Type", "application/json");
        MHD_add_response_header(response, "WWW-Authenticate", "Apikey");
        MHD_Result result = MHD_queue_response(connection, MHD_HTTP_UNAUTHORIZED, response);
        MHD_destroy_response(response);
        return result;
    }
    store::SyncQuery query;
    query.account = account;
    const char* since = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "since_seq");
    const char* sinceId = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "since_id");
    const char* limit = MHD_lookup_connection_value(connection, MHD_GET_ARGUMENT_KIND, "limit");
    char* end = nullptr;
    if (since) {
        long long value = std::strtoll(since, &end, 10);
        if (!*since || *end || value < 0)
            return sendError(connection, MHD_HTTP_BAD_REQUEST, "since_seq must be a sequence number (0 or more)");
        query.afterSeq = value;
    }
    if (sinceId)
        query.afterMessageId = sinceId;
    int pageSize = 1000;
    if (limit) {
        long long value = std::strtoll(limit, &end, 10);
        if (!*limit || *end || value < 1 || value > 5000)
            return sendError(connection, MHD_HTTP_BAD_REQUEST, "limit must be 1 to 5000");
        pageSize = static_cast<int>(value);
    }
    query.limit = pageSize + 1;
    std::vector<store::JournalEntry> entries;
    try {
        entries = history.fetch(query);
    } catch (const store::JournalError& e) {
        if (e.kind() == store::JournalError::Kind::NotFound)
            return sendError(connection, MHD_HTTP_NOT_FOUND, e.what());
        return sendError(connection, MHD_HTTP_SERVICE_UNAVAILABLE, e.what());
    }
    bool more = entries.size() > static_cast<size_t>(pageSize);
    if (more)
        entries.pop_back();
    Json list = Json::array();
    for (const auto& entry : entries)
        list.append(store::entryToJson(entry));
    Json body = Json::object();
    body.set("account", account).set("entries", list);
    body.set("last_seq", static_cast<json_int_t>(entries.empty() ? query.afterSeq : entries.back().seq));
    body.setBool("more", more);
    ++served_;
    return sendJson(connection, MHD_HTTP_OK, body);
}

}  // namespace sylk::http
