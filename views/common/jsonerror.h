#pragma once

#include <QByteArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QString>

namespace es {

// "line 2, column 14: unterminated object": where a JSON text breaks, in the
// terms an editor shows (QJsonParseError only gives a byte offset).
QString describeJsonError(const QByteArray &utf8, const QJsonParseError &error);

// Parses a JSON object or array; on failure returns false and says where and why.
bool parseJsonValue(const QString &text, QJsonValue *value, QString *error);

} // namespace es
