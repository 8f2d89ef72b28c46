// Command-line front end of the iLBC codec for tests and measurements:
//   ilbc_tool encode <20|30> <in.s16> <out.lbc>    8 kHz mono 16-bit PCM to an RFC 3951 file
//   ilbc_tool decode <in.lbc> <out.s16> [lost...]  frame numbers in `lost` are concealed
//   ilbc_tool bench <20|30> <in.s16>               microseconds per frame, encode and decode
// .lbc is the "#!iLBC20\n" / "#!iLBC30\n" storage format that ffmpeg reads.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "sylkcore/audio/ilbc_decoder.hpp"
#include "sylkcore/audio/ilbc_encoder.hpp"

using sylk::audio::ilbc::IlbcDecoder;
using sylk::audio::ilbc::IlbcEncoder;

namespace {

std::vector<char> readFile(const char* path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<int16_t> readPcm(const char* path) {
    auto bytes = readFile(path);
    std::vector<int16_t> pcm(bytes.size() / 2);
    std::memcpy(pcm.data(), bytes.data(), pcm.size() * 2);
    return pcm;
}

int encode(int milliseconds, const char* inPath, const char* outPath) {
    IlbcEncoder encoder(milliseconds);
    auto pcm = readPcm(inPath);
    std::ofstream out(outPath, std::ios::binary);
    std::string header = "#!iLBC" + std::to_string(milliseconds) + "\n";
    out.write(header.data(), static_cast<std::streamsize>(header.size()));
    int frame = encoder.mode().blockLength;
    std::vector<uint8_t> bytes(static_cast<size_t>(encoder.mode().bytes));
    for (size_t at = 0; at + static_cast<size_t>(frame) <= pcm.size(); at += static_cast<size_t>(frame)) {
        encoder.encode(&pcm[at], bytes.data());
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    }
    return 0;
}

int decode(const char* inPath, const char* outPath, const std::set<int>& lost) {
    auto file = readFile(inPath);
    int milliseconds = file.size() > 9 && std::memcmp(file.data(), "#!iLBC20\n", 9) == 0 ? 20 : 30;
    size_t headerLength = 9;
    if (file.size() < headerLength || std::memcmp(file.data(), "#!iLBC", 6) != 0) {
        std::fprintf(stderr, "not an iLBC file\n");
        return 1;
    }
    IlbcDecoder decoder(milliseconds);
    size_t frameBytes = static_cast<size_t>(decoder.mode().bytes);
    std::vector<int16_t> pcm(static_cast<size_t>(decoder.mode().blockLength));
    std::ofstream out(outPath, std::ios::binary);
    int number = 0;
    for (size_t at = headerLength; at + frameBytes <= file.size(); at += frameBytes, ++number) {
        if (lost.count(number))
            decoder.conceal(pcm.data());
        else
            decoder.decode(reinterpret_cast<const uint8_t*>(&file[at]), frameBytes, pcm.data());
        out.write(reinterpret_cast<const char*>(pcm.data()), static_cast<std::streamsize>(pcm.size() * 2));
    }
    return 0;
}

int bench(int milliseconds, const char* inPath) {
    IlbcEncoder encoder(milliseconds);
    IlbcDecoder decoder(milliseconds);
    auto pcm = readPcm(inPath);
    size_t frame = static_cast<size_t>(encoder.mode().blockLength);
    std::vector<std::vector<uint8_t>> frames;
    auto begin = std::chrono::steady_clock::now();
    for (size_t at = 0; at + frame <= pcm.size(); at += frame) {
        frames.emplace_back(static_cast<size_t>(encoder.mode().bytes));
        encoder.encode(&pcm[at], frames.back().data());
    }
    auto encoded = std::chrono::steady_clock::now();
    std::vector<int16_t> out(frame);
    for (const auto& bytes : frames)
        decoder.decode(bytes.data(), bytes.size(), out.data());
    auto decoded = std::chrono::steady_clock::now();
    auto micros = [](auto from, auto to) {
        return std::chrono::duration<double, std::micro>(to - from).count();
    };
    double count = static_cast<double>(frames.size());
    std::printf("mode %d ms: %zu frames, encode %.1f us/frame, decode %.1f us/frame\n", milliseconds,
                frames.size(), micros(begin, encoded) / count, micros(encoded, decoded) / count);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string command = argc > 1 ? argv[1] : "";
    if (command == "encode" && argc == 5)
        return encode(std::atoi(argv[2]), argv[3], argv[4]);
    if (command == "decode" && argc >= 4) {
        std::set<int> lost;
        for (int i = 4; i < argc; ++i)
            lost.insert(std::atoi(argv[i]));
        return decode(argv[2], argv[3], lost);
    }
    if (command == "bench" && argc == 4)
        return bench(std::atoi(argv[2]), argv[3]);
    std::fprintf(stderr, "usage: ilbc_tool encode <20|30> in.s16 out.lbc | decode in.lbc out.s16 [lost...] | bench <20|30> in.s16\n");
    return 2;
}
