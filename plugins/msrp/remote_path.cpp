#include "remote_path.hpp"

#include "sylkcore/msrp/parse_error.hpp"
#include "sylkcore/request_error.hpp"

namespace sylk::msrp_plugin {

std::vector<msrp::Uri> parseRemotePath(const std::vector<std::string>& hops) {
    std::vector<msrp::Uri> path;
    try {
        for (const auto& hop : hops)
            path.push_back(msrp::Uri::parse(hop));
    } catch (const msrp::ParseError& e) {
        throw RequestError(ErrorCode::MsrpBadPath, std::string("field 'path': ") + e.what());
    }
    return path;
}

}  // namespace sylk::msrp_plugin
