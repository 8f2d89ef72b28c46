#include "recorder.hpp"

#include <stdexcept>

namespace sylk::janus {

Recorder::Recorder(const std::string& folder, const std::string& codec, const std::string& name) {
    g_mkdir_with_parents(folder.c_str(), 0700);
    recorder_ = janus_recorder_create(folder.c_str(), codec.c_str(), name.c_str());
    if (!recorder_)
        throw std::runtime_error("cannot record to " + folder + "/" + name);
}

Recorder::~Recorder() {
    janus_recorder_close(recorder_);
    janus_recorder_destroy(recorder_);
}

}  // namespace sylk::janus
