#include "file_selector.hpp"

#include <glib.h>

#include <cstdio>

namespace sylk::msrp {
namespace {

constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

[[noreturn]] void fail(std::string_view attribute, const std::string& what) {
    throw FileSelectorError(std::string(attribute) + ": " + what);
}

// The byte at a position, printable in a message.
std::string describe(std::string_view text, size_t at) {
    if (at >= text.size())
        return "the end";
    unsigned char c = static_cast<unsigned char>(text[at]);
    char buffer[48];
    if (c > 0x20 && c < 0x7f)
        std::snprintf(buffer, sizeof buffer, "'%c' at %zu", c, at);
    else
        std::snprintf(buffer, sizeof buffer, "byte 0x%02X at %zu", c, at);
    return buffer;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

// RFC 4566 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 / %x41-5A / %x5E-7E.
bool sdpTokenChar(unsigned char c) {
    return c == 0x21 || (c >= 0x23 && c <= 0x27) || c == 0x2A || c == 0x2B || c == 0x2D || c == 0x2E ||
           (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x5E && c <= 0x7E);
}

// RFC 2045 token: US-ASCII printable, without SPACE and tspecials.
bool mimeTokenChar(unsigned char c) {
    if (c <= 0x20 || c >= 0x7f)
        return false;
    return std::string_view("()<>@,;:\\\"/[]?=").find(static_cast<char>(c)) == std::string_view::npos;
}

// RFC 5547 filename-char: any byte but NUL, CR, LF, '"' and '%'.
bool filenameChar(unsigned char c) { return c != 0 && c != '\r' && c != '\n' && c != '"' && c != '%'; }

// A read position over one attribute value; every failure names the attribute.
class Cursor {
public:
    Cursor(std::string_view text, std::string_view attribute) : text_(text), attribute_(attribute) {}

    bool atEnd() const { return at_ >= text_.size(); }
    size_t position() const { return at_; }
    char peek() const { return atEnd() ? '\0' : text_[at_]; }
    void advance() { ++at_; }

    [[noreturn]] void error(const std::string& what) const { fail(attribute_, what + " (" + describe(text_, at_) + ")"); }
    [[noreturn]] void errorHere(const std::string& what) const { fail(attribute_, what); }

    bool take(std::string_view literal) {
        if (text_.substr(at_, literal.size()) != literal)
            return false;
        at_ += literal.size();
        return true;
    }
    void expect(char c, const char* what) {
        if (peek() != c || atEnd())
            error(std::string("expected ") + what);
        ++at_;
    }
    // 1* characters of a class.
    std::string_view run(bool (*accept)(unsigned char), const char* what) {
        size_t start = at_;
        while (!atEnd() && accept(static_cast<unsigned char>(text_[at_])))
            ++at_;
        if (at_ == start)
            error(std::string("expected ") + what);
        return text_.substr(start, at_ - start);
    }
    std::string_view digits(size_t min, size_t max, const char* what) {
        size_t start = at_;
        while (!atEnd() && g_ascii_isdigit(text_[at_]) && at_ - start < max)
            ++at_;
        if (at_ - start < min || (!atEnd() && g_ascii_isdigit(text_[at_])))
            error(std::string("expected ") + what);
        return text_.substr(start, at_ - start);
    }
    // DQUOTE filename-string DQUOTE, percent-escapes undone.
    std::string quoted(const char* what, size_t maxBytes) {
        expect('"', (std::string("'\"' opening ") + what).c_str());
        std::string out;
        while (!atEnd() && text_[at_] != '"') {
            unsigned char c = static_cast<unsigned char>(text_[at_]);
            if (c == '%') {
                int high = at_ + 1 < text_.size() ? hexValue(text_[at_ + 1]) : -1;
                int low = at_ + 2 < text_.size() ? hexValue(text_[at_ + 2]) : -1;
                if (high < 0 || low < 0)
                    error(std::string("'%' in ") + what + " not followed by two hex digits");
                out.push_back(static_cast<char>(high * 16 + low));
                at_ += 3;
            } else if (filenameChar(c)) {
                out.push_back(static_cast<char>(c));
                ++at_;
            } else {
                error(std::string("NUL, CR or LF in ") + what + " (they must be percent-encoded)");
            }
            if (out.size() > maxBytes)
                errorHere(std::string(what) + " longer than " + std::to_string(maxBytes) + " bytes");
        }
        if (out.empty() && peek() == '"')
            error(std::string("empty ") + what);
        expect('"', (std::string("'\"' closing ") + what).c_str());
        return out;
    }
    // RFC 4566 integer (POS-DIGIT *DIGIT; a lone "0" accepted for empty files), no overflow.
    uint64_t integer(const char* what) {
        std::string_view number = digits(1, 20, what);
        if (number.size() > 1 && number[0] == '0')
            errorHere(std::string(what) + " '" + std::string(number) + "' has a leading zero");
        uint64_t value = 0;
        for (char c : number) {
            uint64_t digit = static_cast<uint64_t>(c - '0');
            if (value > (UINT64_MAX - digit) / 10)
                errorHere(std::string(what) + " '" + std::string(number) + "' is too large");
            value = value * 10 + digit;
        }
        return value;
    }

private:
    std::string_view text_;
    std::string_view attribute_;
    size_t at_ = 0;
};

constexpr std::string_view kSelector = "file-selector";

std::string encodeFilenameString(std::string_view value) {
    std::string out;
    for (unsigned char c : value) {
        if (filenameChar(c)) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHexUpper[c >> 4]);
            out.push_back(kHexUpper[c & 15]);
        }
    }
    return out;
}

void parseType(Cursor& cursor, FileSelector& selector) {
    std::string type(cursor.run(mimeTokenChar, "a media type after \"type:\""));
    cursor.expect('/', "'/' between type and subtype");
    type += '/';
    type += cursor.run(mimeTokenChar, "a subtype after '/'");
    selector.type = type;
    while (cursor.peek() == ';' && !cursor.atEnd()) {
        cursor.take(";");
        FileTypeParameter parameter;
        parameter.attribute = cursor.run(mimeTokenChar, "a parameter name after ';'");
        cursor.expect('=', "'=' after the type parameter's name");
        parameter.value = cursor.quoted("type parameter value", FileSelector::kMaxNameBytes);
        selector.typeParameters.push_back(std::move(parameter));
    }
}

void parseHash(Cursor& cursor, FileSelector& selector) {
    FileHash hash;
    std::string_view algorithm = cursor.run(sdpTokenChar, "a hash algorithm after \"hash:\"");
    gchar* lower = g_ascii_strdown(algorithm.data(), static_cast<gssize>(algorithm.size()));
    hash.algorithm = lower;
    g_free(lower);
    cursor.expect(':', "':' after the hash algorithm");
    for (;;) {
        int high = cursor.atEnd() ? -1 : hexValue(cursor.peek());
        if (high >= 0)
            cursor.advance();
        int low = cursor.atEnd() ? -1 : hexValue(cursor.peek());
        if (high < 0 || low < 0)
            cursor.error("expected two hex digits in the hash");
        cursor.advance();
        hash.digest.push_back(static_cast<char>(high * 16 + low));
        if (hash.digest.size() > 64)
            cursor.errorHere("hash longer than 64 bytes");
        if (cursor.peek() != ':' || cursor.atEnd())
            break;
        cursor.take(":");
    }
    if (hash.algorithm == "sha-1" && hash.digest.size() != 20)
        cursor.errorHere("a sha-1 hash has 20 bytes, this one " + std::to_string(hash.digest.size()));
    if (selector.hash(hash.algorithm))
        cursor.errorHere("two " + hash.algorithm + " hashes");
    selector.hashes.push_back(std::move(hash));
}

}  // namespace

