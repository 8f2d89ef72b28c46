#include "recording.hpp"

namespace sylk::videoroom {

Recording::Recording(const std::string& folder, const std::string& codec, const std::string& name)
    : recorder_(folder, codec, name), name_(name) {}

}  // namespace sylk::videoroom
