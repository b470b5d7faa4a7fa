#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace es {

// Reads one flat JSON array of scalars ([1, "a", null, 2.5, ...]) value by value,
// straight from the UTF-8 text: the batch protocol between the projection
// runner and the JavaScript engine returns its results this way, and building a
// QJsonDocument for them (then a QVariant per value) cost more than the SQL
// writes they feed. Nested arrays or objects are an error; so is anything that is
// not JSON.
class FlatJsonReader {
public:
    enum class Kind { Null, Bool, Number, String };

    explicit FlatJsonReader(QByteArrayView text);

    // False at the end of the array, or on malformed text (then failed() is true).
    bool next();
    bool failed() const { return m_failed; }

    Kind kind() const { return m_kind; }
    bool isNull() const { return m_kind == Kind::Null; }
    double number() const { return m_number; }
    bool boolean() const { return m_bool; }
    // A string value, unescaped (UTF-8); valid until the next call to next().
    QByteArrayView string() const { return m_string; }

private:
    bool fail();
    bool readString();

    QByteArrayView m_text;
    qsizetype m_at = 0;
    bool m_started = false;
    bool m_failed = false;
    Kind m_kind = Kind::Null;
    double m_number = 0;
    bool m_bool = false;
    QByteArrayView m_string;
    QByteArray m_unescaped;
};

} // namespace es
