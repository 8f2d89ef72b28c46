#include "push_channel.hpp"

#include <curl/curl.h>

#include <ctime>

#include "sylkcore/log.hpp"

namespace sylk::push {
namespace {

constexpr const char* kLog = "push";

size_t collect(char* data, size_t size, size_t count, void* target) {
    auto* body = static_cast<std::string*>(target);
    if (body->size() < 65536)
        body->append(data, size * count);
    return size * count;
}

int64_t wallSeconds() {
    return static_cast<int64_t>(std::time(nullptr));
}

struct SlistFree {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

std::string reasonOf(const std::string& body) {
    Json answer = Json::parse(body);
    json_t* reason = answer.member("reason");
    if (json_is_string(reason))
        return json_string_value(reason);
    json_t* error = answer.member("error");
    json_t* status = json_is_object(error) ? json_object_get(error, "status") : nullptr;
    if (json_is_string(status))
        return json_string_value(status);
    return "";
}

}  // namespace

struct PushChannel::Job {
    PushTarget target;
    PushEvent event;
    Done done;
    int attempts = 0;
    std::string body;      // the request body (curl reads it in place)
    std::string response;
    std::unique_ptr<curl_slist, SlistFree> headers;
    CURL* easy = nullptr;
    ~Job() {
        if (easy)
            curl_easy_cleanup(easy);
    }
};

PushChannel::PushChannel(ChannelSettings settings, std::optional<ApnsCredentials> apns,
                         std::optional<ServiceAccount> fcm, GoneHandler onGone)
    : settings_(std::move(settings)), serviceAccount_(std::move(fcm)), onGone_(std::move(onGone)) {
    static const CURLcode initialised = curl_global_init(CURL_GLOBAL_DEFAULT);  // once per process
    if (initialised != CURLE_OK)
        throw std::runtime_error("push: curl_global_init failed");
    if (apns)
        apnsToken_.emplace(std::move(*apns));
    if (settings_.provider == "apns" && !apnsToken_)
        throw std::invalid_argument("push: an APNs channel needs a provider key");
    if (settings_.provider == "fcm" && !serviceAccount_)
        throw std::invalid_argument("push: an FCM channel needs a service account");
    if (apnsToken_)
        apnsToken_->at(wallSeconds());  // a bad key fails here, at start, not at the first call
    CURLM* multi = curl_multi_init();
    if (!multi)
        throw std::runtime_error("push: curl_multi_init failed");
    curl_multi_setopt(multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    // One connection to the service; further pushes become streams on it.
    curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, 1L);
    curl_multi_setopt(multi, CURLMOPT_MAX_CONCURRENT_STREAMS, 1000L);
    multi_ = multi;
    thread_ = std::thread([this] { run(); });
}

PushChannel::~PushChannel() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    curl_multi_wakeup(static_cast<CURLM*>(multi_));
    if (thread_.joinable())
        thread_.join();
    for (auto& [easy, job] : running_)
        curl_multi_remove_handle(static_cast<CURLM*>(multi_), static_cast<CURL*>(easy));
    running_.clear();
    curl_multi_cleanup(static_cast<CURLM*>(multi_));
}

void PushChannel::submit(const PushTarget& target, const PushEvent& event, Done done) {
    auto job = std::make_unique<Job>();
    job->target = target;
    job->event = event;
    job->done = std::move(done);
    {
        std::lock_guard lock(mutex_);
        if (queue_.size() >= settings_.maxQueued) {
            ++dropped_;
            SYLK_LOG(LOG_WARN, kLog, "%s/%s: %zu pushes queued, dropping one for %s", settings_.provider.c_str(),
                     settings_.app.c_str(), queue_.size(), target.account.c_str());
            return;
        }
        queue_.push_back(std::move(job));
    }
    ++submitted_;
    curl_multi_wakeup(static_cast<CURLM*>(multi_));
}

std::string PushChannel::accessToken(int64_t now, std::string* error) {
    if (!fcmAccessToken_.empty() && now < fcmAccessTokenExpires_ - 60)
        return fcmAccessToken_;
    fcmAccessToken_.clear();
    HttpRequest request = buildTokenRequest(serviceAccount_->tokenUri, makeGoogleAssertion(*serviceAccount_, now));
    CURL* easy = curl_easy_init();
    std::string response;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &response);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, settings_.timeoutMs);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (!settings_.caFile.empty())
        curl_easy_setopt(easy, CURLOPT_CAINFO, settings_.caFile.c_str());
    CURLcode code = curl_easy_perform(easy);
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(easy);
    int64_t expiresIn = 0;
    if (code != CURLE_OK || status != 200 || !parseTokenResponse(response, fcmAccessToken_, expiresIn)) {
        *error = code != CURLE_OK ? curl_easy_strerror(code) : "token endpoint answered " + std::to_string(status);
        fcmAccessToken_.clear();
        return "";
    }
    ++tokensFetched_;
    fcmAccessTokenExpires_ = now + expiresIn;
    return fcmAccessToken_;
}

