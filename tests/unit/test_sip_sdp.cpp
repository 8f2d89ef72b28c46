#include <string>

#include <cstring>

#include "plugins/sip/sip_sdp.hpp"
#include "sylkcore/net/srtp_session.hpp"
// cmocka defines fail(): include it after the C++ library headers
#include "cmocka_cpp.hpp"

using namespace sylk::sip;

static const char* kOffer =
    "v=0\r\no=phone 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
    "m=audio 40000 RTP/AVP 18 0 101\r\na=rtpmap:18 G729/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n";

static void picks_the_first_codec_we_mix(void**) {
    std::string reason;
    auto audio = chooseAudio(kOffer, &reason);
    assert_true(audio.has_value());
    assert_string_equal(audio->codec.c_str(), "pcmu");
    assert_int_equal(audio->payloadType, 0);
    assert_int_equal(audio->telephoneEventPt, 101);
    assert_string_equal(audio->address.c_str(), "192.0.2.7");
    assert_int_equal(audio->port, 40000);
    std::string answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/AVP 0 101\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=rtpmap:0 PCMU/8000\r\n"));
    auto back = chooseAudio(answer, &reason);
    assert_true(back.has_value() && back->codec == "pcmu" && back->port == 30000);
}

static void explains_what_it_cannot_take(void**) {
    std::string reason;
    assert_false(chooseAudio("v=0\r\nm=audio 4 RTP/AVP 18\r\nc=IN IP4 1.2.3.4\r\na=rtpmap:18 G729/8000\r\n", &reason).has_value());
    assert_non_null(strstr(reason.c_str(), "no common codec"));
    reason.clear();
    assert_false(chooseAudio("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4 RTP/SAVP 0\r\n", &reason).has_value());
    assert_non_null(strstr(reason.c_str(), "a=crypto"));
    reason.clear();
    assert_false(chooseAudio("not sdp", &reason).has_value());
    assert_false(reason.empty());
}

// RFC 3952: a phone offering only iLBC gets the mode it asked for (a=fmtp mode=20), 30 ms when
// its offer names none; the answer repeats the mode and the packet time that goes with it.
static void takes_ilbc_in_the_mode_offered(void**) {
    std::string reason;
    auto twenty = chooseAudio("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 97\r\na=rtpmap:97 iLBC/8000\r\n"
                              "a=fmtp:97 mode=20\r\n", &reason);
    assert_true(twenty.has_value());
    assert_string_equal(twenty->codec.c_str(), "ilbc20");
    assert_int_equal(twenty->payloadType, 97);
    std::string answer = buildAnswer("127.0.0.1", 30000, *twenty, 5, 1);
    assert_non_null(std::strstr(answer.c_str(), "a=rtpmap:97 iLBC/8000\r\n"));
    assert_non_null(std::strstr(answer.c_str(), "a=fmtp:97 mode=20\r\n"));
    assert_non_null(std::strstr(answer.c_str(), "a=ptime:20\r\n"));
    auto back = chooseAudio(answer, &reason);
    assert_true(back.has_value());
    assert_string_equal(back->codec.c_str(), "ilbc20");

    auto thirty = chooseAudio("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 102\r\na=rtpmap:102 ILBC/8000\r\n", &reason);
    assert_true(thirty.has_value());
    assert_string_equal(thirty->codec.c_str(), "ilbc");
    answer = buildAnswer("127.0.0.1", 30000, *thirty, 5, 1);
    assert_non_null(std::strstr(answer.c_str(), "a=fmtp:102 mode=30\r\n"));
    assert_non_null(std::strstr(answer.c_str(), "a=ptime:30\r\n"));
    // iLBC at another clock rate is not iLBC
    assert_false(chooseAudio("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4000 RTP/AVP 97\r\na=rtpmap:97 iLBC/16000\r\n", &reason)
                     .has_value());
}

