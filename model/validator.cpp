#include "validator.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace es {

using namespace Qt::StringLiterals;

namespace {

QString number(double v)
{
    // 'g' with 15 digits prints 1000000 and 0.01 as written, not 1e+06.
    return QString::number(v, 'g', 15);
}

QString checkRange(const FieldSpec &f, double v)
{
    if (f.min && v < *f.min) {
        return u"must be at least "_s + number(*f.min);
    }
    if (f.max && v > *f.max) {
        return u"must be at most "_s + number(*f.max);
    }
    return {};
}

QString checkLength(const FieldSpec &f, qsizetype n, const QString &unit)
{
    if (f.minLength && n < *f.minLength) {
        return u"must have at least "_s + QString::number(*f.minLength) + u' ' + unit;
    }
    if (f.maxLength && n > *f.maxLength) {
        return u"must have at most "_s + QString::number(*f.maxLength) + u' ' + unit;
    }
    return {};
}

// Integers beyond this lose digits as doubles (9007199254740993 reads as ...992),
// and a JavaScript decide sees only doubles: JavaScript's Number.MAX_SAFE_INTEGER.
constexpr double MaxExactInteger = 9007199254740991.0;

// The number as the payload's JSON text gives it: integers keep every digit.
QString numberText(const QJsonValue &v)
{
    const QByteArray text = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(text.mid(1, text.size() - 2));
}

// An empty string when the number can be carried exactly through JSON and a
// JavaScript decide; every number of a payload is checked, nested ones too.
QString checkNumber(const QJsonValue &v)
{
    const double d = v.toDouble();
    if (!std::isfinite(d))
        return u"is not a finite number"_s;
    if (std::fabs(d) > MaxExactInteger)
        return numberText(v) + u" exceeds the largest exactly representable integer (±9007199254740991)"_s;
    return {};
}

// The first number inside an object or array that checkNumber refuses, with its path.
QString checkNestedNumbers(const QJsonValue &v, const QString &path)
{
    if (v.isDouble()) {
        const QString e = checkNumber(v);
        return e.isEmpty() ? e : path + u": "_s + e;
    }
    if (v.isArray()) {
        const QJsonArray a = v.toArray();
        for (qsizetype i = 0; i < a.size(); ++i)
            if (QString e = checkNestedNumbers(a.at(i), path + u'[' + QString::number(i) + u']'); !e.isEmpty())
                return e;
    } else if (v.isObject()) {
        const QJsonObject o = v.toObject();
        for (auto it = o.begin(); it != o.end(); ++it)
            if (QString e = checkNestedNumbers(it.value(), path + u'.' + it.key()); !e.isEmpty())
                return e;
    }
    return {};
}

bool isDateTime(const QString &s)
{
    // Qt::ISODateWithMs also accepts values without milliseconds and with offsets or Z.
    return QDateTime::fromString(s, Qt::ISODateWithMs).isValid();
}

// An empty string when the value fits the field.
QString check(const FieldSpec &f, const QJsonValue &v)
{
    if (f.type == u"string"_s) {
        if (!v.isString()) {
            return u"must be a string"_s;
        }
        const QString s = v.toString();
        if (QString e = checkLength(f, s.size(), u"characters"_s); !e.isEmpty()) {
            return e;
        }
        if (!f.pattern.isEmpty()) {
            const QRegularExpression re(QRegularExpression::anchoredPattern(f.pattern));
            if (!re.match(s).hasMatch()) {
                return u"must match "_s + f.pattern;
            }
        }
        return {};
    }
    if (f.type == u"number"_s || f.type == u"integer"_s) {
        if (!v.isDouble()) {
            return f.type == u"integer"_s ? u"must be an integer"_s : u"must be a number"_s;
        }
        if (QString e = checkNumber(v); !e.isEmpty()) {
            return e;
        }
        const double d = v.toDouble();
        if (f.type == u"integer"_s && d != std::floor(d)) {
            return u"must be an integer"_s;
        }
        return checkRange(f, d);
    }
    if (f.type == u"boolean"_s) {
        return v.isBool() ? QString() : u"must be true or false"_s;
    }
    if (f.type == u"enum"_s) {
        return v.isString() && f.values.contains(v.toString()) ? QString()
                                                               : u"must be one of "_s + f.values.join(u", "_s);
    }
    if (f.type == u"datetime"_s) {
        return v.isString() && isDateTime(v.toString())
                   ? QString()
                   : u"must be an ISO 8601 date-time such as 2024-05-01T12:00:00Z"_s;
    }
    if (f.type == u"object"_s) {
        return v.isObject() ? checkNestedNumbers(v, f.name) : u"must be an object"_s;
    }
    if (f.type == u"array"_s) {
        if (!v.isArray()) {
            return u"must be an array"_s;
        }
        if (QString e = checkLength(f, v.toArray().size(), u"items"_s); !e.isEmpty()) {
            return e;
        }
        return checkNestedNumbers(v, f.name);
    }
    return u"has unknown type "_s + f.type;
}

} // namespace

QJsonObject validatePayload(const CommandSpec &spec, const QJsonObject &payload)
{
    QJsonObject errors;
    for (const FieldSpec &f : spec.fields) {
        const QJsonValue v = payload.value(f.name);
        // A form sends "" for a field left blank: that is a missing value, not an empty one.
        const bool missing = v.isUndefined() || v.isNull() || (v.isString() && v.toString().isEmpty());
        if (missing) {
            if (f.required) {
                errors.insert(f.name, u"required"_s);
            }
            continue;
        }
        if (const QString e = check(f, v); !e.isEmpty()) {
            errors.insert(f.name, e);
        }
    }
    for (auto it = payload.begin(); it != payload.end(); ++it) {
        const bool declared = std::any_of(spec.fields.cbegin(), spec.fields.cend(),
                                          [&](const FieldSpec &f) { return f.name == it.key(); });
        if (!declared) {
            errors.insert(it.key(), u"unknown field"_s);
        }
    }
    return errors;
}

} // namespace es