void PushChannel::start(std::unique_ptr<Job> job) {
    int64_t now = wallSeconds();
    HttpRequest request;
    if (settings_.provider == "apns") {
        int64_t before = apnsToken_->issuedAt();
        const std::string& token = apnsToken_->at(now);
        if (apnsToken_->issuedAt() != before)
            ++providerTokens_;
        request = buildApnsRequest(settings_.baseUrl, job->target, job->event, token, now);
    } else {
        std::string error;
        std::string token = accessToken(now, &error);
        if (token.empty()) {
            ++job->attempts;
            conclude(std::move(job), PushResult{Outcome::Retry, 0, "no access token: " + error});
            return;
        }
        request = buildFcmRequest(settings_.baseUrl, settings_.app, job->target, job->event, token);
    }
    ++job->attempts;
    job->body = std::move(request.body);
    job->response.clear();
    curl_slist* headers = curl_slist_append(nullptr, ("content-type: " + request.contentType).c_str());
    for (const auto& [name, value] : request.headers)
        headers = curl_slist_append(headers, (name + ": " + value).c_str());
    job->headers.reset(headers);
    if (job->easy)
        curl_easy_cleanup(job->easy);
    CURL* easy = curl_easy_init();
    job->easy = easy;
    curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, job->body.c_str());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(job->body.size()));
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, &job->response);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, settings_.timeoutMs);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    if (!settings_.caFile.empty())
        curl_easy_setopt(easy, CURLOPT_CAINFO, settings_.caFile.c_str());
    curl_multi_add_handle(static_cast<CURLM*>(multi_), easy);
    running_.emplace(easy, std::move(job));
}

void PushChannel::finish(void* handle, int code) {
    auto found = running_.find(handle);
    if (found == running_.end())
        return;
    std::unique_ptr<Job> job = std::move(found->second);
    running_.erase(found);
    CURL* easy = static_cast<CURL*>(handle);
    curl_multi_remove_handle(static_cast<CURLM*>(multi_), easy);
    long status = 0, connects = 0, version = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
    curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version);
    connections_ += static_cast<uint64_t>(connects);
    if (version == CURL_HTTP_VERSION_2_0)
        ++http2_;
    PushResult result;
    result.status = status;
    if (code != CURLE_OK) {
        result.outcome = Outcome::Retry;
        result.status = 0;
        result.detail = curl_easy_strerror(static_cast<CURLcode>(code));
    } else {
        result.outcome = settings_.provider == "apns" ? classifyApns(status, job->response)
                                                      : classifyFcm(status, job->response);
        result.detail = reasonOf(job->response);
        if (settings_.provider == "fcm" && status == 401)
            fcmAccessToken_.clear();
    }
    conclude(std::move(job), result);
}

