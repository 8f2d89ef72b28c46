#include "sip_stack.hpp"

#include <glib.h>
#include <glib/gstdio.h>

#include "sofia.hpp"
#include <sofia-sip/su_glib.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <stdexcept>

#include "sip_message.hpp"
#include "sip_message_class.hpp"
#include "sip_role.hpp"
#include "sylkcore/log.hpp"

namespace sylk::sip {
namespace {

constexpr const char* kPackage = "janus.plugin.sylk.sip";

void callback(nua_event_t event, int status, char const* phrase, nua_t* nua, nua_magic_t* magic, nua_handle_t* handle,
              nua_hmagic_t*, sip_t const* sip, tagi_t* tags) {
    try {
        static_cast<SipStack*>(static_cast<void*>(magic))->onEvent(nua, event, status, phrase, handle, sip, tags);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, kPackage, "SIP event %s failed: %s", nua_event_name(event), e.what());
    }
}

// How long stop() waits for the Sofia stacks to confirm their shutdown (they end registrations
// and dialogs first); past it they are left undestroyed rather than crash Sofia.
constexpr auto kShutdownWait = std::chrono::seconds(40);

}  // namespace

SipStack::~SipStack() { stop(); }

namespace {
std::string bracketed(const std::string& ip) { return ip.find(':') != std::string::npos ? "[" + ip + "]" : ip; }
}  // namespace

SipStack::SipStack(SipSettings settings) : settings_(std::move(settings)) {
    listeners_.push_back(Listener{settings_.ip});
    if (!settings_.ip6.empty())
        listeners_.push_back(Listener{settings_.ip6});
}

std::string SipStack::hostPort(int listener) const { return bracketed(ip(listener)) + ":" + std::to_string(settings_.port); }

std::string SipStack::contactFor(const std::string& user, int listener) const {
    return "<sip:" + user + "@" + hostPort(listener) + (settings_.contactParams.empty() ? "" : ";" + settings_.contactParams) +
           ">";
}

int SipStack::listenerFor(const std::string& uri) const {
    // Sofia's URL parser: an IPv6 reference keeps its brackets in url_host.
    std::string bare = uri.size() > 1 && uri.front() == '<' && uri.back() == '>' ? uri.substr(1, uri.size() - 2) : uri;
    su_home_t home[1] = {SU_HOME_INIT(home)};
    url_t* url = url_make(home, bare.c_str());
    const bool v6 = url && url->url_host && url->url_host[0] == '[';
    su_home_deinit(home);
    for (int i = 0; i < listeners(); ++i) {
        if ((ip(i).find(':') != std::string::npos) == v6)
            return i;
    }
    return 0;
}

void SipStack::prepareTls() {
    if (settings_.tlsPort == 0 || settings_.tlsCertificate.empty() || settings_.tlsKey.empty())
        return;
    gchar* certificate = nullptr;
    gchar* key = nullptr;
    GError* error = nullptr;
    if (!g_file_get_contents(settings_.tlsCertificate.c_str(), &certificate, nullptr, &error) ||
        !g_file_get_contents(settings_.tlsKey.c_str(), &key, nullptr, &error)) {
        std::string why = error ? error->message : "unreadable";
        g_clear_error(&error);
        g_free(certificate);
        throw std::runtime_error("SIP TLS: " + why);
    }
    gchar* folder = g_dir_make_tmp("sylk-sip-tls-XXXXXX", &error);  // mode 0700
    if (!folder) {
        std::string why = error ? error->message : "cannot make a folder";
        g_clear_error(&error);
        g_free(certificate);
        g_free(key);
        throw std::runtime_error("SIP TLS: " + why);
    }
    tlsFolder_ = folder;
    g_free(folder);
    std::string agent = std::string(key) + "\n" + certificate;
    auto write = [this](const char* name, const char* contents) {
        gchar* path = g_build_filename(tlsFolder_.c_str(), name, nullptr);
        bool ok = g_file_set_contents(path, contents, -1, nullptr) && g_chmod(path, 0600) == 0;
        g_free(path);
        return ok;
    };
    bool written = write("agent.pem", agent.c_str()) && write("cafile.pem", certificate);
    g_free(certificate);
    g_free(key);
    if (!written) {
        removeTls();
        throw std::runtime_error("SIP TLS: cannot write the credentials for Sofia");
    }
}

