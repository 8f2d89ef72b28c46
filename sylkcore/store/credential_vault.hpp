// Stored SIP credentials of kept registrations (issue 13, offline delivery without proxy help):
// one file per account under a directory of the state directory, each sealed with AES-256-GCM
// under a server key (key file, 32 random bytes, made 0600 on first use). The file's name is
// bound into the seal (additional data), so a record copied to another account's name does not
// open. Nothing here logs a record's content.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

namespace sylk::store {

class CredentialVaultError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class CredentialVault {
public:
    // Makes directory (0700) and keyFile (0600) when absent; throws CredentialVaultError when the
    // key cannot be read or made, or is not 32 bytes.
    CredentialVault(std::string directory, const std::string& keyFile);
    ~CredentialVault();
    CredentialVault(const CredentialVault&) = delete;
    CredentialVault& operator=(const CredentialVault&) = delete;

    // Seals record (any bytes) as account's, replacing the previous one (written then renamed).
    void save(const std::string& account, const std::string& record);
    // Every record that opens; one that does not (another key, tampered) is skipped and
    // reported in skipped (file names only).
    std::vector<std::string> loadAll(std::vector<std::string>* skipped = nullptr) const;
    bool contains(const std::string& account) const;
    // Deletes account's record; false when there was none.
    bool remove(const std::string& account);

private:
    std::string pathOf(const std::string& account) const;
    std::string seal(const std::string& name, const std::string& record) const;
    bool open(const std::string& name, const std::string& sealed, std::string* record) const;

    std::string directory_;
    unsigned char key_[32];
};

}  // namespace sylk::store
