// The link of one component domain to the XMPP server, on the plugin's stack thread: connects
// a ComponentStream, watches its socket in the thread's GLib loop (gloox's recv(0) when it is
// readable: no thread of its own, no polling), and when the server goes away or refuses the
// handshake, tears the stream down and tries again after a backoff (1 s doubling to 30 s,
// configurable). A handshake refused with <conflict/> (the domain is connected already: another
// node of a cluster holds it, docs/cluster.md "XMPP in a cluster") makes it a standby instead,
// trying every standbyRetry without backing off, to take over when the holder goes. Stanzas are sent only while the handshake holds; otherwise they are counted
// as dropped (the server would not have taken them either).
// Made, used and destroyed on the stack thread; owned by a shared_ptr (deferred work holds a
// weak one).
#pragma once

#include <gloox/connectionlistener.h>
#include <gloox/loghandler.h>

#include <cstdint>
#include <memory>
#include <string>

#include "component_stream.hpp"
#include "link_listener.hpp"
#include "link_settings.hpp"
#include "muc_stanzas.hpp"
#include "sylkcore/json.hpp"
#include "sylkcore/net/stack_thread.hpp"

namespace sylk::xmpp {

class ComponentLink : public std::enable_shared_from_this<ComponentLink>,
                      private gloox::ConnectionListener,
                      private gloox::LogHandler {
public:
    ComponentLink(net::StackThread& thread, LinkSettings settings, LinkListener& listener);
    ~ComponentLink() override;
    ComponentLink(const ComponentLink&) = delete;
    ComponentLink& operator=(const ComponentLink&) = delete;

    // The first connection attempt (later ones follow by themselves).
    void start();
    // Sends (and frees) stanza; false if the link is down (the stanza is dropped).
    bool send(TagPtr stanza);
    // Sends `stanzas` stanzas already serialised into xml (one buffer, one write); false if the
    // link is down (they are dropped).
    bool sendText(const std::string& xml, size_t stanzas);
    bool connected() const { return state_ == State::Connected; }
    bool standingBy() const { return standby_; }
    const std::string& domain() const { return settings_.domain; }
    Json status() const;

private:
    enum class State { Idle, Connecting, Connected, Waiting };

    void attempt();
    void readable();
    // Writes that wait (the server reads slower than we write): watched until written.
    void backlogStarted();
    void writable();
    void armStall();
    // The stream failed (connect, handshake, read, server closed): tear down and retry later.
    // standby: the server said another connection holds the domain.
    void lost(const std::string& reason, bool standby = false);
    void teardown();

    // gloox::ConnectionListener (called from inside gloox, on the stack thread)
    void onConnect() override;
    void onDisconnect(gloox::ConnectionError error) override;
    bool onTLSConnect(const gloox::CertInfo&) override { return false; }
    // gloox::LogHandler: gloox's warnings and errors into Janus's log (its debug output, the
    // XML of every stanza, is not asked for).
    void handleLog(gloox::LogLevel level, gloox::LogArea area, const std::string& message) override;

    net::StackThread& thread_;
    const LinkSettings settings_;
    LinkListener& listener_;
    State state_ = State::Idle;
    std::unique_ptr<ComponentStream> stream_;
    std::unique_ptr<ComponentStream> retired_;  // freed on the next turn, never inside its own callback
    net::FdWatch watch_;
    net::SourceHandle timer_;  // the handshake timeout, or the wait before the next attempt
    net::SourceHandle stall_;  // bytes wait and the server reads none: lost when it fires
    uint64_t backlogs_ = 0;    // times writes had to wait for the server
    std::chrono::milliseconds backoff_;
    std::string lastError_;
    bool standby_ = false;
    uint64_t takeovers_ = 0;  // connected after standing by
    uint64_t attempts_ = 0;
    uint64_t connects_ = 0;
    uint64_t stanzasIn_ = 0;
    uint64_t stanzasOut_ = 0;
    uint64_t dropped_ = 0;
};

}  // namespace sylk::xmpp