void SipStack::removeTls() {
    if (tlsFolder_.empty())
        return;
    for (const char* name : {"agent.pem", "cafile.pem"}) {
        gchar* path = g_build_filename(tlsFolder_.c_str(), name, nullptr);
        g_remove(path);
        g_free(path);
    }
    g_rmdir(tlsFolder_.c_str());
    tlsFolder_.clear();
}

void SipStack::start() {
    prepareTls();
    if (!thread_)
        thread_ = std::make_unique<net::StackThread>("sylk-sip");
    bool opened = false;
    thread_->execute([&] { opened = open(); });
    if (!opened) {
        stop();
        std::string where = hostPort(0) + (listeners() > 1 ? " and " + hostPort(1) : "");
        throw std::runtime_error("SIP: cannot listen on " + where);
    }
    running_ = true;
}

void SipStack::stop() {
    if (!thread_ || thread_->stopping()) {
        removeTls();
        return;
    }
    running_ = false;  // post() refuses from now on; what is queued still runs until close()
    shutDownStacks();
    thread_->execute([this] { close(); });
    thread_->stop();  // work queued behind close() is dropped, not run
    removeTls();
}

void SipStack::execute(const std::function<void()>& work) {
    if (!running_ || !thread_)
        throw std::runtime_error("the SIP stack is not running");
    thread_->execute([&] {
        if (closing_)
            throw std::runtime_error("the SIP stack is not running");
        work();
    });
}

nua_s* SipStack::makeStack(const std::string& ip) {
    std::string url = "sip:" + bracketed(ip) + ":" + std::to_string(settings_.port);
    std::string sipsUrl = tlsFolder_.empty() ? "" : "sips:" + bracketed(ip) + ":" + std::to_string(settings_.tlsPort);
    nua_s* nua = nua_create(root_, callback, reinterpret_cast<nua_magic_t*>(this),
                            NUTAG_URL(url.c_str()),
                            TAG_IF(!sipsUrl.empty(), NUTAG_SIPS_URL(sipsUrl.c_str())),
                            TAG_IF(!sipsUrl.empty(), TPTAG_CERTIFICATE(tlsFolder_.c_str())),
                            // Bursts of calls (thousands of INVITEs a second) overflowed the default
                            // socket buffer in the benchmark, and retransmission backoff turned each
                            // drop into seconds of setup time.
                            TPTAG_UDP_RMEM(4 * 1024 * 1024),
                            TPTAG_UDP_WMEM(1024 * 1024),
                            // Received requests are read with our message class: no response of
                            // Sofia's may go anywhere but to the request's source, and requests
                            // that do not parse end their TCP connection (sip_message_class.hpp).
                            TAG_IF(SipMessageClass::instance(), NTATAG_MCLASS(SipMessageClass::instance())),
                            TPTAG_IDLE(static_cast<unsigned>(settings_.tcpIdleSeconds) * 1000u),
                            // A message that stays incomplete this long ends as an error; Sofia
                            // set none for TCP, and a connection holding a partial message was
                            // never idle, so it stayed for good.
                            TPTAG_TIMEOUT(32000),
                            TAG_IF(!settings_.dnsResolvConf.empty(), SRESTAG_RESOLV_CONF(settings_.dnsResolvConf.c_str())),
                            NUTAG_MEDIA_ENABLE(0),                 // we write the SDP ourselves
                            NUTAG_APPL_METHOD("MESSAGE"),          // and answer MESSAGEs
                            NUTAG_APPL_METHOD("INFO"),             // and INFOs ourselves
                            NUTAG_APPL_METHOD("REFER"),            // and REFERs (authorized first)
                            NUTAG_OUTBOUND("no-options-keepalive no-validate"),
                            // RFC 4028 session timers; the peer refreshes (our SDP is not Sofia's to
                            // resend), and a dialog nobody refreshes ends with BYE.
                            NUTAG_SESSION_TIMER(settings_.sessionTimerSeconds),
                            NUTAG_MIN_SE(90),
                            NUTAG_SESSION_REFRESHER(nua_remote_refresher),
                            SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, OPTIONS, MESSAGE, INFO, SUBSCRIBE, NOTIFY, REFER"),
                            // others: 489 Bad Event (presence: XMPP users; the focus refuses it)
                            SIPTAG_ALLOW_EVENTS_STR("conference, presence"),
                            SIPTAG_USER_AGENT_STR(settings_.userAgent.c_str()),
                            TAG_NULL());
    if (nua)
        SYLK_LOG(LOG_INFO, kPackage, "SIP stack listening on %s (UDP, TCP)%s%s", url.c_str(),
                 sipsUrl.empty() ? "" : " and ", sipsUrl.c_str());
    return nua;
}

