// Routes a request to the one handler registered for its "request" verb. The dispatcher knows
// nothing of Janus: the plugin binding decides where a route runs (inline or on the control
// loop) and turns RequestError into an error reply.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "request.hpp"
#include "request_error.hpp"
#include "request_reader.hpp"

namespace sylk {

enum class Execution {
    Inline,       // run on Janus's request thread, answered synchronously (or, with an empty Reply, by an
                  // event the handler pushed itself: Janus acks); must not block
    ControlLoop,  // queued to the plugin's control loop, answered with an asynchronous event
    LoopSync,     // run on the control loop, but the caller waits and answers synchronously:
                  // for APIs whose clients expect a synchronous answer (stock "list", "create")
};

template <class Context>
class Dispatcher {
public:
    using Handler = std::function<Reply(Context&, RequestReader&, const Request&)>;
    struct Route {
        Execution execution;
        Handler handler;
    };

    void add(const std::string& verb, Execution execution, Handler handler) {
        routes_[verb] = Route{execution, std::move(handler)};
    }

    // A body with no "request" field runs this verb's handler instead of being refused: for
    // APIs without verbs, such as the stock echotest's (every body is a configure).
    void setVerbForBodiesWithout(const std::string& verb) { verbForBodiesWithout_ = verb; }

    // The route for body's "request" field. Throws RequestError for a body that is not an
    // object, lacks the verb (unless a verb for bodies without one is set), or names a verb
    // nobody handles.
    const Route& route(json_t* body, std::string* verbOut = nullptr) const {
        RequestReader reader(body);
        std::optional<std::string> named = verbForBodiesWithout_.empty() ? reader.requireString("request", 64)
                                                                         : reader.optionalString("request", 64);
        std::string verb = named.value_or(verbForBodiesWithout_);
        auto it = routes_.find(verb);
        if (it == routes_.end())
            throw RequestError(ErrorCode::UnknownRequest, "unknown request '" + verb + "' (known: " + knownVerbs() + ")");
        if (verbOut)
            *verbOut = verb;
        return it->second;
    }

    // Runs the handler. The reader is fresh, so it has seen "request" only.
    Reply run(const Route& route, Context& context, const Request& request) const {
        RequestReader reader(request.body.get());
        reader.optionalString("request", 64);
        return route.handler(context, reader, request);
    }

    std::string knownVerbs() const {
        std::string list;
        for (const auto& [verb, unused] : routes_)
            list += (list.empty() ? "" : ", ") + verb;
        return list;
    }

private:
    std::map<std::string, Route> routes_;
    std::string verbForBodiesWithout_;
};

// Refuses bodies over limit bytes (compact JSON) before any handler looks at them.
inline void checkRequestSize(const Json& body, size_t limit) {
    size_t size = body.serializedSize();
    if (size > limit)
        throw RequestError(ErrorCode::PayloadTooLarge,
                           "request body is " + std::to_string(size) + " bytes, the limit is " + std::to_string(limit));
}

// The error event every Sylk plugin sends: {"<key>": "event", "error_code": N, "error": "..."},
// the shape of Janus's stock plugins, with "error_name" added.
inline Json errorReply(const char* key, ErrorCode code, const std::string& message) {
    Json reply = Json::object();
    reply.set(key, "event").set("error_code", static_cast<int>(code)).set("error", message);
    reply.set("error_name", std::string(errorName(code)));
    return reply;
}

}  // namespace sylk
