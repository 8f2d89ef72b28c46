#include "sip_domain_service.hpp"

#include <algorithm>
#include <iterator>

#include <gloox/tag.h>

#include "jingle_namespaces.hpp"
#include "stanza_reader.hpp"
#include "stox_address.hpp"
#include "stox_errors.hpp"
#include "stox_stanzas.hpp"
#include "sylkcore/hub/api_loopback.hpp"
#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"
#include "sylkcore/log.hpp"
#include "xmpp_namespaces.hpp"

namespace sylk::xmpp {
namespace {

constexpr char kPackage[] = "janus.plugin.sylk.xmpp";
constexpr size_t kMaxIdBytes = 128;
// Messages handed to SIP whose final status has not come back: beyond this, the oldest is
// forgotten (its sender then gets no error); the SIP side answers each within its own timeout.
constexpr size_t kMaxToSip = 4096;

std::string text(const Json& json, const char* key) {
    json_t* value = json.member(key);
    return json_is_string(value) ? json_string_value(value) : "";
}

int64_t integer(const Json& json, const char* key) {
    json_t* value = json.member(key);
    return json_is_integer(value) ? static_cast<int64_t>(json_integer_value(value)) : 0;
}

bool flag(const Json& json, const char* key) { return json_is_true(json.member(key)); }

bool usableId(const std::string& id) { return !id.empty() && id.size() <= kMaxIdBytes && printableUtf8(id); }

}  // namespace

SipDomainService::SipDomainService(net::StackThread& thread, const XmppSettings& settings)
    : thread_(thread), settings_(settings) {
    LinkSettings link;
    link.host = settings.serverHost;
    link.port = settings.serverPort;
    link.domain = settings.sipDomain;
    link.secret = settings.secret;
    link.backoffMin = settings.backoffMin;
    link.backoffMax = settings.backoffMax;
    link.standbyRetry = settings.standbyRetry;
    link.maxBacklog = settings.linkBacklogBytes;
    link.stall = settings.linkStall;
    link.maxStanza = settings.linkStanzaBytes;
    link_ = std::make_shared<ComponentLink>(thread, link, *this);
    jingle_ = std::make_unique<JingleService>(thread, settings, *link_, JingleTarget::SipUsers);
}

SipDomainService::~SipDomainService() {
    // What SIP still waits for gets an answer: the XMPP side is going.
    for (auto& [id, waiting] : waiting_)
        answerSip(waiting.token, 503, "the XMPP gateway is stopping");
    waiting_.clear();
}

void SipDomainService::start() { link_->start(); }

void SipDomainService::refuse(const gloox::Tag& stanza, const std::string& type, const std::string& condition,
                              const std::string& text) {
    ++refused_;
    link_->send(errorReply(stanza, type, condition, text));
}

void SipDomainService::onStanza(const gloox::Tag& stanza) {
    StanzaHeader header = readHeader(stanza);
    if (header.type == "error") {
        onBounce(stanza, header);
        return;
    }
    if (header.type == "result" || header.type == "headline" || !header.from)
        return;  // never answered
    if (header.name == "presence") {
        onPresence(stanza, header);
        return;
    }
    if (header.name == "iq" && header.to && header.to->local.empty() && header.type == "get") {
        IqRead iq = readIq(stanza);
        if (iq.payloads == 1 && iq.payload == "query" && iq.xmlns == ns::kDiscoInfo) {
            link_->send(discoInfoResult(stanza, {{"gateway", "sip", "Sylk SIP users"}},
                                        {ns::kDiscoInfo, ns::kPing, ns::kChatStates, ns::kReceipts, ns::kMarkers,
                                         jingle_ns::kJingle, jingle_ns::kRtp, jingle_ns::kRtpAudio, jingle_ns::kIceUdp,
                                         jingle_ns::kDtls}));
            return;
        }
        if (iq.payloads == 1 && iq.payload == "ping" && iq.xmlns == ns::kPing) {
            link_->send(iqResult(stanza));
            return;
        }
    }
    if (routeCallStanza(stanza, header))
        return;
    if (header.name == "iq" && stanza.findChild("jingle", "xmlns", jingle_ns::kJingle)) {
        jingle_->onIq(stanza, header);
        return;
    }
    if (header.name == "message" && header.type != "groupchat") {
        onChat(stanza, header);
        return;
    }
    if (header.name == "iq" || header.name == "message")
        refuse(stanza, "cancel", "service-unavailable", "SIP users take chat messages only");
}

// ---------------------------------------------------------------- XMPP to SIP

void SipDomainService::onChat(const gloox::Tag& stanza, const StanzaHeader& header) {
    if (!header.to || header.to->local.empty()) {
        refuse(stanza, "cancel", "service-unavailable", "write to user\\40host@" + settings_.sipDomain);
        return;
    }
    auto target = sipOfJidLocal(header.to->local);
    if (!target) {
        refuse(stanza, "modify", "jid-malformed", "the address is not user\\40host of a SIP user");
        return;
    }
    auto sender = sipOfXmppUser(*header.from);
    if (!sender) {
        refuse(stanza, "modify", "jid-malformed", "the sender has no SIP address (no local part)");
        return;
    }
    ChatRead chat = readChat(stanza);
    if (chat.message.body && chat.message.body->size() > settings_.maxBodyBytes) {
        refuse(stanza, "modify", "not-acceptable", "the body is longer than " + std::to_string(settings_.maxBodyBytes) + " bytes");
        return;
    }
    // In a SIP chat session with this SIP user (RFC 7573): over its MSRP session, not MESSAGE.
    if (auto chat_key = chatKeys_.find({header.from->bare(), header.to->local}); chat_key != chatKeys_.end()) {
        if (auto session = chatSessions_.find(chat_key->second); session != chatSessions_.end()) {
            session->second->fromXmpp(chat, usableId(header.id) ? header.id : "");
            return;
        }
    }
    Json request = Json::object();
    request.set("from", sipUri(*sender)).set("to", sipUri(*target));
    bool body = chat.message.body && !chat.message.body->empty();
    if (body) {
        request.set("kind", "message").set("body", *chat.message.body);
        if (usableId(header.id))
            request.set("id", header.id);
        request.setBool("request_receipt", (chat.receiptRequest || chat.markable) && usableId(header.id));
    } else if (usableId(chat.displayedId) || usableId(chat.receivedId)) {
        bool displayed = usableId(chat.displayedId);
        request.set("kind", "receipt").set("receipt", displayed ? "displayed" : "delivered")
            .set("id", displayed ? chat.displayedId : chat.receivedId);
    } else if (chat.message.state != ChatState::None) {
        request.set("kind", "composing").set("state", chat.message.state == ChatState::Composing ? "active" : "idle");
    } else {
        return;  // nothing SIP can carry (an empty message)
    }
    int64_t token = 0;
    if (body) {
        token = nextToken_++;
        if (toSip_.size() >= kMaxToSip)
            toSip_.erase(toSip_.begin());
        toSip_[token].reset(stanza.clone());
    }
    request.set("token", static_cast<json_int_t>(token));
    try {
        hub::Services::instance().call(hub::service::SipStoxMessage, request);
        ++toSipCount_;
    } catch (const std::exception& e) {
        toSip_.erase(token);
        if (body)
            refuse(stanza, "cancel", "service-unavailable", std::string("SIP is not reachable: ") + e.what());
    }
}

void SipDomainService::sipAnswered(const Json& answer) {
    auto it = toSip_.find(integer(answer, "token"));
    if (it == toSip_.end())
        return;
    std::unique_ptr<gloox::Tag> original = std::move(it->second);
    toSip_.erase(it);
    int status = static_cast<int>(integer(answer, "status"));
    if (status < 300)
        return;
    StanzaErrorKind kind = conditionOfSipStatus(status);
    std::string reason = text(answer, "reason");
    SYLK_LOG(LOG_VERB, kPackage, "a message to SIP failed: %d %s", status, reason.c_str());
    refuse(*original, kind.type, kind.condition, "SIP " + std::to_string(status) + (reason.empty() ? "" : " " + reason));
}

// ---------------------------------------------------------------- SIP to XMPP

void SipDomainService::answerSip(int64_t token, int status, const std::string& reason) {
    if (token == 0)
        return;
    Json answer = Json::object();
    answer.set("token", static_cast<json_int_t>(token)).set("status", status).set("reason", reason);
    try {
        hub::Services::instance().call(hub::service::SipStoxAnswer, answer);
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "answering the SIP plugin: %s", e.what());
    }
}