// ------------------------------------------------------------------ FileHash

std::string FileHash::colonHex() const {
    std::string out;
    for (unsigned char c : digest) {
        if (!out.empty())
            out.push_back(':');
        out.push_back(kHexUpper[c >> 4]);
        out.push_back(kHexUpper[c & 15]);
    }
    return out;
}

std::string FileHash::plainHex() const {
    std::string out;
    for (unsigned char c : digest) {
        out.push_back(kHexLower[c >> 4]);
        out.push_back(kHexLower[c & 15]);
    }
    return out;
}

std::optional<FileHash> FileHash::sha1FromPlainHex(std::string_view hex) {
    if (hex.size() != 40)
        return std::nullopt;
    FileHash hash{"sha-1", {}};
    for (size_t i = 0; i < hex.size(); i += 2) {
        int high = hexValue(hex[i]);
        int low = hexValue(hex[i + 1]);
        if (high < 0 || low < 0)
            return std::nullopt;
        hash.digest.push_back(static_cast<char>(high * 16 + low));
    }
    return hash;
}

// ------------------------------------------------------------------ file-selector

FileSelector FileSelector::parse(std::string_view value) {
    if (value.size() > kMaxLength)
        fail(kSelector, "longer than " + std::to_string(kMaxLength) + " bytes");
    FileSelector selector;
    Cursor cursor(value, kSelector);
    while (!cursor.atEnd()) {
        if (cursor.take("name:")) {
            if (selector.name)
                cursor.errorHere("two name selectors");
            selector.name = cursor.quoted("file name", kMaxNameBytes);
        } else if (cursor.take("type:")) {
            if (selector.type)
                cursor.errorHere("two type selectors");
            parseType(cursor, selector);
        } else if (cursor.take("size:")) {
            if (selector.size)
                cursor.errorHere("two size selectors");
            selector.size = cursor.integer("file size");
        } else if (cursor.take("hash:")) {
            parseHash(cursor, selector);
        } else {
            cursor.error("expected a selector (name:, type:, size: or hash:)");
        }
        if (cursor.atEnd())
            break;
        // Selectors are separated by exactly one space, and none ends the value.
        cursor.expect(' ', "one space before the next selector");
        if (cursor.atEnd() || cursor.peek() == ' ')
            cursor.error("expected a selector after the space");
    }
    return selector;
}

