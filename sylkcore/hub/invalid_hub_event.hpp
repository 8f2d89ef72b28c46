// Thrown by the hub event readers (events.hpp) when a payload does not follow the schema of its
// kind. A listener catches it, logs it and drops the event: one plugin's bad event must never
// stop the others' from being delivered.
#pragma once

#include <stdexcept>
#include <string>

#include "../api.hpp"

namespace sylk::hub {

class SYLK_API InvalidHubEvent : public std::runtime_error {
public:
    explicit InvalidHubEvent(const std::string& message);
    ~InvalidHubEvent() override;
};

}  // namespace sylk::hub