bool SipStack::post(std::function<void()> work) {
    if (!running_ || !thread_)
        return false;
    return thread_->post([this, work = std::move(work)] {
        if (closing_)
            return;  // queued while the stack went down: dropped (and freed here)
        try {
            work();
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, kPackage, "SIP work failed: %s", e.what());
        } catch (...) {
            SYLK_LOG(LOG_ERR, kPackage, "SIP work failed");
        }
    });
}

bool SipStack::open() {
    su_init();
    // Sofia's reactor as a GSource on the stack thread's context; without threading, nua's own
    // stack (transports, transactions, timers) shares that port instead of a thread of its own,
    // so Sofia's sockets and timers and our posted work all run on the one SIP thread.
    root_ = su_glib_root_create(reinterpret_cast<su_root_magic_t*>(this));
    if (!root_)
        return false;
    su_root_threading(root_, 0);
    rootSource_ = su_glib_root_gsource(root_);
    g_source_attach(rootSource_, thread_->context());
    bool created = true;
    for (auto& listener : listeners_) {
        listener.nua = makeStack(listener.ip);
        created = created && listener.nua;
    }
    sourceBound_ = std::make_unique<TcpSourceBound>(
        std::vector<uint16_t>{settings_.port, tlsFolder_.empty() ? uint16_t(0) : settings_.tlsPort},
        settings_.tcpConnectionsPerSource);
    if (created)
        tickTimer_ = thread_->every(std::chrono::milliseconds(100), [this] { tick(); });
    return created;
}

void SipStack::shutDownStacks() {
    // A stack that did start must be shut down before it is destroyed (Sofia asserts); the loop
    // keeps running while they confirm (nua_r_shutdown, onEvent).
    stacksDown_ = std::promise<void>();
    auto confirmed = stacksDown_.get_future();
    bool waiting = false;
    thread_->execute([&] {
        stacksDownSet_ = false;
        for (auto& listener : listeners_) {
            listener.down = listener.nua == nullptr;
            if (listener.nua) {
                nua_shutdown(listener.nua);
                waiting = true;
            }
        }
    });
    if (waiting && confirmed.wait_for(kShutdownWait) != std::future_status::ready)
        SYLK_LOG(LOG_ERR, kPackage, "the SIP stacks did not confirm their shutdown in %d s",
                 static_cast<int>(kShutdownWait.count()));
}

void SipStack::close() {
    closing_ = true;
    tickTimer_.cancel();
    for (auto& [handle, when] : retired_)
        nua_handle_destroy(handle);
    retired_.clear();
    live_.clear();
    liveHandles_ = 0;
    bool allDown = true;
    for (auto& listener : listeners_) {
        if (listener.nua && listener.down) {
            nua_destroy(listener.nua);
        } else if (listener.nua) {
            SYLK_LOG(LOG_ERR, kPackage, "SIP stack on %s left undestroyed (no shutdown confirmed)", listener.ip.c_str());
            allDown = false;
        }
        listener.nua = nullptr;
    }
    if (!allDown) {
        // Destroying the root under a live stack would crash Sofia: leak both, and keep a
        // reference so that the context's end does not finalize Sofia's port either.
        if (rootSource_)
            g_source_ref(rootSource_);
        root_ = nullptr;
        rootSource_ = nullptr;
        return;
    }
    if (root_)
        su_root_destroy(root_);
    root_ = nullptr;
    if (rootSource_)
        g_source_destroy(rootSource_);  // drops the context's reference: Sofia's port goes with it
    rootSource_ = nullptr;
    su_deinit();
}

