#include "owner_lookup.hpp"

#include <condition_variable>
#include <exception>

#include "sylkcore/hub/services.hpp"
#include "sylkcore/hub/service_names.hpp"

namespace sylk::sip {

struct OwnerLookup::Lookup {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;
    Json answer;
    std::exception_ptr error;
    std::thread thread;
};

OwnerLookup::OwnerLookup(std::chrono::milliseconds budget) : budget_(budget) {}

OwnerLookup::~OwnerLookup() {
    std::vector<std::shared_ptr<Lookup>> lookups;
    {
        std::lock_guard lock(mutex_);
        lookups.swap(lookups_);
    }
    for (auto& lookup : lookups)
        if (lookup->thread.joinable())
            lookup->thread.join();
}

void OwnerLookup::reapFinished() {
    std::vector<std::shared_ptr<Lookup>> finished;
    {
        std::lock_guard lock(mutex_);
        for (auto it = lookups_.begin(); it != lookups_.end();) {
            bool over;
            {
                std::lock_guard state((*it)->mutex);
                over = (*it)->finished;
            }
            if (over) {
                finished.push_back(std::move(*it));
                it = lookups_.erase(it);
            } else {
                ++it;
            }
        }
    }
    for (auto& lookup : finished)
        lookup->thread.join();  // it has set `finished`: returns at once
}

std::optional<Json> OwnerLookup::ask(const Json& request, std::string* why) {
    reapFinished();
    auto lookup = std::make_shared<Lookup>();
    {
        std::lock_guard lock(mutex_);
        if (lookups_.size() >= kMaxInFlight) {
            ++timedOut_;
            *why = std::to_string(lookups_.size()) + " owner lookups wait for NATS already";
            return std::nullopt;
        }
        Json copy = Json::adopt(json_deep_copy(request.get()));  // Json is not shared across threads
        lookup->thread = std::thread([lookup, copy = std::move(copy)] {
            Json answer;
            std::exception_ptr error;
            try {
                answer = hub::Services::instance().call(hub::service::ClusterOwner, copy);
            } catch (...) {
                error = std::current_exception();
            }
            std::lock_guard state(lookup->mutex);
            lookup->answer = std::move(answer);
            lookup->error = error;
            lookup->finished = true;
            lookup->done.notify_all();
        });
        lookups_.push_back(lookup);
    }
    std::unique_lock state(lookup->mutex);
    if (!lookup->done.wait_for(state, budget_, [&] { return lookup->finished; })) {
        ++timedOut_;
        *why = "no answer within " + std::to_string(budget_.count()) + " ms";
        return std::nullopt;  // the thread finishes on its own and is joined later
    }
    if (lookup->error)
        std::rethrow_exception(lookup->error);
    return std::move(lookup->answer);
}

}  // namespace sylk::sip