std::string FileSelector::str() const {
    std::string out;
    auto separate = [&] {
        if (!out.empty())
            out.push_back(' ');
    };
    if (name) {
        separate();
        out += "name:\"" + encodeFilenameString(*name) + "\"";
    }
    if (type) {
        separate();
        out += "type:" + *type;
        for (const auto& parameter : typeParameters)
            out += ";" + parameter.attribute + "=\"" + encodeFilenameString(parameter.value) + "\"";
    }
    if (size) {
        separate();
        out += "size:" + std::to_string(*size);
    }
    for (const auto& hash : hashes) {
        separate();
        out += "hash:" + hash.algorithm + ":" + hash.colonHex();
    }
    return out;
}

const FileHash* FileSelector::hash(std::string_view algorithm) const {
    for (const auto& hash : hashes) {
        if (g_ascii_strncasecmp(hash.algorithm.c_str(), std::string(algorithm).c_str(), hash.algorithm.size() + 1) == 0)
            return &hash;
    }
    return nullptr;
}

std::string FileSelector::contentType() const {
    if (!type)
        return "";
    std::string out = *type;
    for (const auto& parameter : typeParameters) {
        // A MIME quoted-string: backslash-escape '"' and '\'.
        std::string quoted;
        for (char c : parameter.value) {
            if (c == '"' || c == '\\')
                quoted.push_back('\\');
            quoted.push_back(c);
        }
        out += ";" + parameter.attribute + "=\"" + quoted + "\"";
    }
    return out;
}

// ------------------------------------------------------------------ RFC 5322 date-time

namespace {

constexpr const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool isSpace(unsigned char c) { return c == ' ' || c == '\t'; }

void skipSpaces(Cursor& cursor, bool required, const char* before) {
    size_t start = cursor.position();
    while (!cursor.atEnd() && isSpace(static_cast<unsigned char>(cursor.peek())))
        cursor.advance();
    if (required && cursor.position() == start)
        cursor.error(std::string("expected a space before ") + before);
}

int number(std::string_view digits) {
    int value = 0;
    for (char c : digits)
        value = value * 10 + (c - '0');
    return value;
}

}  // namespace

int64_t parseRfc5322DateTime(std::string_view text) {
    Cursor cursor(text, "date-time");
    skipSpaces(cursor, false, "");
    for (const char* day : kDays) {
        if (cursor.take(day)) {
            skipSpaces(cursor, false, "");
            cursor.expect(',', "',' after the day of the week");
            break;
        }
    }
    skipSpaces(cursor, false, "");
    int day = number(cursor.digits(1, 2, "the day of the month"));
    skipSpaces(cursor, true, "the month");
    int month = 0;
    for (int i = 0; i < 12 && month == 0; ++i) {
        if (cursor.take(kMonths[i]))
            month = i + 1;
    }
    if (month == 0)
        cursor.error("expected a month name (Jan ... Dec)");
    skipSpaces(cursor, true, "the year");
    int year = number(cursor.digits(4, 4, "a four-digit year"));
    skipSpaces(cursor, true, "the time");
    int hour = number(cursor.digits(2, 2, "two-digit hours"));
    cursor.expect(':', "':' after the hours");
    int minute = number(cursor.digits(2, 2, "two-digit minutes"));
    int second = 0;
    if (cursor.peek() == ':' && !cursor.atEnd()) {
        cursor.take(":");
        second = number(cursor.digits(2, 2, "two-digit seconds"));
    }
    skipSpaces(cursor, true, "the zone");
    int sign = 0;
    if (cursor.take("+"))
        sign = 1;
    else if (cursor.take("-"))
        sign = -1;
    else
        cursor.error("expected a numeric zone (+HHMM or -HHMM; RFC 5547 forbids zone names)");
    std::string_view zone = cursor.digits(4, 4, "four zone digits (HHMM)");
    int zoneHours = number(zone.substr(0, 2));
    int zoneMinutes = number(zone.substr(2, 2));
    skipSpaces(cursor, false, "");
    if (!cursor.atEnd())
        cursor.error("unexpected text after the zone");
    if (year < 1900 || hour > 23 || minute > 59 || second > 60 || zoneHours > 99 || zoneMinutes > 59)
        cursor.errorHere("'" + std::string(text) + "' is out of range");
    GTimeZone* tz = g_time_zone_new_offset(sign * (zoneHours * 3600 + zoneMinutes * 60));
    // g_date_time_new checks the day against the month (30 Feb fails); a leap second is read as :59.
    GDateTime* when = tz ? g_date_time_new(tz, year, month, day, hour, minute, second == 60 ? 59 : second) : nullptr;
    if (tz)
        g_time_zone_unref(tz);
    if (!when)
        cursor.errorHere("'" + std::string(text) + "' is not a valid date");
    int64_t seconds = g_date_time_to_unix(when);
    g_date_time_unref(when);
    return seconds;
}