static void answers_zrtp_hash_and_offers_ours(void**) {
    std::string reason;
    const std::string hash = "1.10 " + std::string(64, 'a');
    std::string offer = std::string("v=0\r\nc=IN IP4 192.0.2.7\r\na=zrtp-hash:") + hash +    // session level
                        "\r\nm=audio 40000 RTP/AVP 0\r\n";
    auto audio = chooseAudio(offer, &reason);
    assert_true(audio.has_value());
    assert_string_equal(audio->zrtpHash.c_str(), hash.c_str());
    const std::string ours = "1.10 " + std::string(64, 'b');
    std::string answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1, "sendrecv", "", ours);
    assert_non_null(strstr(answer.c_str(), ("a=zrtp-hash:" + ours + "\r\n").c_str()));
    // a malformed hash (short, not hex) is not taken, and no ZRTP is answered
    audio = chooseAudio("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 4 RTP/AVP 0\r\na=zrtp-hash:1.10 xyz\r\n", &reason);
    assert_true(audio.has_value() && audio->zrtpHash.empty());
    answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1, "sendrecv", "", ours);
    assert_null(strstr(answer.c_str(), "zrtp-hash"));
    // our offers carry it on plain RTP only (SDES keys make it moot)
    assert_non_null(strstr(buildOffer("127.0.0.1", 30000, 5, 1, "sendrecv", "", "", ours).c_str(), "a=zrtp-hash:1.10 "));
    assert_null(strstr(buildOffer("127.0.0.1", 30000, 5, 1, "sendrecv", "mandatory",
                                  sylk::net::SrtpSession::makeKey(), ours).c_str(), "zrtp-hash"));
}

static void takes_sdes_srtp(void**) {
    std::string reason;
    std::string peerKey = sylk::net::SrtpSession::makeKey();
    std::string offer = std::string("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 40000 RTP/SAVP 0\r\n") +
                        "a=crypto:1 F8_128_HMAC_SHA1_80 inline:" + peerKey + "\r\n"     // a suite we lack
                        "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" + peerKey + "|2^31\r\n";
    auto audio = chooseAudio(offer, &reason);
    assert_true(audio.has_value());
    assert_true(audio->srtp());
    assert_int_equal(audio->cryptoTag, 2);
    assert_string_equal(audio->cryptoKey.c_str(), peerKey.c_str());
    std::string ourKey = sylk::net::SrtpSession::makeKey();
    std::string answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1, "sendrecv", ourKey);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/SAVP 0\r\n"));
    assert_non_null(strstr(answer.c_str(), ("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:" + ourKey + "\r\n").c_str()));

    // The two ends' sessions: what one protects, the other unprotects; a flipped bit does not.
    sylk::net::SrtpSession phone("AES_CM_128_HMAC_SHA1_80", peerKey, ourKey);
    sylk::net::SrtpSession us("AES_CM_128_HMAC_SHA1_80", ourKey, peerKey);
    uint8_t packet[12 + 160 + sylk::net::SrtpSession::kMaxTrailer] = {0x80, 0, 0, 1, 0, 0, 0, 160, 1, 2, 3, 4};
    for (int i = 12; i < 172; ++i)
        packet[i] = static_cast<uint8_t>(i);
    size_t length = 172;
    assert_true(phone.protect(packet, length));
    assert_int_equal(length, 182);  // the 80-bit tag
    uint8_t copy[sizeof(packet)];
    memcpy(copy, packet, sizeof(packet));
    assert_true(us.unprotect(packet, length));
    assert_int_equal(length, 172);
    assert_int_equal(packet[100], 100);
    size_t tamperedLength = 182;
    copy[50] ^= 1;
    copy[3] = 2;  // another sequence number: not a replay
    assert_false(us.unprotect(copy, tamperedLength));

    // No usable crypto: refused with the reason.
    assert_false(chooseAudio("v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 4 RTP/SAVP 0\r\na=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:short\r\n",
                             &reason).has_value());
    std::string plainOffer = buildOffer("127.0.0.1", 30000, 1, 1, "sendrecv", "optional", ourKey);
    assert_non_null(strstr(plainOffer.c_str(), "RTP/AVP"));
    assert_non_null(strstr(plainOffer.c_str(), "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"));
    assert_non_null(strstr(buildOffer("127.0.0.1", 30000, 1, 1, "sendrecv", "mandatory", ourKey).c_str(), "RTP/SAVP"));
}

