// The SIP stack of the plugin: a Sofia nua instance per listening address on one
// net::StackThread (Sofia's su_root runs on the thread's GLib context through su_glib), shared by
// the gateway and the conference focus (SipRole). Everything that touches SIP state runs on that
// thread: Sofia's callbacks and timers, Janus requests queued with post(), and handle teardown
// run there with execute().
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "sylkcore/net/stack_thread.hpp"
#include "tcp_source_bound.hpp"

struct nua_s;
struct nua_handle_s;
struct su_root_s;

namespace sylk::sip {

class SipRole;

struct SipSettings {
    std::string ip = "127.0.0.1";   // SIP and RTP address
    std::string ip6;                // with an IPv4 ip: an IPv6 address to listen on as well
    uint16_t port = 5060;
    std::string userAgent = "Sylk for Janus";
    std::string contactParams;      // URI parameters added to our Contacts, e.g. "transport=tcp"
    unsigned sessionTimerSeconds = 1800;  // RFC 4028 Session-Expires we ask for; 0: none
    int rtpTimeoutSeconds = 30;     // a call whose peer sends no RTP this long ends; 0: never
    // A TCP or TLS connection that carries nothing this long is closed (Sofia's default is 30
    // minutes, which let garbage connections pile up).
    int tcpIdleSeconds = 120;
    // At most this many TCP/TLS connections from one source address; beyond it the longest idle
    // are closed (TcpSourceBound). 0: no bound.
    size_t tcpConnectionsPerSource = 32;
    uint16_t tlsPort = 5061;        // SIP over TLS, when a certificate and key are configured
    std::string tlsCertificate;     // PEM files
    std::string tlsKey;
    // Source addresses that may make the focus call out (REFER with method=INVITE); room
    // participants may too.
    std::vector<std::string> trustedPeers = {"127.0.0.1", "::1"};
    // Who may call into rooms (and subscribe to their state): addresses or CIDR ranges; empty
    // is anyone. With a room secret, callers also answer an RFC 3261 digest challenge.
    std::vector<std::string> roomCallers;
    std::string roomSecret;
    std::string roomRealm = "sylk";
    // Sampling rate of the rooms a phone's call opens (0: the audio mixer's default, 48 kHz): the
    // most they mix at (a room mixes at its participants' highest codec rate, up to this).
    int roomSamplingRate = 0;
    // The resolver configuration for RFC 3263 lookups (NAPTR, SRV, A/AAAA) of SIP domains;
    // empty: the system's (/etc/resolv.conf).
    std::string dnsResolvConf;
};

class SipStack {
public:
    explicit SipStack(SipSettings settings);
    ~SipStack();  // stops the stack
    SipStack(const SipStack&) = delete;
    SipStack& operator=(const SipStack&) = delete;

    // Roles are asked in the order added; add them before start().
    void addRole(SipRole* role) { roles_.push_back(role); }
    // Starts the SIP thread; throws std::runtime_error if the stack cannot bind.
    void start();
    // Shuts the Sofia stacks down (their confirmations are awaited), tears them down on the SIP
    // thread and ends it. Work posted meanwhile or later is dropped.
    void stop();

    const SipSettings& settings() const { return settings_; }

    // Listeners: one Sofia stack per listening address, all on the SIP thread's loop; one, or
    // two for a dual-stack configuration (IPv4 first). A dialog stays on the listener it
    // started on.
    int listeners() const { return static_cast<int>(listeners_.size()); }
    // The listener of the Sofia event being handled; 0 outside events.
    int currentListener() const { return current_; }
    // The listener that reaches uri (an IPv6 literal: the IPv6 one; otherwise the IPv4 one).
    int listenerFor(const std::string& uri) const;
    nua_s* nua(int listener) const { return listeners_.at(static_cast<size_t>(listener)).nua; }
    // The current event's stack: what NUTAG_WITH_THIS needs to answer the request being handled.
    nua_s* nua() const { return nua(current_); }
    // The listener's address: our SDP's and the RTP sockets' as well as SIP's.
    const std::string& ip(int listener) const { return listeners_.at(static_cast<size_t>(listener)).ip; }
    // "127.0.0.1:5060" or "[::1]:5060".
    std::string hostPort(int listener = 0) const;
    // "<sip:user@host:port;params>" with the configured contact parameters.
    std::string contactFor(const std::string& user, int listener) const;
    // Runs work on the SIP thread and waits for it; rethrows what it throws.
    void execute(const std::function<void()>& work);
    // Queues work to the SIP thread (in order) and returns at once; false if the stack is not
    // running. What work throws is logged there.
    bool post(std::function<void()> work);
    bool closing() const { return closing_; }  // the stacks are torn down: posted work is dropped