void SipDomainService::fromSip(const Json& request) {
    int64_t token = integer(request, "token");
    std::string kind = text(request, "kind");
    auto sender = parseSipAddress(text(request, "from"));
    auto target = parseSipAddress(text(request, "to"));
    std::optional<Jid> user = target ? xmppUserOfSip(*target) : std::nullopt;
    std::string local = sender ? jidLocalOfSip(*sender) : "";
    if (local.empty()) {
        answerSip(token, 400, "the sender's SIP address cannot be an XMPP address");
        return;
    }
    if (!user) {
        answerSip(token, 404, "the request URI names no XMPP user");
        return;
    }
    if (!link_->connected()) {
        answerSip(token, 503, "the XMPP server is not connected");
        return;
    }
    ChatMessage message;
    message.from = local + "@" + settings_.sipDomain;
    message.to = user->bare();
    std::string id = text(request, "id");
    if (kind == "message") {
        message.body = text(request, "body");
        if (message.body.empty() || message.body.size() > settings_.maxBodyBytes) {
            answerSip(token, message.body.empty() ? 400 : 413, message.body.empty() ? "empty message" : "message too long");
            return;
        }
        message.state = ChatState::Active;  // XEP-0085 §5.1: a message ends composing
        message.requestReceipt = flag(request, "request_receipt");
    } else if (kind == "composing") {
        message.state = text(request, "state") == "active" ? ChatState::Composing : ChatState::Paused;
    } else if (kind == "receipt") {
        if (!usableId(id)) {
            answerSip(token, 400, "a notification without a message id");
            return;
        }
        (text(request, "receipt") == "displayed" ? message.displayedId : message.receivedId) = id;
        id.clear();
    } else {
        answerSip(token, 400, "unknown kind");
        return;
    }
    message.id = usableId(id) && !waiting_.count(id) ? id : "stox-" + std::to_string(nextToken_++);
    ++fromSipCount_;
    if (!link_->send(chatMessage(message))) {
        answerSip(token, 503, "the XMPP server is not connected");
        return;
    }
    if (kind != "message") {
        answerSip(token, 200, "");
        return;
    }
    // XMPP acknowledges nothing; an error the server bounces comes within milliseconds for a
    // local user. Until bounceWait has passed, the SIP transaction waits for it.
    std::string stanzaId = message.id;
    Waiting& waiting = waiting_[stanzaId];
    waiting.token = token;
    waiting.timer = thread_.after(settings_.stoxBounceWait, [this, stanzaId] {
        auto it = waiting_.find(stanzaId);
        if (it == waiting_.end())
            return;
        int64_t waitingToken = it->second.token;
        waiting_.erase(it);  // the timer's own handle: a callback may cancel it
        answerSip(waitingToken, 200, "");
    });
}