// RFC 3264 §6.1: the answer keeps the offer's payload type numbers and what they mean. An
// offer of 99 telephone-event/48000 and 101 telephone-event/8000 was answered with
// "99 telephone-event/8000", redefining 99.
static void keeps_the_offers_payload_types(void**) {
    std::string reason;
    const char* twoEvents =
        "v=0\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0 99 101\r\n"
        "a=rtpmap:0 PCMU/8000\r\na=rtpmap:99 telephone-event/48000\r\na=rtpmap:101 telephone-event/8000\r\n";
    auto audio = chooseAudio(twoEvents, &reason);
    assert_true(audio.has_value());
    assert_int_equal(audio->telephoneEventPt, 101);  // the one at PCMU's clock rate
    std::string answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/AVP 0 101\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=rtpmap:101 telephone-event/8000\r\n"));
    assert_null(strstr(answer.c_str(), "a=rtpmap:99"));

    // With Opus the 48 kHz one fits; with only a 48 kHz one and PCMU, that one, at 48 kHz.
    const char* opus =
        "v=0\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\nm=audio 40000 RTP/AVP 111 101 99\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:99 telephone-event/48000\r\n";
    audio = chooseAudio(opus, &reason);
    assert_true(audio.has_value() && audio->codec == "opus" && audio->payloadType == 111);
    answer = buildAnswer("127.0.0.1", 30000, *audio, 5, 1);
    assert_non_null(strstr(answer.c_str(), "m=audio 30000 RTP/AVP 111 99\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=rtpmap:99 telephone-event/48000\r\n"));
    audio = chooseAudio("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 4 RTP/AVP 8 99\r\na=rtpmap:99 telephone-event/48000\r\n",
                        &reason);
    assert_true(audio.has_value() && audio->codec == "pcma" && audio->telephoneEventPt == 99);
    assert_non_null(strstr(buildAnswer("127.0.0.1", 30000, *audio, 5, 1).c_str(), "a=rtpmap:99 telephone-event/48000\r\n"));

    // A dynamic type naming a codec at another clock rate is not that codec: the next is taken,
    // and the answer's rtpmap never gives 96 another rate.
    audio = chooseAudio("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 4 RTP/AVP 96 0\r\na=rtpmap:96 PCMU/16000\r\n", &reason);
    assert_true(audio.has_value() && audio->payloadType == 0);
    assert_false(chooseAudio("v=0\r\nc=IN IP4 192.0.2.7\r\nm=audio 4 RTP/AVP 96\r\na=rtpmap:96 opus/8000\r\n", &reason)
                     .has_value());
}

// ---------------------------------------------------------------- MSRP (m=message)
// Fixtures: the example SDP of RFC 4975 (§4, §8.7), RFC 5547 (§9: a file sent, a file
// requested; the RFC folds the long a=file-selector line for print, SDP has it on one line)
// and RFC 6135 (a=setup), with the RFCs' host names. The same texts are seeds of the SDP fuzz
// target (tests/fuzz/corpus/sip_sdp/msrp_*).

// RFC 4975 §8.7: Alice's offer.
static const char* kRfc4975Offer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 alice.example.com\r\n"
    "s= -\r\n"
    "c=IN IP4 alice.example.com\r\n"
    "t=0 0\r\n"
    "m=message 7394 TCP/MSRP *\r\n"
    "a=accept-types:message/cpim text/plain text/html\r\n"
    "a=path:msrp://alice.example.com:7394/2s93i93idd;tcp\r\n";

