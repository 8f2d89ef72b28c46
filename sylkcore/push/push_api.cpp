#include "push_api.hpp"

#include <arpa/inet.h>
#include <gio/gio.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "push_api_request.hpp"
#include "sylkcore/log.hpp"

namespace sylk::push {
namespace {

constexpr size_t kMaxBody = 64 * 1024;

Json reply(unsigned code, const std::string& description, Json data = Json()) {
    Json body = Json::object();
    body.set("code", static_cast<int>(code)).set("description", description);
    if (data)
        body.set("data", std::move(data));
    return body;
}

struct RequestBody {
    std::string text;
    bool tooLarge = false;
};

std::string peerAddress(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!info || !info->client_addr)
        return "";
    char text[INET6_ADDRSTRLEN] = {0};
    const sockaddr* address = info->client_addr;
    if (address->sa_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text, sizeof text);
    else if (address->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text, sizeof text);
    return text;
}

}  // namespace

struct PushApiCallbacks {
    static MHD_Result onRequest(void* self, MHD_Connection* connection, const char* url, const char* method,
                                const char*, const char* uploadData, size_t* uploadSize, void** state) {
        if (!*state) {
            *state = new RequestBody();
            return MHD_YES;
        }
        auto* body = static_cast<RequestBody*>(*state);
        if (*uploadSize) {
            if (body->text.size() + *uploadSize > kMaxBody)
                body->tooLarge = true;
            else
                body->text.append(uploadData, *uploadSize);
            *uploadSize = 0;
            return MHD_YES;
        }
        PushApi::Answer answer{413, reply(413, "the body is larger than 64 KiB")};
        if (!body->tooLarge) {
            const char* authorization = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, "Authorization");
            try {
                answer = static_cast<PushApi*>(self)->handle(method, url, peerAddress(connection),
                                                             authorization ? authorization : "", body->text);
            } catch (const std::exception& e) {
                SYLK_LOG(LOG_ERR, "push", "REST %s %s: %s", method, url, e.what());
                answer = {500, reply(500, "internal error")};
            }
        }
        std::string text = answer.body.dump();
        MHD_Response* response = MHD_create_response_from_buffer(text.size(), text.data(), MHD_RESPMEM_MUST_COPY);
        MHD_add_response_header(response, "Content-Type", "application/json");
        MHD_Result queued = MHD_queue_response(connection, answer.status, response);
        MHD_destroy_response(response);
        return queued;
    }
    static void onCompleted(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
        delete static_cast<RequestBody*>(*state);
        *state = nullptr;
    }
};

