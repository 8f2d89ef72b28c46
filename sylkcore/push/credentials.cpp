#include "credentials.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sylkcore/json.hpp"

namespace sylk::push {

std::string readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

ServiceAccount loadServiceAccount(const std::string& path) {
    std::string error;
    Json file = Json::parse(readFile(path), &error);
    if (!file || !json_is_object(file.get()))
        throw std::runtime_error(path + ": not a JSON object: " + error);
    auto field = [&](const char* name) {
        json_t* value = file.member(name);
        if (!json_is_string(value) || json_string_length(value) == 0)
            throw std::runtime_error(path + ": no \"" + name + "\"");
        return std::string(json_string_value(value));
    };
    ServiceAccount account;
    account.projectId = field("project_id");
    account.clientEmail = field("client_email");
    account.privateKeyPem = field("private_key");
    account.tokenUri = field("token_uri");
    if (json_is_string(file.member("private_key_id")))
        account.privateKeyId = json_string_value(file.member("private_key_id"));
    return account;
}

}  // namespace sylk::push