// RFC 4975 §4: the overview's offer, over TLS.
static const char* kRfc4975TlsOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 atlanta.example.com\r\n"
    "s= -\r\n"
    "c=IN IP4 atlanta.example.com\r\n"
    "t=0 0\r\n"
    "m=message 7654 TCP/TLS/MSRP *\r\n"
    "a=accept-types:text/plain\r\n"
    "a=path:msrps://atlanta.example.com:7654/jshA7weztas;tcp\r\n";

// RFC 5547 §9.1: the offerer sends a file.
static const char* kRfc5547PushOffer =
    "v=0\r\n"
    "o=alice 2890844526 2890844526 IN IP4 host.atlanta.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 host.atlanta.example.com\r\n"
    "t=0 0\r\n"
    "m=message 7654 TCP/MSRP *\r\n"
    "i=This is my latest picture\r\n"
    "a=sendonly\r\n"
    "a=accept-types:message/cpim\r\n"
    "a=accept-wrapped-types:*\r\n"
    "a=path:msrp://atlanta.example.com:7654/jshA7we;tcp\r\n"
    "a=file-selector:name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:"
    "72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E\r\n"
    "a=file-transfer-id:vBnG916bdberum2fFEABR1FR3ExZMUrd\r\n"
    "a=file-disposition:attachment\r\n"
    "a=file-date:creation:\"Mon, 15 May 2006 15:01:31 +0300\"\r\n"
    "a=file-icon:cid:id2@alicepc.example.com\r\n"
    "a=max-size:32349\r\n";

// RFC 5547 §9.2: the offerer asks for a file by its hash.
static const char* kRfc5547PullOffer =
    "v=0\r\n"
    "o=bob 2890844526 2890844526 IN IP4 host.biloxi.example.com\r\n"
    "s=\r\n"
    "c=IN IP4 host.biloxi.example.com\r\n"
    "t=0 0\r\n"
    "m=message 7654 TCP/MSRP *\r\n"
    "a=recvonly\r\n"
    "a=accept-types:message/cpim\r\n"
    "a=accept-wrapped-types:*\r\n"
    "a=path:msrp://host.biloxi.example.com:7654/jshA7we;tcp\r\n"
    "a=file-selector:hash:sha-1:72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E\r\n"
    "a=file-transfer-id:aCQYuBRVoUPGVsFZkCK98vzcX2FXDIk2\r\n";

// RFC 6135 §4: an offer that may connect or be connected to (actpass), with a relay in the
// path (RFC 4976: the first URI is the hop to send to, the endpoint's own is last).
static const char* kRfc6135Offer =
    "v=0\r\n"
    "o=alice 2890844526 2890844527 IN IP4 192.0.2.1\r\n"
    "s=-\r\n"
    "c=IN IP4 192.0.2.1\r\n"
    "t=0 0\r\n"
    "m=message 7394 TCP/TLS/MSRP *\r\n"
    "a=setup:actpass\r\n"
    "a=accept-types:message/cpim\r\n"
    "a=accept-wrapped-types:text/plain image/*\r\n"
    "a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\r\n"
    "a=path:msrps://relay.example.net:2855/aB3dC4;tcp msrps://192.0.2.1:7394/2s93i93idd;tcp\r\n";

static void reads_rfc_4975_offers(void**) {
    std::string reason;
    auto msrp = chooseMessage(kRfc4975Offer, &reason);
    assert_true(msrp.has_value());
    assert_int_equal(msrp->index, 0);
    assert_int_equal(msrp->port, 7394);
    assert_false(msrp->secure);
    assert_string_equal(msrp->address.c_str(), "alice.example.com");
    assert_int_equal(msrp->path.size(), 1);
    assert_string_equal(msrp->path[0].c_str(), "msrp://alice.example.com:7394/2s93i93idd;tcp");
    assert_int_equal(msrp->acceptTypes.size(), 3);
    assert_string_equal(msrp->acceptTypes[0].c_str(), "message/cpim");
    assert_string_equal(msrp->acceptTypes[2].c_str(), "text/html");
    assert_true(msrp->acceptWrappedTypes.empty());
    assert_true(msrp->setup.empty());
    assert_string_equal(msrpAnswerRole(msrp->setup).c_str(), "passive");  // RFC 4975: the offerer connects
    assert_false(msrp->fileTransfer());
    // A chat-only offer has no audio.
    assert_false(chooseAudio(kRfc4975Offer, &reason).has_value());
    assert_non_null(strstr(reason.c_str(), "no audio stream"));
    // A host name in c= is fine for MSRP, but no address for RTP.
    assert_false(chooseAudio("v=0\r\nc=IN IP4 alice.example.com\r\nm=audio 4 RTP/AVP 0\r\n", &reason).has_value());
    assert_non_null(strstr(reason.c_str(), "host name"));

    msrp = chooseMessage(kRfc4975TlsOffer, &reason);
    assert_true(msrp.has_value() && msrp->secure && msrp->port == 7654);
    assert_string_equal(msrp->path[0].c_str(), "msrps://atlanta.example.com:7654/jshA7weztas;tcp");
}