PushApi::PushApi(PushService& service, PushApiSettings settings) : service_(service), settings_(std::move(settings)) {
    for (const auto& host : settings_.allowedHosts) {
        GInetAddressMask* mask = g_inet_address_mask_new_from_string(host.c_str(), nullptr);
        if (!mask) {
            for (void* m : masks_)
                g_object_unref(m);
            throw std::invalid_argument("push_api_hosts: '" + host + "' is not an address or CIDR range");
        }
        masks_.push_back(mask);
    }
    sockaddr_in v4{};
    sockaddr_in6 v6{};
    const sockaddr* bindAddress = nullptr;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    if (inet_pton(AF_INET, settings_.ip.c_str(), &v4.sin_addr) == 1) {
        v4.sin_family = AF_INET;
        v4.sin_port = htons(settings_.port);
        bindAddress = reinterpret_cast<const sockaddr*>(&v4);
    } else if (inet_pton(AF_INET6, settings_.ip.c_str(), &v6.sin6_addr) == 1) {
        v6.sin6_family = AF_INET6;
        v6.sin6_port = htons(settings_.port);
        bindAddress = reinterpret_cast<const sockaddr*>(&v6);
        flags |= MHD_USE_IPv6;
    } else {
        throw std::invalid_argument("push_api_ip: '" + settings_.ip + "' is not an IPv4 or IPv6 address");
    }
    daemon_ = MHD_start_daemon(flags, settings_.port, nullptr, nullptr, &PushApiCallbacks::onRequest, this,
                               MHD_OPTION_SOCK_ADDR, bindAddress, MHD_OPTION_NOTIFY_COMPLETED,
                               &PushApiCallbacks::onCompleted, nullptr, MHD_OPTION_CONNECTION_LIMIT, 64u,
                               MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
    if (!daemon_) {
        for (void* m : masks_)
            g_object_unref(m);
        throw std::runtime_error("push: the REST API cannot listen on " + settings_.ip + ":" +
                                 std::to_string(settings_.port));
    }
}

PushApi::~PushApi() {
    if (daemon_)
        MHD_stop_daemon(daemon_);
    for (void* m : masks_)
        g_object_unref(m);
}

bool PushApi::hostAllowed(const std::string& peer) const {
    GInetAddress* address = g_inet_address_new_from_string(peer.c_str());
    if (!address)
        return false;
    // An IPv4 peer on an IPv6 socket shows as ::ffff:a.b.c.d; compare its IPv4 form too.
    GInetAddress* v4 = nullptr;
    constexpr std::string_view kMapped = "::ffff:";
    if (peer.rfind(kMapped, 0) == 0 && peer.find('.') != std::string::npos)
        v4 = g_inet_address_new_from_string(peer.c_str() + kMapped.size());
    bool allowed = false;
    for (void* mask : masks_) {
        auto* m = static_cast<GInetAddressMask*>(mask);
        if (g_inet_address_mask_matches(m, address) || (v4 && g_inet_address_mask_matches(m, v4))) {
            allowed = true;
            break;
        }
    }
    g_object_unref(address);
    if (v4)
        g_object_unref(v4);
    return allowed;
}

PushApi::Answer PushApi::pushAndWait(const ApiRoute& route, const std::vector<PushTarget>& targets,
                                     const PushEvent& event) {
    struct Results {
        std::mutex mutex;
        std::condition_variable done;
        size_t expected = 0;
        Json list = Json::array();
    };
    auto results = std::make_shared<Results>();
    size_t queued = 0;
    for (const PushTarget& target : targets) {
        PushEvent forTarget = event;
        if (forTarget.to.empty())
            forTarget.to = target.account;
        std::string device = target.device, app = target.app;
        bool ok = service_.pushTo(target, forTarget, [results, device, app](const PushResult& result) {
            Json item = Json::object();
            item.set("device-id", device)
                .set("app-id", app)
                .set("result", outcomeName(result.outcome))
                .set("code", static_cast<json_int_t>(result.status));
            if (!result.detail.empty())
                item.set("reason", result.detail);
            std::lock_guard lock(results->mutex);
            results->list.append(std::move(item));
            results->done.notify_all();
        });
        if (ok)
            ++queued;
    }
    if (queued == 0)
        return {404, reply(404, route.kind == ApiRoute::Kind::Push ? "no push service for this app"
                                                                   : "no device of this account can be pushed to")};
    std::unique_lock lock(results->mutex);
    bool all = results->done.wait_for(lock, std::chrono::milliseconds(settings_.waitMs),
                                      [&] { return json_array_size(results->list.get()) >= queued; });
    Json data = Json::object();
    // A copy: pushes still running append to the list from their channel's thread meanwhile.
    data.set("queued", static_cast<json_int_t>(queued)).set("results", Json::adopt(json_deep_copy(results->list.get())));
    if (!all)
        return {202, reply(202, "queued; not all answered yet", std::move(data))};
    // One target (POST /push, or a single device): answer with its result, as Sylk Pushserver does.
    if (queued == 1) {
        json_t* only = json_array_get(results->list.get(), 0);
        std::string outcome = json_string_value(json_object_get(only, "result"));
        if (outcome == "gone")
            return {410, reply(410, "the push service says the token is gone; it was deleted", std::move(data))};
        if (outcome != "delivered")
            return {502, reply(502, "the push service did not take the push", std::move(data))};
    }
    return {200, reply(200, "OK", std::move(data))};
}

PushApi::Answer PushApi::handle(const std::string& method, const std::string& path, const std::string& peer,
                                const std::string& authorization, const std::string& body) {
    if (!hostAllowed(peer))
        return {403, reply(403, "this host may not use the push API")};
    if (!settings_.apiToken.empty() && authorization != "Bearer " + settings_.apiToken)
        return {401, reply(401, "missing or wrong api token")};
    ApiRoute route = routeOf(method, path);
    if (route.kind == ApiRoute::Kind::NotFound)
        return {404, reply(404, "no such resource")};
    if (route.kind == ApiRoute::Kind::MethodNotAllowed)
        return {405, reply(405, "method not allowed")};
    std::string error;
    Json json = Json::parse(body, &error);
    if (!json)
        return {400, reply(400, "the body is not JSON: " + error)};
    switch (route.kind) {
    case ApiRoute::Kind::AddToken: {
        auto target = readTokenBody(json, route.account, &error);
        if (!target)
            return {400, reply(400, error)};
        if (!service_.serves(target->provider, target->app))
            return {400, reply(400, "no push service is configured for " + target->provider + " app " + target->app)};
        service_.tokens().add(*target);
        Json data = Json::object();
        data.set("account", target->account).set("device-id", target->device).set("app-id", target->app);
        return {200, reply(200, "OK", std::move(data))};
    }
    case ApiRoute::Kind::RemoveToken: {
        std::string app, device;
        if (!readRemoveBody(json, app, device, &error))
            return {400, reply(400, error)};
        int removed = service_.tokens().remove(route.account, app, device);
        if (removed == 0)
            return {404, reply(404, "no such device for this account")};
        return {200, reply(200, "OK")};
    }
    case ApiRoute::Kind::Push: {
        auto target = readTokenBody(json, "", &error);
        auto event = target ? readEventBody(json, &error) : std::nullopt;
        if (!target || !event)
            return {400, reply(400, error)};
        target->account = event->to;
        return pushAndWait(route, {*target}, *event);
    }
    case ApiRoute::Kind::PushAccount: {
        auto event = readEventBody(json, &error);
        if (!event)
            return {400, reply(400, error)};
        std::vector<PushTarget> targets;
        for (const PushTarget& target : service_.tokens().list(route.account)) {
            if (route.device.empty() || target.device == route.device)
                targets.push_back(target);
        }
        if (targets.empty())
            return {404, reply(404, "no device of this account is registered")};
        if (event->to.empty())
            event->to = route.account;
        return pushAndWait(route, targets, *event);
    }
    default:
        return {404, reply(404, "no such resource")};
    }
}

}  // namespace sylk::push
