// A Janus recording (.mjr) of one published stream. Created and closed on the control loop;
// frames are saved from the publisher's media thread (Janus's recorder locks internally).
#pragma once

#include <string>

#include "sylkcore/janus/recorder.hpp"

namespace sylk::videoroom {

class Recording {
public:
    // Throws std::runtime_error when Janus cannot create the file.
    Recording(const std::string& folder, const std::string& codec, const std::string& name);

    void save(char* packet, uint16_t length) { recorder_.save(packet, length); }
    const std::string& name() const { return name_; }

private:
    janus::Recorder recorder_;
    std::string name_;
};

}  // namespace sylk::videoroom