static void reads_rfc_5547_file_transfers(void**) {
    std::string reason;
    auto push = chooseMessage(kRfc5547PushOffer, &reason);
    assert_true(push.has_value());
    assert_true(push->fileTransfer());
    assert_string_equal(push->direction.c_str(), "sendonly");
    assert_string_equal(push->fileSelector->c_str(),
                        "name:\"My cool picture.jpg\" type:image/jpeg size:32349 hash:sha-1:"
                        "72:24:5F:E8:65:3D:DA:F3:71:36:2F:86:D4:71:91:3E:E4:A2:CE:2E");
    assert_string_equal(push->fileTransferId->c_str(), "vBnG916bdberum2fFEABR1FR3ExZMUrd");
    assert_string_equal(push->fileDisposition->c_str(), "attachment");
    assert_string_equal(push->fileDate->c_str(), "creation:\"Mon, 15 May 2006 15:01:31 +0300\"");
    assert_string_equal(push->fileIcon->c_str(), "cid:id2@alicepc.example.com");
    assert_true(push->maxSize == 32349);
    assert_int_equal(push->acceptWrappedTypes.size(), 1);
    assert_string_equal(push->acceptWrappedTypes[0].c_str(), "*");

    auto pull = chooseMessage(kRfc5547PullOffer, &reason);
    assert_true(pull.has_value() && pull->fileTransfer());
    assert_string_equal(pull->direction.c_str(), "recvonly");
    assert_false(pull->fileDisposition.has_value());
    assert_false(pull->fileIcon.has_value());
    assert_true(pull->maxSize == 0);

    // The answer repeats the selector and transfer id (RFC 5547 §8.2) with the other direction.
    MsrpAnswer answer;
    answer.host = "192.0.2.9";
    answer.port = 2855;
    answer.path = {"msrp://192.0.2.9:2855/s3ss10n;tcp"};
    answer.setup = "passive";
    answer.acceptTypes = {"message/cpim"};
    answer.acceptWrappedTypes = {"*"};
    answer.direction = answerDirection(push->direction);
    answer.fileSelector = push->fileSelector;
    answer.fileTransferId = push->fileTransferId;
    AnswerStreams streams;
    streams.offered = mediaLines(kRfc5547PushOffer);
    streams.msrpIndex = push->index;
    streams.msrp = &answer;
    std::string sdp = buildStreamsAnswer("192.0.2.9", 7, 1, streams);
    auto back = chooseMessage(sdp, &reason);
    assert_true(back.has_value());
    assert_string_equal(back->direction.c_str(), "recvonly");
    assert_string_equal(back->fileSelector->c_str(), push->fileSelector->c_str());
    assert_string_equal(back->fileTransferId->c_str(), "vBnG916bdberum2fFEABR1FR3ExZMUrd");
    assert_string_equal(back->setup.c_str(), "passive");
}