void SipDomainService::onBounce(const gloox::Tag& stanza, const StanzaHeader& header) {
    if (header.name == "presence") {
        onPresence(stanza, header);  // our subscription or probe bounced
        return;
    }
    if (header.name != "message")
        return;
    auto it = waiting_.find(header.id);
    if (it == waiting_.end())
        return;
    int64_t token = it->second.token;
    waiting_.erase(it);
    std::string condition = errorCondition(stanza);
    int status = sipStatusOfCondition(condition);
    SYLK_LOG(LOG_VERB, kPackage, "a message from SIP bounced: %s -> %d", condition.c_str(), status);
    answerSip(token, status, "XMPP " + (condition.empty() ? std::string("error") : condition));
}

// ---------------------------------------------------------------- presence (RFC 7248)

void SipDomainService::sendPresence(const std::string& type, const WatchKey& key) {
    auto tag = std::make_unique<gloox::Tag>("presence");
    tag->addAttribute("type", type);
    tag->addAttribute("from", key.second + "@" + settings_.sipDomain);
    tag->addAttribute("to", key.first);
    link_->send(std::move(tag));
}

void SipDomainService::subscribeFromSip(const Json& request) {
    int64_t token = integer(request, "token");
    if (!flag(request, "subscribe")) {
        auto it = watchKeys_.find(token);
        if (it == watchKeys_.end())
            return;
        WatchKey key = it->second;
        watchKeys_.erase(it);
        auto watched = watched_.find(key);
        if (watched != watched_.end() && (watched->second.tokens.erase(token), watched->second.tokens.empty())) {
            sendPresence("unsubscribe", key);  // RFC 7248 §5: the last SIP watcher is gone
            watched_.erase(watched);
        }
        return;
    }
    auto sender = parseSipAddress(text(request, "from"));
    auto target = parseSipAddress(text(request, "to"));
    std::optional<Jid> user = target ? xmppUserOfSip(*target) : std::nullopt;
    std::string local = sender ? jidLocalOfSip(*sender) : "";
    Json answer = Json::object();
    answer.set("token", static_cast<json_int_t>(token));
    if (local.empty() || !user) {
        answer.setBool("open", false).setBool("end", true);
        try {
            hub::Services::instance().call(hub::service::SipStoxPresence, answer);
        } catch (const std::exception&) {
        }
        return;
    }
    WatchKey key{user->bare(), local};
    Watched& watched = watched_[key];
    bool first = watched.tokens.empty();
    watched.tokens.insert(token);
    watchKeys_[token] = key;
    if (first) {
        // RFC 7248 §4: a subscription request. No probe with it: the XMPP user's server sends
        // the current presence once the user approves, and answers a probe from a JID not yet
        // approved with 'unsubscribed' (Prosody does), which would end the subscription.
        sendPresence("subscribe", key);
    } else if (watched.known) {
        tellWatchers(key, false);
    }
}