    // Answers an incoming non-INVITE or INVITE request with a static phrase (Sofia keeps the
    // pointer for retransmissions) and the reason in a Warning header; the handle goes later.
    void refuse(nua_handle_s* handle, int status, const char* phrase, const std::string& reason = "");
    // For an INVITE: refuses one whose body is not application/sdp (415 with Accept, RFC 3261
    // §8.2.3) or whose Accept excludes SDP (406, since our answer is SDP); true if it may go on.
    bool takesSdpOffer(nua_handle_s* handle, const void* sip);
    // Handles are destroyed from a timer, never in the same callback as their response: the
    // response is only queued, and destroying the handle first makes Sofia answer 500.
    // afterSeconds: longer for handles whose NOTIFYs may still be retransmitted (REFER).
    // Retiring a handle twice keeps the later time: it goes once, after both are done with it.
    void retire(nua_handle_s* handle, int afterSeconds = 1);
    // A handle we made with nua_handle(): counted in liveHandles() from now (those Sofia makes
    // for incoming requests are counted when their first event arrives).
    void adopt(nua_handle_s* handle);
    // The Sofia handles alive: made or received and not destroyed yet (the admin status shows
    // it, so that a leak shows).
    int liveHandles() const { return liveHandles_; }
    // An event that is a request Sofia received (nua_i_invite, nua_i_options, ...), which on a
    // handle nobody holds came with a handle of its own.
    static bool isIncomingRequest(int event);

    // Sofia's callback, on the SIP thread. tags: Sofia's tagi_t list.
    void onEvent(nua_s* nua, int event, int status, const char* phrase, nua_handle_s* handle, const void* sip,
                 const void* tags);

private:
    // SIP thread: the su_root on the thread's context and the Sofia stacks; false if one failed.
    bool open();
    // Asks every running Sofia stack to shut down and waits for their confirmations.
    void shutDownStacks();
    // SIP thread: destroys what open() made.
    void close();
    void destroyRetired();
    void tick();

    SipSettings settings_;
    std::vector<SipRole*> roles_;
    std::unique_ptr<net::StackThread> thread_;  // made by start(), kept until destruction
    su_root_s* root_ = nullptr;
    GSource* rootSource_ = nullptr;  // the su_root's GSource, attached to the thread's context
    struct Listener {
        std::string ip;
        nua_s* nua = nullptr;
        bool down = false;  // its shutdown confirmed
    };
    std::vector<Listener> listeners_;
    int current_ = 0;  // SIP thread
    nua_s* makeStack(const std::string& ip);
    // Sofia reads TLS credentials from a folder (agent.pem = key + certificate, cafile.pem):
    // a private temporary one, made from the configured files and removed on stop.
    std::string tlsFolder_;
    void prepareTls();
    void removeTls();
    std::atomic<bool> running_{false};  // started and not yet stopping: post() takes work
    std::atomic<bool> closing_{false};
    std::promise<void> stacksDown_;  // set on the SIP thread when every stack confirmed its shutdown
    bool stacksDownSet_ = false;     // SIP thread
    std::unordered_map<nua_handle_s*, int64_t> retired_;  // SIP thread only: handle -> when it may go
    std::unordered_set<nua_handle_s*> live_;               // SIP thread only
    std::atomic<int> liveHandles_{0};
    net::SourceHandle tickTimer_;  // SIP thread
    std::unique_ptr<TcpSourceBound> sourceBound_;  // SIP thread
    unsigned ticks_ = 0;                           // SIP thread
};

}  // namespace sylk::sip