static void reads_rfc_6135_setup_and_fingerprint(void**) {
    std::string reason;
    auto msrp = chooseMessage(kRfc6135Offer, &reason);
    assert_true(msrp.has_value());
    assert_string_equal(msrp->setup.c_str(), "actpass");
    assert_string_equal(msrpAnswerRole(msrp->setup).c_str(), "active");
    assert_string_equal(msrp->fingerprint.c_str(), "SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB");
    assert_int_equal(msrp->path.size(), 2);
    assert_string_equal(msrp->path[0].c_str(), "msrps://relay.example.net:2855/aB3dC4;tcp");
    assert_int_equal(msrp->acceptWrappedTypes.size(), 2);
    assert_string_equal(msrpAnswerRole("active").c_str(), "passive");
    assert_string_equal(msrpAnswerRole("passive").c_str(), "active");

    // holdconn asks for no connection: not a stream we can take now.
    std::string held = std::string(kRfc4975Offer) + "a=setup:holdconn\r\n";
    assert_false(chooseMessage(held, &reason).has_value());
    assert_non_null(strstr(reason.c_str(), "holdconn"));
    // A session-level a=setup applies to the stream.
    std::string sessionLevel = kRfc4975Offer;
    sessionLevel.insert(sessionLevel.find("m=message"), "a=setup:passive\r\n");
    msrp = chooseMessage(sessionLevel, &reason);
    assert_true(msrp.has_value() && msrp->setup == "passive");
}

static void explains_the_msrp_streams_it_cannot_take(void**) {
    struct Case {
        const char* attributes;
        const char* reason;
    } cases[] = {
        {"a=accept-types:text/plain\r\n", "without a=path"},
        {"a=path:msrp://a.example.com:1/x;tcp\r\n", "without a=accept-types"},
        {"a=path:http://a.example.com:1/x;tcp\r\na=accept-types:text/plain\r\n", "msrp URIs"},
        {"a=path:msrp://a.example.com:1\r\na=accept-types:text/plain\r\n", "msrp URIs"},
        {"a=path:msrps://a.example.com:1/x;tcp\r\na=accept-types:text/plain\r\n", "msrp URIs"},  // TLS path, TCP/MSRP
        {"a=path:msrp://a.example.com:1/x;tcp\r\na=accept-types:text\r\n", "accept-types"},
        {"a=path:msrp://a.example.com:1/x;tcp\r\na=accept-types:text/plain\r\na=setup:sometimes\r\n", "a=setup"},
        {"a=path:msrp://a.example.com:1/x;tcp\r\na=accept-types:text/plain\r\na=fingerprint:sha-1 zz\r\n", "fingerprint"},
        {"a=path:msrp://a.example.com:1/x;tcp\r\na=accept-types:text/plain\r\na=max-size:-1\r\n", "max-size"},
    };
    for (const auto& entry : cases) {
        std::string reason;
        std::string sdp = std::string("v=0\r\nc=IN IP4 192.0.2.1\r\nm=message 9 TCP/MSRP *\r\n") + entry.attributes;
        assert_false(chooseMessage(sdp, &reason).has_value());
        if (!strstr(reason.c_str(), entry.reason))
            fail_msg("%s: %s", entry.attributes, reason.c_str());
    }
    std::string reason;
    assert_false(chooseMessage("v=0\r\nm=message 9 TCP/WS *\r\na=path:msrp://a:1/x;tcp\r\na=accept-types:*\r\n", &reason)
                     .has_value());
    assert_non_null(strstr(reason.c_str(), "TCP/MSRP"));
    // Removed (port 0), or none at all.
    assert_false(chooseMessage("v=0\r\nm=message 0 TCP/MSRP *\r\na=path:msrp://a:1/x;tcp\r\na=accept-types:*\r\n", &reason)
                     .has_value());
    assert_non_null(strstr(reason.c_str(), "no MSRP stream"));
    assert_false(chooseMessage(kOffer, &reason).has_value());
    assert_false(chooseMessage("garbage", &reason).has_value());
}