void SipDomainService::tellWatchers(const WatchKey& key, bool end) {
    auto it = watched_.find(key);
    if (it == watched_.end())
        return;
    bool open = !it->second.resources.empty();
    std::string note;
    for (const auto& [resource, status] : it->second.resources) {
        if (!status.empty()) {
            note = status;
            break;
        }
    }
    std::set<int64_t> tokens = it->second.tokens;
    if (end) {
        for (int64_t token : tokens)
            watchKeys_.erase(token);
        watched_.erase(it);
    }
    for (int64_t token : tokens) {
        Json presence = Json::object();
        presence.set("token", static_cast<json_int_t>(token)).setBool("open", open).set("note", note).setBool("end", end);
        try {
            hub::Services::instance().call(hub::service::SipStoxPresence, presence);
        } catch (const std::exception& e) {
            SYLK_LOG(LOG_WARN, kPackage, "presence to the SIP plugin: %s", e.what());
        }
    }
}

void SipDomainService::onPresence(const gloox::Tag& stanza, const StanzaHeader& header) {
    if (!header.from || !header.to || header.to->local.empty())
        return;  // presence to the domain itself: nothing to say
    if (onSipUserSubscription(header))
        return;
    WatchKey key{header.from->bare(), header.to->local};
    auto it = watched_.find(key);
    if (it == watched_.end())
        return;
    Watched& watched = it->second;
    if (header.type.empty()) {
        const gloox::Tag* status = stanza.findChild("status");
        const gloox::Tag* show = stanza.findChild("show");
        std::string note = status ? status->cdata() : "";
        if (note.empty() && show)
            note = show->cdata();  // away, dnd, xa, chat
        watched.resources[header.from->resource] = note.substr(0, 1024);
        watched.known = true;
        tellWatchers(key, false);
    } else if (header.type == "unavailable") {
        watched.resources.erase(header.from->resource);
        watched.known = true;
        tellWatchers(key, false);
    } else if (header.type == "unsubscribed" || header.type == "error") {
        // Refused or revoked, or the user does not exist: the SIP subscriptions end.
        watched.resources.clear();
        tellWatchers(key, true);
    }
}