void SipStack::onEvent(nua_s* nua, int event, int status, const char* phrase, nua_handle_s* handle, const void* raw,
                       const void* tags) {
    auto* sip = static_cast<const sip_t*>(raw);
    auto listener = std::find_if(listeners_.begin(), listeners_.end(), [&](const Listener& l) { return l.nua == nua; });
    if (listener == listeners_.end())
        return;
    if (event == nua_r_shutdown) {
        listener->down = status >= 200;
        if (!stacksDownSet_ && std::all_of(listeners_.begin(), listeners_.end(), [](const Listener& l) { return l.down; })) {
            stacksDownSet_ = true;
            stacksDown_.set_value();
        }
        return;
    }
    // Handlers answer through the event's own stack (nua(), contactFor(currentListener())).
    struct Current {
        int& index;
        int saved;
        ~Current() { index = saved; }
    } current{current_, current_};
    current_ = static_cast<int>(listener - listeners_.begin());
    if (handle && live_.insert(handle).second)
        liveHandles_ = static_cast<int>(live_.size());
    for (SipRole* role : roles_) {
        if (role->claims(event, handle, sip)) {
            role->onEvent(event, status, phrase, handle, sip, tags);
            return;
        }
    }
}

void SipStack::refuse(nua_handle_s* handle, int status, const char* phrase, const std::string& reason) {
    std::string warning = reason.empty() ? "" : "399 sylk \"" + reason + "\"";
    // NUTAG_WITH_THIS: the request being handled; only INVITE may be answered without it.
    nua_respond(handle, status, phrase, NUTAG_WITH_THIS(nua()), TAG_IF(!warning.empty(), SIPTAG_WARNING_STR(warning.c_str())),
                TAG_END());
    retire(handle);
}

bool SipStack::takesSdpOffer(nua_handle_s* handle, const void* raw) {
    auto* sip = static_cast<const sip_t*>(raw);
    std::string type = contentTypeOf(sip);
    if (sip && sip->sip_payload && sip->sip_payload->pl_len > 0 && type != "application/sdp") {
        nua_respond(handle, 415, sip_415_Unsupported_media, NUTAG_WITH_THIS(nua()), SIPTAG_ACCEPT_STR("application/sdp"),
                    SIPTAG_WARNING_STR("399 sylk \"the offer must be application/sdp\""), TAG_END());
        retire(handle);
        return false;
    }
    if (!acceptsSdp(sip)) {
        refuse(handle, 406, sip_406_Not_acceptable, "our answer is application/sdp, which Accept excludes");
        return false;
    }
    return true;
}

void SipStack::tick() {
    destroyRetired();
    // Once a second: what one source holds beyond tcp_connections_per_source is closed.
    if (sourceBound_ && ++ticks_ % 10 == 0) {
        try {
            sourceBound_->sweep();
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, kPackage, "bounding TCP connections per source failed: %s", e.what());
        }
    }
    for (SipRole* role : roles_) {
        try {  // a C timer callback: nothing may escape into Sofia
            role->onTick();
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_ERR, kPackage, "SIP timer work failed: %s", e.what());
        }
    }
}

void SipStack::retire(nua_handle_s* handle, int afterSeconds) {
    if (!handle)
        return;
    // Stored as the time it may go, minus the one second destroyRetired waits.
    int64_t when = g_get_monotonic_time() + static_cast<int64_t>(afterSeconds - 1) * G_USEC_PER_SEC;
    auto [entry, added] = retired_.try_emplace(handle, when);
    if (!added)
        entry->second = std::max(entry->second, when);
}

void SipStack::adopt(nua_handle_s* handle) {
    if (handle && live_.insert(handle).second)
        liveHandles_ = static_cast<int>(live_.size());
}

bool SipStack::isIncomingRequest(int event) {
    switch (event) {
    case nua_i_invite:
    case nua_i_options:
    case nua_i_message:
    case nua_i_info:
    case nua_i_subscribe:
    case nua_i_notify:
    case nua_i_refer:
    case nua_i_publish:
    case nua_i_register:
    case nua_i_method:
    case nua_i_update:
    case nua_i_prack:
        return true;
    default:
        return false;
    }
}

void SipStack::destroyRetired() {
    // One second is long after the queued response went out (and any ACK came back).
    int64_t cutoff = g_get_monotonic_time() - G_USEC_PER_SEC;
    std::erase_if(retired_, [&](const auto& entry) {
        if (entry.second > cutoff)
            return false;
        nua_handle_destroy(entry.first);
        live_.erase(entry.first);
        return true;
    });
    liveHandles_ = static_cast<int>(live_.size());
}

}  // namespace sylk::sip