std::string formatRfc5322DateTime(int64_t seconds) {
    GDateTime* when = g_date_time_new_from_unix_utc(seconds);
    if (!when)
        throw FileSelectorError("date-time: " + std::to_string(seconds) + " is out of range");
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  kDays[g_date_time_get_day_of_week(when) - 1], g_date_time_get_day_of_month(when),
                  kMonths[g_date_time_get_month(when) - 1], g_date_time_get_year(when), g_date_time_get_hour(when),
                  g_date_time_get_minute(when), g_date_time_get_second(when));
    g_date_time_unref(when);
    return buffer;
}

// ------------------------------------------------------------------ file-date

FileDate FileDate::parse(std::string_view value) {
    constexpr std::string_view kAttribute = "file-date";
    if (value.size() > 1024)
        fail(kAttribute, "longer than 1024 bytes");
    FileDate date;
    Cursor cursor(value, kAttribute);
    do {
        std::optional<int64_t>* slot = nullptr;
        if (cursor.take("creation:"))
            slot = &date.creation;
        else if (cursor.take("modification:"))
            slot = &date.modification;
        else if (cursor.take("read:"))
            slot = &date.read;
        else
            cursor.error("expected creation:, modification: or read:");
        if (slot->has_value())
            cursor.errorHere("the same date given twice");
        cursor.expect('"', "'\"' before the date");
        size_t start = cursor.position();
        size_t end = value.find('"', start);
        if (end == std::string_view::npos)
            cursor.error("no closing '\"' after the date");
        try {
            *slot = parseRfc5322DateTime(value.substr(start, end - start));
        } catch (const FileSelectorError& error) {
            fail(kAttribute, error.what());
        }
        cursor.take(value.substr(start, end - start + 1));
    } while (cursor.take(" "));
    if (!cursor.atEnd())
        cursor.error("expected one space between dates, or the end");
    if (date.empty())
        fail(kAttribute, "no date");
    return date;
}

std::string FileDate::str() const {
    std::string out;
    auto add = [&](const char* label, const std::optional<int64_t>& when) {
        if (!when)
            return;
        if (!out.empty())
            out.push_back(' ');
        out += std::string(label) + ":\"" + formatRfc5322DateTime(*when) + "\"";
    };
    add("creation", creation);
    add("modification", modification);
    add("read", read);
    return out;
}

// ------------------------------------------------------------------ file-range

FileRange FileRange::parse(std::string_view value) {
    Cursor cursor(value, "file-range");
    FileRange range;
    range.start = cursor.integer("start offset");
    cursor.expect('-', "'-' between the offsets");
    if (!cursor.take("*"))
        range.stop = cursor.integer("stop offset");
    if (!cursor.atEnd())
        cursor.error("unexpected text after the range");
    if (range.start == 0)
        cursor.errorHere("offsets start at 1");
    if (range.stop && *range.stop < range.start)
        cursor.errorHere("stop offset before start offset");
    return range;
}

std::string FileRange::str() const {
    return std::to_string(start) + "-" + (stop ? std::to_string(*stop) : std::string("*"));
}

// ------------------------------------------------------------------ tokens

std::string parseFileTransferId(std::string_view value) {
    if (value.size() > 256)
        fail("file-transfer-id", "longer than 256 bytes");
    Cursor cursor(value, "file-transfer-id");
    std::string id(cursor.run(sdpTokenChar, "a token"));
    if (!cursor.atEnd())
        cursor.error("a token has no such character");
    return id;
}

std::string parseFileDisposition(std::string_view value) {
    if (value.size() > 64)
        fail("file-disposition", "longer than 64 bytes");
    Cursor cursor(value, "file-disposition");
    std::string_view token = cursor.run(sdpTokenChar, "a token");
    if (!cursor.atEnd())
        cursor.error("a token has no such character");
    gchar* lower = g_ascii_strdown(token.data(), static_cast<gssize>(token.size()));
    std::string disposition = lower;
    g_free(lower);
    return disposition;
}

}  // namespace sylk::msrp