// An offer of audio and chat: the answer has both m= lines in the offer's order, with the
// values msrp.open_session gave; a stream we do not take is answered with port 0.
static void answers_audio_and_chat_in_the_offers_order(void**) {
    const std::string offer =
        "v=0\r\no=blink 1 1 IN IP4 192.0.2.7\r\ns=-\r\nc=IN IP4 192.0.2.7\r\nt=0 0\r\n"
        "m=message 2855 TCP/MSRP *\r\na=path:msrp://192.0.2.7:2855/blinkpath;tcp\r\n"
        "a=accept-types:message/cpim text/plain\r\na=accept-wrapped-types:*\r\n"
        "m=video 40002 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
        "m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    std::string reason;
    auto audio = chooseAudio(offer, &reason);
    auto msrp = chooseMessage(offer, &reason);
    assert_true(audio.has_value() && msrp.has_value());
    assert_int_equal(audio->index, 2);
    assert_int_equal(msrp->index, 0);
    auto lines = mediaLines(offer);
    assert_int_equal(lines.size(), 3);
    assert_string_equal(lines[1].formats.c_str(), "96");

    MsrpAnswer chat;
    chat.host = "127.0.0.1";
    chat.port = 2855;
    chat.path = {"msrp://127.0.0.1:2855/ourSession;tcp"};
    chat.setup = "passive";
    chat.acceptTypes = {"message/cpim", "text/*"};
    chat.acceptWrappedTypes = {"text/*", "image/*"};
    AnswerStreams streams;
    streams.offered = lines;
    streams.audio = &*audio;
    streams.audioPort = 30000;
    streams.msrpIndex = msrp->index;
    streams.msrp = &chat;
    std::string answer = buildStreamsAnswer("127.0.0.1", 5, 1, streams);
    const char* message = strstr(answer.c_str(), "m=message 2855 TCP/MSRP *\r\n");
    const char* video = strstr(answer.c_str(), "m=video 0 RTP/AVP 96\r\n");
    const char* rtp = strstr(answer.c_str(), "m=audio 30000 RTP/AVP 0\r\n");
    assert_true(message && video && rtp && message < video && video < rtp);
    assert_non_null(strstr(answer.c_str(), "a=path:msrp://127.0.0.1:2855/ourSession;tcp\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=accept-types:message/cpim text/*\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=accept-wrapped-types:text/* image/*\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=setup:passive\r\n"));
    assert_null(strstr(answer.c_str(), "c=IN IP4 127.0.0.1\r\nc="));  // same host: no media-level c=
    // Read back as an answer: both streams, as written.
    auto chatBack = chooseMessage(answer, &reason);
    auto audioBack = chooseAudio(answer, &reason);
    assert_true(chatBack.has_value() && chatBack->path == chat.path && chatBack->setup == "passive");
    assert_true(audioBack.has_value() && audioBack->port == 30000 && audioBack->index == 2);

    // TLS, on another host than the audio's: media-level c= and our fingerprint.
    chat.secure = true;
    chat.host = "127.0.0.2";
    chat.path = {"msrps://127.0.0.2:2856/ourSession;tcp"};
    chat.fingerprint = "sha-256 AB:CD:EF";
    answer = buildStreamsAnswer("127.0.0.1", 5, 2, streams);
    assert_non_null(strstr(answer.c_str(), "m=message 2855 TCP/TLS/MSRP *\r\nc=IN IP4 127.0.0.2\r\n"));
    assert_non_null(strstr(answer.c_str(), "a=fingerprint:sha-256 AB:CD:EF\r\n"));

    // The chat refused (no msrp service): its line with port 0, audio as before.
    streams.msrp = nullptr;
    answer = buildStreamsAnswer("127.0.0.1", 5, 3, streams);
    assert_non_null(strstr(answer.c_str(), "m=message 0 TCP/MSRP *\r\n"));
    assert_null(strstr(answer.c_str(), "a=path"));
    assert_false(chooseMessage(answer, &reason).has_value());
    assert_true(chooseAudio(answer, &reason).has_value());
}

