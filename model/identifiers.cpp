#include "identifiers.h"

using namespace Qt::StringLiterals;

namespace es::identifiers {

namespace {

QString codePoint(char32_t c)
{
    return u"U+"_s + QString::number(uint(c), 16).rightJustified(4, u'0').toUpper();
}

// What is wrong with one character, or empty.
QString refusal(char32_t c)
{
    if (c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f))
        return u"a control character"_s;
    if (c == 0x2028)
        return u"a line separator"_s;
    if (c == 0x2029)
        return u"a paragraph separator"_s;
    if (c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
        return u"a bidirectional formatting character"_s;
    if (c == 0x200b || c == 0x2060 || c == 0xfeff)
        return u"an invisible character"_s;
    if (c == 0xfffd)
        return u"the replacement character"_s;
    return {};
}

} // namespace

qsizetype maxLength(Kind kind)
{
    switch (kind) {
    case Kind::StreamId:
        return MaxStreamIdLength;
    case Kind::StreamType:
    case Kind::EventType:
        return MaxTypeLength;
    case Kind::EventId:
    case Kind::CommandId:
        break;
    }
    return MaxIdLength;
}

QString noun(Kind kind)
{
    switch (kind) {
    case Kind::StreamId:
        return u"stream id"_s;
    case Kind::StreamType:
        return u"stream type"_s;
    case Kind::EventType:
        return u"event type"_s;
    case Kind::EventId:
        return u"event id"_s;
    case Kind::CommandId:
        break;
    }
    return u"command id"_s;
}

QString problem(Kind kind, QStringView value)
{
    const QString what = noun(kind);
    if (value.isEmpty())
        return what + u" is empty"_s;
    // Length first: a 1 MB id is refused for its length, not for its first bad character.
    qsizetype characters = 0;
    for (qsizetype i = 0; i < value.size(); ++i) {
        if (value.at(i).isHighSurrogate() && i + 1 < value.size() && value.at(i + 1).isLowSurrogate())
            ++i;
        ++characters;
    }
    const qsizetype limit = maxLength(kind);
    if (characters > limit)
        return u"%1 is %2 characters long: at most %3 are allowed"_s.arg(what).arg(characters).arg(limit);

    qsizetype offset = 0;
    for (qsizetype i = 0; i < value.size(); ++i, ++offset) {
        const QChar ch = value.at(i);
        char32_t c = ch.unicode();
        if (ch.isHighSurrogate() && i + 1 < value.size() && value.at(i + 1).isLowSurrogate()) {
            c = QChar::surrogateToUcs4(ch, value.at(i + 1));
            ++i;
        } else if (ch.isSurrogate()) {
            return u"%1 contains a lone surrogate (%2) at offset %3: it is not valid Unicode text"_s
                .arg(what, codePoint(c))
                .arg(offset);
        }
        if (const QString bad = refusal(c); !bad.isEmpty())
            return u"%1 contains %2 (%3) at offset %4"_s.arg(what, bad, codePoint(c)).arg(offset);
    }
    if (value.front().isSpace())
        return what + u" starts with white space"_s;
    if (value.back().isSpace())
        return what + u" ends with white space"_s;
    return {};
}

Status check(Kind kind, QStringView value)
{
    if (QString p = problem(kind, value); !p.isEmpty())
        return Error::make(ErrorCode::Invalid, std::move(p));
    return {};
}

} // namespace es::identifiers