bool SipDomainService::onSipUserSubscription(const StanzaHeader& header) {
    const std::string& type = header.type;
    if (type != "subscribe" && type != "unsubscribe" && type != "probe")
        return false;
    WatchKey key{header.from->bare(), header.to->local};
    auto it = sipWatches_.find(key);
    if (type == "probe") {
        // The XMPP user's server asks for the SIP user's presence (a login, say).
        if (it != sipWatches_.end() && it->second.known)
            sendSipUserPresence(key, it->second);
        else
            sendPresence("unavailable", key);
        return true;
    }
    if (type == "unsubscribe") {
        if (it == sipWatches_.end())
            return true;
        Json request = Json::object();
        request.set("token", static_cast<json_int_t>(it->second.token)).setBool("subscribe", false);
        try {
            hub::Services::instance().call(hub::service::SipStoxSubscribe, request);
        } catch (const std::exception&) {
            // the SIP plugin is gone, and its subscription with it
        }
        sipWatchKeys_.erase(it->second.token);
        sipWatches_.erase(it);
        sendPresence("unavailable", key);
        return true;
    }
    if (it != sipWatches_.end()) {  // a repeated request: answered from what we know
        if (it->second.approved) {
            sendPresence("subscribed", key);
            sendSipUserPresence(key, it->second);
        }
        return true;
    }
    auto target = sipOfJidLocal(key.second);
    auto watcher = sipOfXmppUser(*header.from);
    if (!target || !watcher) {
        sendPresence("unsubscribed", key);  // no SIP user there
        return true;
    }
    SipWatch watch;
    watch.token = nextToken_++;
    Json request = Json::object();
    request.set("token", static_cast<json_int_t>(watch.token)).set("from", sipUri(*watcher)).set("to", sipUri(*target))
        .setBool("subscribe", true);
    sipWatches_[key] = watch;
    sipWatchKeys_[watch.token] = key;
    try {
        hub::Services::instance().call(hub::service::SipStoxSubscribe, request);
    } catch (const std::exception&) {
        sipWatchKeys_.erase(watch.token);
        sipWatches_.erase(key);
        sendPresence("unsubscribed", key);
    }
    return true;
}

void SipDomainService::sendSipUserPresence(const WatchKey& key, const SipWatch& watch) {
    auto tag = std::make_unique<gloox::Tag>("presence");
    if (!watch.open)
        tag->addAttribute("type", "unavailable");
    tag->addAttribute("from", key.second + "@" + settings_.sipDomain);
    tag->addAttribute("to", key.first);
    if (!watch.note.empty())
        new gloox::Tag(tag.get(), "status", watch.note);
    link_->send(std::move(tag));
}

void SipDomainService::presenceFromSip(const Json& presence) {
    auto keyIt = sipWatchKeys_.find(integer(presence, "token"));
    if (keyIt == sipWatchKeys_.end())
        return;
    WatchKey key = keyIt->second;
    SipWatch& watch = sipWatches_.at(key);
    if (flag(presence, "end")) {
        // Refused, or ended by the SIP side: the XMPP user's subscription ends with it.
        watch.open = false;
        if (watch.approved)
            sendSipUserPresence(key, watch);
        sendPresence("unsubscribed", key);
        sipWatchKeys_.erase(keyIt);
        sipWatches_.erase(key);
        return;
    }
    watch.open = flag(presence, "open");
    watch.note = text(presence, "note");
    watch.known = true;
    if (!watch.approved) {
        watch.approved = true;
        sendPresence("subscribed", key);  // RFC 7248 §5: the SIP subscription is active
    }
    sendSipUserPresence(key, watch);
}

void SipDomainService::makeWaitingChat() {
    if (waitingChat_)
        return;
    if (!hub::Services::instance().offered(hub::service::SipStoxSessions) || !hub::ApiLoopback::instance().available()) {
        // No SIP plugin (yet), or one without xmpp_domains: no INVITE can come; or no loopback
        // transport yet (janus loads transports after plugins, and the component link can be up
        // before). Look again later: a cheap check, no Janus session is made until both are there.
        chatRetry_ = thread_.after(std::chrono::seconds(1), [this] { makeWaitingChat(); });
        return;
    }
    uint64_t id = nextChat_++;
    StoxChatSessionHooks hooks;
    hooks.taken = [this, id] {
        if (waitingChat_ == id)
            waitingChat_ = 0;
        makeWaitingChat();
    };
    hooks.chatting = [this, id](const std::string& xmppUser, const std::string& sipLocal) {
        // RFC 7573: one session per pair of users. The newer replaces the older, which ends with
        // a BYE (docs/decisions.md): else the older would silently lose alice's messages.
        // Ids grow with each INVITE taken: the lower is the older even when its accept came later.
        auto& holder = chatKeys_[{xmppUser, sipLocal}];
        uint64_t older = holder && holder != id ? std::min(holder, id) : 0;
        holder = std::max(holder, id);
        if (auto replaced = older ? chatSessions_.find(older) : chatSessions_.end(); replaced != chatSessions_.end())
            replaced->second->replace();
    };
    hooks.send = [this](TagPtr stanza) { return link_->send(std::move(stanza)); };
    hooks.calling = [this, id](const std::string& sid) { callSids_[sid] = id; };
    hooks.ended = [this, id] {
        thread_.post([this, id] { chatEnded(id); });
    };
    auto session = std::make_unique<StoxChatSession>(thread_, settings_.sipDomain, settings_.stoxRingTimeout,
                                                     std::move(hooks));
    waitingChat_ = id;
    StoxChatSession* started = session.get();
    chatSessions_[id] = std::move(session);
    try {
        started->start();
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_WARN, kPackage, "no handle for SIP chat sessions to XMPP users yet: %s", e.what());
        chatSessions_.erase(id);
        waitingChat_ = 0;  // as when it ends: tried again a little later, not never
        chatRetry_ = thread_.after(std::chrono::seconds(2), [this] { makeWaitingChat(); });
    }
}

