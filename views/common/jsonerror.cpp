#include "jsonerror.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

namespace es {

QString describeJsonError(const QByteArray &utf8, const QJsonParseError &error)
{
    const qsizetype offset = qBound(qsizetype(0), qsizetype(error.offset), utf8.size());
    const QByteArray before = utf8.left(offset);
    const qsizetype lastNewline = before.lastIndexOf('\n');
    const int line = int(before.count('\n')) + 1;
    // Columns count characters, not UTF-8 bytes.
    const int column = int(QString::fromUtf8(before.mid(lastNewline + 1)).size()) + 1;
    return QCoreApplication::translate("es::JsonError", "line %1, column %2: %3").arg(line).arg(column).arg(error.errorString());
}

bool parseJsonValue(const QString &text, QJsonValue *value, QString *error)
{
    const QByteArray utf8 = text.toUtf8();
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(utf8, &pe);
    if (pe.error != QJsonParseError::NoError) {
        if (error)
            *error = describeJsonError(utf8, pe);
        return false;
    }
    if (value)
        *value = doc.isArray() ? QJsonValue(doc.array()) : QJsonValue(doc.object());
    return true;
}

} // namespace es
