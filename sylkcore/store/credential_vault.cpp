#include "credential_vault.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

namespace sylk::store {

namespace {

constexpr char kMagic[] = "SYLKCRED1";
constexpr size_t kMagicSize = sizeof(kMagic) - 1;
constexpr size_t kNonceSize = 12;
constexpr size_t kTagSize = 16;
constexpr char kSuffix[] = ".cred";

struct CipherDeleter {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter>;

std::string hex(const unsigned char* bytes, size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < size; ++i) {
        text += digits[bytes[i] >> 4];
        text += digits[bytes[i] & 0xf];
    }
    return text;
}

bool readFile(const std::string& path, std::string* content) {
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return false;
    content->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return !in.bad();
}

// Writes content to path through a temporary file made with mode, then renamed over it.
void writeFile(const std::string& path, const std::string& content, mode_t mode) {
    std::string temporary = path + ".tmp";
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        throw CredentialVaultError("cannot write " + temporary + ": " + std::strerror(errno));
    size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int error = errno;
            ::close(fd);
            ::unlink(temporary.c_str());
            throw CredentialVaultError("cannot write " + temporary + ": " + std::strerror(error));
        }
        written += static_cast<size_t>(n);
    }
    bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!synced || ::rename(temporary.c_str(), path.c_str()) != 0) {
        int error = errno;
        ::unlink(temporary.c_str());
        throw CredentialVaultError("cannot store " + path + ": " + std::strerror(error));
    }
}

}  // namespace

CredentialVault::CredentialVault(std::string directory, const std::string& keyFile) : directory_(std::move(directory)) {
    if (::mkdir(directory_.c_str(), 0700) != 0 && errno != EEXIST)
        throw CredentialVaultError("cannot make " + directory_ + ": " + std::strerror(errno));
    std::string key;
    if (!readFile(keyFile, &key)) {
        unsigned char fresh[sizeof key_];
        if (RAND_bytes(fresh, sizeof fresh) != 1)
            throw CredentialVaultError("no random bytes for a new server key");
        key.assign(reinterpret_cast<char*>(fresh), sizeof fresh);
        OPENSSL_cleanse(fresh, sizeof fresh);
        writeFile(keyFile, key, 0600);
    }
    if (key.size() != sizeof key_)
        throw CredentialVaultError(keyFile + " is not a server key (32 bytes)");
    std::memcpy(key_, key.data(), sizeof key_);
    OPENSSL_cleanse(key.data(), key.size());
}

CredentialVault::~CredentialVault() { OPENSSL_cleanse(key_, sizeof key_); }

std::string CredentialVault::pathOf(const std::string& account) const {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(account.data()), account.size(), digest);
    return directory_ + "/" + hex(digest, sizeof digest) + kSuffix;
}

std::string CredentialVault::seal(const std::string& name, const std::string& record) const {
    unsigned char nonce[kNonceSize];
    if (RAND_bytes(nonce, sizeof nonce) != 1)
        throw CredentialVaultError("no random bytes for a nonce");
    Cipher context(EVP_CIPHER_CTX_new());
    std::string sealed(kMagic, kMagicSize);
    sealed.append(reinterpret_cast<char*>(nonce), sizeof nonce);
    std::string body(record.size() + kTagSize, '\0');
    int length = 0;
    int total = 0;
    auto* out = reinterpret_cast<unsigned char*>(body.data());
    if (!context || EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key_, nonce) != 1 ||
        EVP_EncryptUpdate(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(name.data()),
                          static_cast<int>(name.size())) != 1 ||
        EVP_EncryptUpdate(context.get(), out, &length, reinterpret_cast<const unsigned char*>(record.data()),
                          static_cast<int>(record.size())) != 1)
        throw CredentialVaultError("AES-256-GCM failed");
    total = length;
    if (EVP_EncryptFinal_ex(context.get(), out + total, &length) != 1)
        throw CredentialVaultError("AES-256-GCM failed");
    total += length;
    if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, out + total) != 1)
        throw CredentialVaultError("AES-256-GCM failed");
    body.resize(static_cast<size_t>(total) + kTagSize);
    return sealed + body;
}

bool CredentialVault::open(const std::string& name, const std::string& sealed, std::string* record) const {
    if (sealed.size() < kMagicSize + kNonceSize + kTagSize || sealed.compare(0, kMagicSize, kMagic) != 0)
        return false;
    const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data() + kMagicSize);
    const auto* cipher = nonce + kNonceSize;
    size_t cipherSize = sealed.size() - kMagicSize - kNonceSize - kTagSize;
    std::string tag = sealed.substr(sealed.size() - kTagSize);
    Cipher context(EVP_CIPHER_CTX_new());
    std::string plain(cipherSize + 16, '\0');
    int length = 0;
    auto* out = reinterpret_cast<unsigned char*>(plain.data());
    if (!context || EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, key_, nonce) != 1 ||
        EVP_DecryptUpdate(context.get(), nullptr, &length, reinterpret_cast<const unsigned char*>(name.data()),
                          static_cast<int>(name.size())) != 1 ||
        EVP_DecryptUpdate(context.get(), out, &length, cipher, static_cast<int>(cipherSize)) != 1)
        return false;
    int total = length;
    if (EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) != 1 ||
        EVP_DecryptFinal_ex(context.get(), out + total, &length) != 1) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return false;
    }
    plain.resize(static_cast<size_t>(total + length));
    *record = std::move(plain);
    return true;
}

void CredentialVault::save(const std::string& account, const std::string& record) {
    std::string path = pathOf(account);
    writeFile(path, seal(path.substr(directory_.size() + 1), record), 0600);
}

std::vector<std::string> CredentialVault::loadAll(std::vector<std::string>* skipped) const {
    std::vector<std::string> records;
    DIR* dir = ::opendir(directory_.c_str());
    if (!dir)
        return records;
    while (dirent* entry = ::readdir(dir)) {
        std::string name = entry->d_name;
        if (name.size() <= sizeof kSuffix - 1 || name.compare(name.size() - (sizeof kSuffix - 1), std::string::npos, kSuffix) != 0)
            continue;
        std::string sealed;
        std::string record;
        if (readFile(directory_ + "/" + name, &sealed) && open(name, sealed, &record))
            records.push_back(std::move(record));
        else if (skipped)
            skipped->push_back(name);
    }
    ::closedir(dir);
    return records;
}

bool CredentialVault::contains(const std::string& account) const { return ::access(pathOf(account).c_str(), F_OK) == 0; }

bool CredentialVault::remove(const std::string& account) { return ::unlink(pathOf(account).c_str()) == 0; }

}  // namespace sylk::store
