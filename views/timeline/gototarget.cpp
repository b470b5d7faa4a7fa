#include "gototarget.h"

#include <QDateTime>

using namespace Qt::StringLiterals;

namespace es {

std::optional<qint64> GotoTarget::parseTime(const QString &text)
{
    QString s = text.trimmed();
    if (s.isEmpty())
        return std::nullopt;
    if (s.size() > 10 && s.at(10) == u' ')
        s[10] = u'T';
    QDateTime dt = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!dt.isValid()) {
        const QDate d = QDate::fromString(s, Qt::ISODate);
        if (!d.isValid())
            return std::nullopt;
        dt = QDateTime(d, QTime(0, 0), Qt::UTC);
    }
    // The timeline shows UTC: a time typed without an offset is UTC too.
    if (dt.timeSpec() == Qt::LocalTime)
        dt = QDateTime(dt.date(), dt.time(), Qt::UTC);
    return dt.toMSecsSinceEpoch();
}

GotoTarget GotoTarget::parse(const QString &text)
{
    GotoTarget t;
    QString s = text.trimmed();
    if (s.startsWith(u'#'))
        s.remove(0, 1);
    QString digits = s;
    digits.remove(u',').remove(u'_').remove(u' ').remove(u'\u00a0');
    bool ok = false;
    const qint64 position = digits.toLongLong(&ok);
    if (ok && !digits.isEmpty() && position >= 0) {
        t.kind = Position;
        t.position = position;
        return t;
    }
    if (const auto ms = parseTime(text)) {
        t.kind = Time;
        t.timeMs = *ms;
    }
    return t;
}

} // namespace es