void SipDomainService::chatEnded(uint64_t id) {
    for (auto it = chatKeys_.begin(); it != chatKeys_.end();) {
        it = it->second == id ? chatKeys_.erase(it) : std::next(it);
    }
    for (auto it = callSids_.begin(); it != callSids_.end();) {
        it = it->second == id ? callSids_.erase(it) : std::next(it);
    }
    chatSessions_.erase(id);
    if (waitingChat_ == id) {  // the waiting handle failed: try again a little later
        waitingChat_ = 0;
        chatRetry_ = thread_.after(std::chrono::seconds(2), [this] { makeWaitingChat(); });
    }
}

bool SipDomainService::routeCallStanza(const gloox::Tag& stanza, const StanzaHeader& header) {
    if (callSids_.empty())
        return false;
    std::string sid;
    bool iq = header.name == "iq";
    if (iq) {
        const gloox::Tag* jingle = stanza.findChild("jingle", "xmlns", jingle_ns::kJingle);
        sid = jingle && header.type == "set" ? jingle->findAttribute("sid") : "";
    } else if (header.name == "message") {
        for (const char* name : {"proceed", "reject", "ringing"}) {
            if (const gloox::Tag* jmi = stanza.findChild(name, "xmlns", "urn:xmpp:jingle-message:0"))
                sid = jmi->findAttribute("id");
        }
        // A XEP-0184 receipt for the propose (its message id is the sid): a device has it.
        if (const gloox::Tag* received = sid.empty() ? stanza.findChild("received", "xmlns", ns::kReceipts) : nullptr)
            sid = received->findAttribute("id");
    }
    auto it = sid.empty() ? callSids_.end() : callSids_.find(sid);
    if (it == callSids_.end())
        return false;
    auto session = chatSessions_.find(it->second);
    if (session == chatSessions_.end())
        return false;
    if (iq)
        session->second->onJingleIq(stanza, header);
    else
        session->second->onJingleMessage(stanza, header);
    return true;
}

void SipDomainService::onLinkUp() {
    makeWaitingChat();
    for (const auto& [key, watched] : watched_) {
        sendPresence("subscribe", key);
        sendPresence("probe", key);
    }
}

void SipDomainService::onLinkDown() {
    jingle_->onLinkDown();
    // The server is gone and the presence it sent with it: closed until it is back.
    std::vector<WatchKey> keys;
    for (auto& [key, watched] : watched_) {
        watched.resources.clear();
        keys.push_back(key);
    }
    for (const auto& key : keys)
        tellWatchers(key, false);
}

Json SipDomainService::status() const {
    Json json = Json::object();
    json.set("link", link_->status())
        .set("from_sip", static_cast<json_int_t>(fromSipCount_))
        .set("to_sip", static_cast<json_int_t>(toSipCount_))
        .set("awaiting_sip", static_cast<json_int_t>(toSip_.size()))
        .set("presence_watched", static_cast<json_int_t>(watched_.size()))
        .set("sip_presence_watched", static_cast<json_int_t>(sipWatches_.size()))
        .set("refused", static_cast<json_int_t>(refused_))
        .set("jingle", jingle_->status());
    Json sessions = Json::array();
    for (const auto& [id, session] : chatSessions_) {
        if (session->taken() && !session->over())
            sessions.append(session->status());
    }
    auto waiting = chatSessions_.find(waitingChat_);
    json.set("chat_sessions", sessions).setBool("chat_session_ready", waiting != chatSessions_.end() && waiting->second->ready());
    return json;
}

}  // namespace sylk::xmpp