void PushChannel::conclude(std::unique_ptr<Job> job, const PushResult& result) {
    const char* provider = settings_.provider.c_str();
    switch (result.outcome) {
    case Outcome::Delivered:
        ++delivered_;
        break;
    case Outcome::Gone:
        ++gone_;
        SYLK_LOG(LOG_INFO, kLog, "%s/%s: the token of %s device %zu chars is gone (%ld %s): deleting it", provider,
                 settings_.app.c_str(), job->target.account.c_str(), job->target.device.size(), result.status,
                 result.detail.c_str());
        if (onGone_)
            onGone_(job->target);
        break;
    case Outcome::Retry:
        if (job->attempts < settings_.maxAttempts) {
            ++retried_;
            auto delay = std::chrono::milliseconds(250 << (job->attempts - 1));
            SYLK_LOG(LOG_VERB, kLog, "%s/%s: push to %s: %ld %s; retry in %lld ms", provider, settings_.app.c_str(),
                     job->target.account.c_str(), result.status, result.detail.c_str(),
                     static_cast<long long>(delay.count()));
            delayed_.emplace(std::chrono::steady_clock::now() + delay, std::move(job));
            return;
        }
        ++failed_;
        SYLK_LOG(LOG_WARN, kLog, "%s/%s: push to %s failed after %d attempts: %ld %s", provider,
                 settings_.app.c_str(), job->target.account.c_str(), job->attempts, result.status,
                 result.detail.c_str());
        break;
    case Outcome::Failed:
        ++failed_;
        SYLK_LOG(LOG_WARN, kLog, "%s/%s: push to %s refused: %ld %s", provider, settings_.app.c_str(),
                 job->target.account.c_str(), result.status, result.detail.c_str());
        break;
    }
    if (job->done)
        job->done(result);
}

void PushChannel::run() {
    CURLM* multi = static_cast<CURLM*>(multi_);
    for (;;) {
        std::deque<std::unique_ptr<Job>> fresh;
        {
            std::lock_guard lock(mutex_);
            if (stopping_)
                break;
            fresh.swap(queue_);
        }
        for (auto& job : fresh)
            start(std::move(job));
        auto now = std::chrono::steady_clock::now();
        while (!delayed_.empty() && delayed_.begin()->first <= now) {
            std::unique_ptr<Job> job = std::move(delayed_.begin()->second);
            delayed_.erase(delayed_.begin());
            start(std::move(job));
        }
        int running = 0;
        curl_multi_perform(multi, &running);
        int left = 0;
        while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
            if (message->msg == CURLMSG_DONE)
                finish(message->easy_handle, message->data.result);
        }
        int waitMs = 1000;
        if (!delayed_.empty()) {
            auto until = std::chrono::duration_cast<std::chrono::milliseconds>(delayed_.begin()->first -
                                                                               std::chrono::steady_clock::now());
            waitMs = static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(waitMs, until.count() + 1)));
        }
        long curlTimeout = -1;
        curl_multi_timeout(multi, &curlTimeout);
        if (curlTimeout >= 0 && curlTimeout < waitMs)
            waitMs = static_cast<int>(curlTimeout);
        curl_multi_poll(multi, nullptr, 0, waitMs, nullptr);
    }
    // Stopping: whatever is still queued or delayed is dropped (the process is going away).
}

Json PushChannel::status() const {
    size_t queued;
    {
        std::lock_guard lock(mutex_);
        queued = queue_.size();
    }
    Json body = Json::object();
    body.set("provider", settings_.provider)
        .set("app", settings_.app)
        .set("queued", static_cast<json_int_t>(queued))
        .set("submitted", static_cast<json_int_t>(submitted_.load()))
        .set("delivered", static_cast<json_int_t>(delivered_.load()))
        .set("gone", static_cast<json_int_t>(gone_.load()))
        .set("retried", static_cast<json_int_t>(retried_.load()))
        .set("failed", static_cast<json_int_t>(failed_.load()))
        .set("dropped", static_cast<json_int_t>(dropped_.load()))
        .set("connections_opened", static_cast<json_int_t>(connections_.load()))
        .set("http2_responses", static_cast<json_int_t>(http2_.load()))
        .set("access_tokens_fetched", static_cast<json_int_t>(tokensFetched_.load()))
        .set("provider_tokens_made", static_cast<json_int_t>(providerTokens_.load()));
    return body;
}

}  // namespace sylk::push
