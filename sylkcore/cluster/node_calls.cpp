#include "node_calls.hpp"

#include <stdexcept>

#include "../log.hpp"
#include "../request_error.hpp"
#include "bus_codec.hpp"
#include "node_call_codec.hpp"

namespace sylk::cluster {
namespace {

constexpr char kComponent[] = "cluster";

}  // namespace

NodeCalls::NodeCalls(Bus& bus, std::string nodeId, LocalCall local)
    : bus_(bus), nodeId_(std::move(nodeId)), local_(std::move(local)) {
    if (!BusCodec::validNodeId(nodeId_) || nodeId_.find('.') != std::string::npos)
        throw std::invalid_argument("node id '" + nodeId_ + "' must be 1-128 characters of [A-Za-z0-9_-]");
}

NodeCalls::~NodeCalls() { stop(); }

bool NodeCalls::start() {
    std::lock_guard lock(mutex_);
    if (gate_)
        return callSubscription_ && answerSubscription_;
    gate_ = std::make_shared<HandlerGate>();
    auto gate = gate_;
    inbox_ = bus_.newInbox();
    callSubscription_ = bus_.subscribe(subject(nodeId_), [this, gate](const BusMessage& message) {
        if (auto entry = gate->enter())
            onCall(message);
    });
    if (!inbox_.empty()) {
        answerSubscription_ = bus_.subscribe(inbox_ + ".*", [this, gate](const BusMessage& message) {
            if (auto entry = gate->enter())
                onAnswer(message);
        });
    }
    if (!callSubscription_ || !answerSubscription_)
        SYLK_LOG(LOG_ERR, kComponent, "node %s: the bus refused the node calls' subscriptions", nodeId_.c_str());
    return callSubscription_ && answerSubscription_;
}

void NodeCalls::stop() {
    std::shared_ptr<HandlerGate> gate;
    std::unique_ptr<BusSubscription> calls, answers;
    std::map<uint64_t, std::shared_ptr<Pending>> waiting;
    {
        std::lock_guard lock(mutex_);
        gate = gate_;
        calls = std::move(callSubscription_);
        answers = std::move(answerSubscription_);
        waiting.swap(pending_);
    }
    calls.reset();
    answers.reset();
    for (auto& [id, pending] : waiting) {
        std::lock_guard lock(pending->mutex);
        pending->abandoned = true;
        pending->answered.notify_all();
    }
    if (gate)
        gate->close();
}

Json NodeCalls::call(const std::string& node, const std::string& service, const Json& request,
                     std::chrono::milliseconds timeout) {
    if (!BusCodec::validNodeId(node) || node.find('.') != std::string::npos)
        throw RequestError(ErrorCode::InvalidField, "'" + node + "' is not a node id");
    std::string payload = NodeCallCodec::encodeCall(nodeId_, service, request);
    auto pending = std::make_shared<Pending>();
    uint64_t id;
    std::string reply;
    {
        std::lock_guard lock(mutex_);
        if (!answerSubscription_)
            throw RequestError(ErrorCode::ClusterUnreachable, "this node takes no answers from other nodes now");
        id = ++nextId_;
        reply = inbox_ + "." + std::to_string(id);
        pending_[id] = pending;
    }
    auto forget = [&] {
        std::lock_guard lock(mutex_);
        pending_.erase(id);
    };
    if (!bus_.publishRequest(subject(node), reply, payload)) {
        forget();
        throw RequestError(ErrorCode::ClusterUnreachable, "the bus did not take a call to node " + node);
    }
    ++called_;
    std::optional<std::string> answer;
    bool abandoned;
    {
        std::unique_lock lock(pending->mutex);
        pending->answered.wait_for(lock, std::min(timeout, kMaxTimeout),
                                   [&] { return pending->answer.has_value() || pending->abandoned; });
        answer = std::move(pending->answer);
        abandoned = pending->abandoned;
    }
    forget();
    if (!answer) {
        if (abandoned)
            throw RequestError(ErrorCode::ClusterUnreachable, "this node left the cluster during a call to " + node);
        ++timedOut_;
        throw RequestError(ErrorCode::NotFound, "node " + node + " did not answer " + service);
    }
    if (answer->empty())  // the server's "no responders": no node of that id takes calls now
        throw RequestError(ErrorCode::NotFound, "node " + node + " is not in the cluster now");
    std::string error;
    std::optional<NodeCallCodec::Answer> decoded = NodeCallCodec::decodeAnswer(*answer, &error);
    if (!decoded)
        throw RequestError(ErrorCode::InternalError, "node " + node + " answered " + service + " wrongly: " + error);
    if (decoded->answer)
        return decoded->answer;
    throw RequestError(decoded->error, decoded->reason);
}

bool NodeCalls::send(const std::string& node, const std::string& service, const Json& request) {
    if (!BusCodec::validNodeId(node) || node.find('.') != std::string::npos)
        return false;
    std::string payload;
    try {
        payload = NodeCallCodec::encodeCall(nodeId_, service, request);
    } catch (const RequestError& e) {
        SYLK_LOG(LOG_WARN, kComponent, "node %s: a call to %s not sent: %s", nodeId_.c_str(), node.c_str(), e.what());
        return false;
    }
    if (!bus_.publish(subject(node), payload))
        return false;
    ++called_;
    return true;
}

void NodeCalls::answer(const std::string& reply, const std::string& body) {
    if (!reply.empty())
        bus_.publish(reply, body);
}

void NodeCalls::onCall(const BusMessage& message) {
    std::string error;
    std::optional<NodeCallCodec::Call> call = NodeCallCodec::decodeCall(message.data, &error);
    if (!call) {
        ++refused_;
        SYLK_LOG(LOG_WARN, kComponent, "node %s: refused a node call on %s: %s", nodeId_.c_str(),
                 message.subject.c_str(), error.c_str());
        answer(message.reply, NodeCallCodec::encodeRefusal(ErrorCode::MalformedRequest, error));
        return;
    }
    Json local = Json::adopt(json_deep_copy(call->request.get()));
    local.set("from_node", call->from);
    ++served_;
    std::string result;
    try {
        result = NodeCallCodec::encodeAnswer(local_(call->service, local));
    } catch (const RequestError& e) {
        if (message.reply.empty())  // a send(): nobody else hears of it
            SYLK_LOG(LOG_VERB, kComponent, "node %s: %s from node %s refused: %s", nodeId_.c_str(),
                     call->service.c_str(), call->from.c_str(), e.what());
        result = NodeCallCodec::encodeRefusal(e.code(), e.what());
    } catch (const std::exception& e) {
        SYLK_LOG(LOG_ERR, kComponent, "node %s: %s from node %s failed: %s", nodeId_.c_str(), call->service.c_str(),
                 call->from.c_str(), e.what());
        result = NodeCallCodec::encodeRefusal(ErrorCode::InternalError, "the service failed");
    }
    answer(message.reply, result);
}

void NodeCalls::onAnswer(const BusMessage& message) {
    // <inbox>.<id>
    size_t dot = message.subject.rfind('.');
    if (dot == std::string::npos)
        return;
    uint64_t id = std::strtoull(message.subject.c_str() + dot + 1, nullptr, 10);
    std::shared_ptr<Pending> pending;
    {
        std::lock_guard lock(mutex_);
        auto it = pending_.find(id);
        if (it == pending_.end())
            return;  // its caller gave up
        pending = it->second;
    }
    std::lock_guard lock(pending->mutex);
    pending->answer = message.data;
    pending->answered.notify_all();
}

NodeCalls::Stats NodeCalls::stats() const {
    return Stats{called_.load(), served_.load(), refused_.load(), timedOut_.load()};
}

}  // namespace sylk::cluster
