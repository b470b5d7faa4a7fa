#include "payloadsummary.h"

using namespace Qt::StringLiterals;

namespace es {

QString PayloadSummary::of(const QString &json, bool truncated, int maxChars)
{
    QString out;
    out.reserve(std::min<qsizetype>(json.size(), maxChars) + 8);
    bool inString = false;
    bool escaped = false;
    int depth = 0;
    qsizetype i = 0;
    for (; i < json.size() && out.size() < maxChars; ++i) {
        const QChar c = json.at(i);
        if (inString) {
            if (escaped) {
                escaped = false;
                out += (c == u'n' || c == u't' || c == u'r') ? QChar(u' ') : c;
            } else if (c == u'\\') {
                escaped = true;
            } else if (c == u'"') {
                inString = false;
            } else {
                out += c;
            }
            continue;
        }
        switch (c.unicode()) {
        case u'"':
            inString = true;
            break;
        case u'{':
            if (depth++ > 0)
                out += c;
            break;
        case u'}':
            if (--depth > 0)
                out += c;
            break;
        case u':':
            out += u": "_s;
            break;
        case u',':
            out += u", "_s;
            break;
        default:
            out += c;
        }
    }
    if (truncated || i < json.size())
        out += u'…';
    return out;
}

} // namespace es
