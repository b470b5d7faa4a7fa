#include "flatjsonreader.h"

#include <charconv>

namespace es {

namespace {

bool isSpace(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void appendUtf8(QByteArray *out, char32_t cp)
{
    if (cp < 0x80) {
        out->append(char(cp));
    } else if (cp < 0x800) {
        out->append(char(0xC0 | (cp >> 6)));
        out->append(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out->append(char(0xE0 | (cp >> 12)));
        out->append(char(0x80 | ((cp >> 6) & 0x3F)));
        out->append(char(0x80 | (cp & 0x3F)));
    } else {
        out->append(char(0xF0 | (cp >> 18)));
        out->append(char(0x80 | ((cp >> 12) & 0x3F)));
        out->append(char(0x80 | ((cp >> 6) & 0x3F)));
        out->append(char(0x80 | (cp & 0x3F)));
    }
}

} // namespace

FlatJsonReader::FlatJsonReader(QByteArrayView text)
    : m_text(text)
{
}

bool FlatJsonReader::fail()
{
    m_failed = true;
    return false;
}

bool FlatJsonReader::next()
{
    if (m_failed)
        return false;
    const qsizetype size = m_text.size();
    const char *d = m_text.data();
    auto skipSpace = [&] {
        while (m_at < size && isSpace(d[m_at]))
            ++m_at;
    };
    skipSpace();
    if (!m_started) {
        if (m_at >= size || d[m_at] != '[')
            return fail();
        ++m_at;
        m_started = true;
        skipSpace();
        if (m_at < size && d[m_at] == ']') {
            ++m_at;
            return false;
        }
    } else {
        if (m_at >= size)
            return fail();
        if (d[m_at] == ']') {
            ++m_at;
            return false;
        }
        if (d[m_at] != ',')
            return fail();
        ++m_at;
        skipSpace();
    }
    if (m_at >= size)
        return fail();
    const char c = d[m_at];
    if (c == '"')
        return readString();
    if (c == 'n' || c == 't' || c == 'f') {
        const QByteArrayView rest = m_text.sliced(m_at);
        if (rest.startsWith("null")) {
            m_kind = Kind::Null;
            m_at += 4;
        } else if (rest.startsWith("true")) {
            m_kind = Kind::Bool;
            m_bool = true;
            m_at += 4;
        } else if (rest.startsWith("false")) {
            m_kind = Kind::Bool;
            m_bool = false;
            m_at += 5;
        } else {
            return fail();
        }
        return true;
    }
    const auto [end, ec] = std::from_chars(d + m_at, d + size, m_number);
    if (ec != std::errc() || end == d + m_at)
        return fail();
    m_kind = Kind::Number;
    m_at = end - d;
    return true;
}

bool FlatJsonReader::readString()
{
    const qsizetype size = m_text.size();
    const char *d = m_text.data();
    const qsizetype begin = ++m_at;
    // Most strings have no escapes: a view into the text.
    while (m_at < size && d[m_at] != '"' && d[m_at] != '\\')
        ++m_at;
    if (m_at >= size)
        return fail();
    m_kind = Kind::String;
    if (d[m_at] == '"') {
        m_string = m_text.sliced(begin, m_at - begin);
        ++m_at;
        return true;
    }
    m_unescaped.clear();
    m_unescaped.append(d + begin, m_at - begin);
    char32_t pendingHigh = 0; // a high surrogate waiting for its low half
    auto flushHigh = [&] {
        if (pendingHigh) {
            appendUtf8(&m_unescaped, 0xFFFD);
            pendingHigh = 0;
        }
    };
    while (m_at < size && d[m_at] != '"') {
        if (d[m_at] != '\\') {
            flushHigh();
            m_unescaped.append(d[m_at++]);
            continue;
        }
        if (++m_at >= size)
            return fail();
        const char e = d[m_at++];
        if (e == 'u') {
            if (m_at + 4 > size)
                return fail();
            char32_t cp = 0;
            for (int i = 0; i < 4; ++i) {
                const int h = hexValue(d[m_at + i]);
                if (h < 0)
                    return fail();
                cp = (cp << 4) | char32_t(h);
            }
            m_at += 4;
            if (cp >= 0xD800 && cp < 0xDC00) {
                flushHigh();
                pendingHigh = cp;
            } else if (cp >= 0xDC00 && cp < 0xE000) {
                if (pendingHigh) {
                    appendUtf8(&m_unescaped, 0x10000 + ((pendingHigh - 0xD800) << 10) + (cp - 0xDC00));
                    pendingHigh = 0;
                } else {
                    appendUtf8(&m_unescaped, 0xFFFD);
                }
            } else {
                flushHigh();
                appendUtf8(&m_unescaped, cp);
            }
            continue;
        }
        flushHigh();
        switch (e) {
        case '"':
        case '\\':
        case '/':
            m_unescaped.append(e);
            break;
        case 'b':
            m_unescaped.append('\b');
            break;
        case 'f':
            m_unescaped.append('\f');
            break;
        case 'n':
            m_unescaped.append('\n');
            break;
        case 'r':
            m_unescaped.append('\r');
            break;
        case 't':
            m_unescaped.append('\t');
            break;
        default:
            return fail();
        }
    }
    flushHigh();
    if (m_at >= size)
        return fail();
    ++m_at;
    m_string = QByteArrayView(m_unescaped);
    return true;
}

} // namespace es
