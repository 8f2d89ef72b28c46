#include "incoming_assembly.hpp"

#include <algorithm>
#include <cstring>

namespace sylk::msrp {

std::string_view IncomingAssembly::add(uint64_t offset, std::string_view data, bool last,
                                       std::optional<uint64_t> total, uint64_t* newOffset) {
    if (total && !total_)
        total_ = total;
    uint64_t end = offset + data.size();
    if (last)
        lastEnd_ = end;
    if (data.empty())
        return {};
    // Already covered entirely: a duplicate (a retransmission after a reconnect, RFC 4975 §7.1.3).
    auto covering = ranges_.upper_bound(offset);
    if (covering != ranges_.begin()) {
        auto before = std::prev(covering);
        if (before->first <= offset && before->second >= end)
            return {};
    }
    // Merge [offset, end) with the ranges it touches, counting only bytes that are new.
    uint64_t mergedStart = offset, mergedEnd = end, overlap = 0;
    auto it = ranges_.upper_bound(offset);
    if (it != ranges_.begin() && std::prev(it)->second >= offset)
        --it;
    while (it != ranges_.end() && it->first <= end) {
        uint64_t from = std::max(it->first, offset), to = std::min(it->second, end);
        if (to > from)
            overlap += to - from;
        mergedStart = std::min(mergedStart, it->first);
        mergedEnd = std::max(mergedEnd, it->second);
        it = ranges_.erase(it);
    }
    ranges_.emplace(mergedStart, mergedEnd);
    received_ += data.size() - overlap;
    if (!streaming_) {
        if (data_.size() < end)
            data_.resize(static_cast<size_t>(end));
        std::memcpy(data_.data() + offset, data.data(), data.size());
    }
    if (newOffset)
        *newOffset = offset;
    return data;
}

bool IncomingAssembly::complete() const {
    std::optional<uint64_t> size = total_ ? total_ : lastEnd_;
    if (!size)
        return false;
    if (*size == 0)
        return ranges_.empty() && (lastEnd_ || total_);
    return ranges_.size() == 1 && ranges_.begin()->first == 0 && ranges_.begin()->second >= *size && lastEnd_.has_value();
}

uint64_t IncomingAssembly::extent() const {
    uint64_t furthest = ranges_.empty() ? 0 : ranges_.rbegin()->second;
    return std::max(furthest, total_.value_or(0));
}

std::string IncomingAssembly::take() {
    std::string out = std::move(data_);
    data_.clear();
    if (total_ && out.size() > *total_)
        out.resize(static_cast<size_t>(*total_));
    return out;
}

}  // namespace sylk::msrp
