#include "line_reader.hpp"

#include "message.hpp"

namespace sylk::irc {

void LineReader::feed(const uint8_t* data, size_t size, const std::function<void(std::string_view line)>& line) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    while (!input.empty()) {
        size_t end = input.find('\n');
        size_t take = end == std::string_view::npos ? input.size() : end;
        if (partial_.size() + take > kMaxBytes + 1)  // +1: the CR before LF
            throw MessageError("a line longer than 8703 bytes");
        partial_.append(input.substr(0, take));
        if (end == std::string_view::npos)
            return;
        input.remove_prefix(end + 1);
        std::string_view whole(partial_);
        if (!whole.empty() && whole.back() == '\r')
            whole.remove_suffix(1);
        if (!whole.empty()) {
            std::string done = std::move(partial_);
            partial_.clear();
            line(std::string_view(done).substr(0, whole.size()));
        } else {
            partial_.clear();
        }
    }
}

}  // namespace sylk::irc