static void a_new_message_path_replaces_only_the_path_and_the_version(void**) {
    const std::string sdp =
        "v=0\r\no=- 7 3 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n"
        "m=message 0 TCP/MSRP *\r\na=path:msrp://192.0.2.9:2855/refused;tcp\r\n"
        "m=message 2855 TCP/MSRP *\r\na=accept-types:message/cpim\r\na=path:msrp://relay:2855/old;tcp msrp://192.0.2.9:2855/s;tcp\r\n"
        "a=setup:passive\r\n";
    auto moved = withMessagePath(sdp, {"msrp://relay:2855/new;tcp", "msrp://192.0.2.9:2855/s;tcp"}, 4);
    assert_true(moved.has_value());
    const std::string expected =
        "v=0\r\no=- 7 4 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"
        "m=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n"
        "m=message 0 TCP/MSRP *\r\na=path:msrp://192.0.2.9:2855/refused;tcp\r\n"
        "m=message 2855 TCP/MSRP *\r\na=accept-types:message/cpim\r\na=path:msrp://relay:2855/new;tcp msrp://192.0.2.9:2855/s;tcp\r\n"
        "a=setup:passive\r\n";
    assert_string_equal(moved->c_str(), expected.c_str());
    std::string reason;
    auto back = chooseMessage(*moved, &reason);
    assert_true(back.has_value());
    assert_string_equal(back->path[0].c_str(), "msrp://relay:2855/new;tcp");
    // Nothing to move: no accepted m=message, no o= line, an empty path.
    assert_false(withMessagePath("v=0\r\no=- 7 3 IN IP4 h\r\nm=audio 4000 RTP/AVP 0\r\n", {"msrp://a:1/b;tcp"}, 4).has_value());
    assert_false(withMessagePath("v=0\r\nm=message 2855 TCP/MSRP *\r\na=path:msrp://a:1/b;tcp\r\n", {"msrp://a:1/c;tcp"}, 4).has_value());
    assert_false(withMessagePath(sdp, {}, 4).has_value());
}

// What Janus answers a browser (Chromium offers telephone-event at 48000 and 8000; Janus keeps 8000).
static void finds_the_webrtc_legs_telephone_event(void**) {
    const std::string answer =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 126\r\nc=IN IP4 127.0.0.1\r\na=sendrecv\r\na=mid:0\r\n"
        "a=rtcp-mux\r\na=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\n"
        "a=fingerprint:sha-256 AB:CD\r\na=setup:active\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
        "a=rtpmap:126 telephone-event/8000\r\n";
    assert_int_equal(telephoneEventPt(answer), 126);
    const std::string both =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 110 126\r\nc=IN IP4 0.0.0.0\r\n"
        "a=rtpmap:111 opus/48000/2\r\na=rtpmap:110 telephone-event/48000\r\na=rtpmap:126 telephone-event/8000\r\n";
    assert_int_equal(telephoneEventPt(both), 126);
    assert_int_equal(telephoneEventPt(both, 48000), 110);
    const std::string none =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:111 opus/48000/2\r\n";
    assert_int_equal(telephoneEventPt(none), -1);
    assert_int_equal(telephoneEventPt("garbage"), -1);
    assert_int_equal(telephoneEventPt(""), -1);
}

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_message_path_replaces_only_the_path_and_the_version),
        cmocka_unit_test(picks_the_first_codec_we_mix),
        cmocka_unit_test(explains_what_it_cannot_take),
        cmocka_unit_test(takes_sdes_srtp),
        cmocka_unit_test(keeps_the_offers_payload_types),
        cmocka_unit_test(reads_rfc_4975_offers),
        cmocka_unit_test(reads_rfc_5547_file_transfers),
        cmocka_unit_test(reads_rfc_6135_setup_and_fingerprint),
        cmocka_unit_test(explains_the_msrp_streams_it_cannot_take),
        cmocka_unit_test(answers_audio_and_chat_in_the_offers_order),
        cmocka_unit_test(takes_ilbc_in_the_mode_offered),
        cmocka_unit_test(answers_zrtp_hash_and_offers_ours),
        cmocka_unit_test(finds_the_webrtc_legs_telephone_event),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
