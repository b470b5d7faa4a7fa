#include "testsupport.h"
#include "validator.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

using namespace es;
using namespace Qt::StringLiterals;

namespace {

FieldSpec field(const QString &name, const QString &type, bool required = false)
{
    FieldSpec f;
    f.name = name;
    f.type = type;
    f.required = required;
    return f;
}

// One command with a field of each kind, constrained the way packs declare them.
CommandSpec spec()
{
    CommandSpec c;
    c.name = u"Everything"_s;
    c.aggregate = u"Test"_s;
    FieldSpec owner = field(u"owner"_s, u"string"_s, true);
    owner.minLength = 2;
    owner.maxLength = 5;
    FieldSpec code = field(u"code"_s, u"string"_s);
    code.pattern = u"[A-Z]{3}"_s;
    FieldSpec amount = field(u"amount"_s, u"number"_s);
    amount.min = 0.01;
    amount.max = 1000000;
    FieldSpec count = field(u"count"_s, u"integer"_s);
    count.min = 0;
    FieldSpec currency = field(u"currency"_s, u"enum"_s);
    currency.values = {u"EUR"_s, u"USD"_s};
    FieldSpec tags = field(u"tags"_s, u"array"_s);
    tags.maxLength = 2;
    c.fields = {owner,
                code,
                amount,
                count,
                currency,
                field(u"active"_s, u"boolean"_s),
                field(u"at"_s, u"datetime"_s),
                field(u"extra"_s, u"object"_s),
                tags};
    return c;
}

} // namespace

class TestValidator : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void valid_data()
    {
        QTest::addColumn<QJsonObject>("payload");
        QTest::newRow("only required") << QJsonObject{{u"owner"_s, u"Ada"_s}};
        QTest::newRow("everything") << QJsonObject{{u"owner"_s, u"Ada"_s},
                                                   {u"code"_s, u"EUR"_s},
                                                   {u"amount"_s, 0.01},
                                                   {u"count"_s, 3},
                                                   {u"currency"_s, u"USD"_s},
                                                   {u"active"_s, false},
                                                   {u"at"_s, u"2024-05-01T12:00:00Z"_s},
                                                   {u"extra"_s, QJsonObject{{u"k"_s, 1}}},
                                                   {u"tags"_s, QJsonArray{1, 2}}};
        QTest::newRow("integral double") << QJsonObject{{u"owner"_s, u"Ada"_s}, {u"count"_s, 4.0}};
        QTest::newRow("datetime with ms and offset")
            << QJsonObject{{u"owner"_s, u"Ada"_s}, {u"at"_s, u"2024-05-01T12:00:00.123+02:00"_s}};
        QTest::newRow("null optional") << QJsonObject{{u"owner"_s, u"Ada"_s}, {u"amount"_s, QJsonValue::Null}};
        // Forms send "" for a blank field: for an optional one that is no value at all.
        QTest::newRow("blank optional") << QJsonObject{
            {u"owner"_s, u"Ada"_s}, {u"currency"_s, u""_s}, {u"code"_s, u""_s}};
        QTest::newRow("max boundary") << QJsonObject{{u"owner"_s, u"Ada"_s}, {u"amount"_s, 1000000}};
    }
    void valid()
    {
        QFETCH(QJsonObject, payload);
        const QJsonObject errors = validatePayload(spec(), payload);
        QVERIFY2(errors.isEmpty(), QJsonDocument(errors).toJson().constData());
    }

    void invalid_data()
    {
        QTest::addColumn<QJsonObject>("payload");
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("message");

        const QJsonObject base{{u"owner"_s, u"Ada"_s}};
        auto with = [&base](const QString &key, const QJsonValue &value) {
            QJsonObject o = base;
            o.insert(key, value);
            return o;
        };
        QTest::newRow("missing required") << QJsonObject{} << u"owner"_s << u"required"_s;
        QTest::newRow("null required") << QJsonObject{{u"owner"_s, QJsonValue::Null}} << u"owner"_s << u"required"_s;
        QTest::newRow("blank required") << QJsonObject{{u"owner"_s, u""_s}} << u"owner"_s << u"required"_s;
        QTest::newRow("string not string") << with(u"owner"_s, 42) << u"owner"_s << u"must be a string"_s;
        QTest::newRow("too short") << with(u"owner"_s, u"A"_s) << u"owner"_s << u"must have at least 2 characters"_s;
        QTest::newRow("too long") << with(u"owner"_s, u"Adalovelace"_s) << u"owner"_s
                                  << u"must have at most 5 characters"_s;
        QTest::newRow("pattern") << with(u"code"_s, u"eur"_s) << u"code"_s << u"must match [A-Z]{3}"_s;
        QTest::newRow("pattern is a whole match") << with(u"code"_s, u"EURO"_s) << u"code"_s << u"must match"_s;
        QTest::newRow("number as string") << with(u"amount"_s, u"12"_s) << u"amount"_s << u"must be a number"_s;
        QTest::newRow("below min") << with(u"amount"_s, 0.001) << u"amount"_s << u"must be at least 0.01"_s;
        QTest::newRow("above max") << with(u"amount"_s, 1000000.5) << u"amount"_s << u"must be at most 1000000"_s;
        QTest::newRow("fractional integer") << with(u"count"_s, 1.5) << u"count"_s << u"must be an integer"_s;
        QTest::newRow("integer as string") << with(u"count"_s, u"1"_s) << u"count"_s << u"must be an integer"_s;
        QTest::newRow("negative integer") << with(u"count"_s, -1) << u"count"_s << u"must be at least 0"_s;
        QTest::newRow("enum") << with(u"currency"_s, u"GBP"_s) << u"currency"_s << u"must be one of EUR, USD"_s;
        QTest::newRow("boolean") << with(u"active"_s, u"yes"_s) << u"active"_s << u"must be true or false"_s;
        QTest::newRow("datetime") << with(u"at"_s, u"yesterday"_s) << u"at"_s << u"must be an ISO 8601 date-time"_s;
        QTest::newRow("datetime not a string") << with(u"at"_s, 1714564800000.0) << u"at"_s << u"ISO 8601"_s;
        QTest::newRow("object") << with(u"extra"_s, QJsonArray{}) << u"extra"_s << u"must be an object"_s;
        QTest::newRow("array") << with(u"tags"_s, u"a,b"_s) << u"tags"_s << u"must be an array"_s;
        QTest::newRow("array too long") << with(u"tags"_s, QJsonArray{1, 2, 3}) << u"tags"_s
                                        << u"must have at most 2 items"_s;
        QTest::newRow("unknown field") << with(u"colour"_s, u"red"_s) << u"colour"_s << u"unknown field"_s;
    }
    void invalid()
    {
        QFETCH(QJsonObject, payload);
        QFETCH(QString, field);
        QFETCH(QString, message);
        const QJsonObject errors = validatePayload(spec(), payload);
        QVERIFY2(errors.value(field).toString().contains(message), QJsonDocument(errors).toJson().constData());
        // Only the field at fault is reported.
        QCOMPARE(errors.size(), 1);
    }

    void severalErrorsAtOnce()
    {
        const QJsonObject errors =
            validatePayload(spec(), {{u"amount"_s, -5}, {u"currency"_s, u"XXX"_s}, {u"bogus"_s, 1}});
        QCOMPARE(errors.keys(), (QStringList{u"amount"_s, u"bogus"_s, u"currency"_s, u"owner"_s}));
    }

    void emptySpec()
    {
        CommandSpec none;
        QVERIFY(validatePayload(none, {}).isEmpty());
        QCOMPARE(validatePayload(none, {{u"x"_s, 1}}).value(u"x"_s).toString(), u"unknown field"_s);
    }
};

QTEST_APPLESS_MAIN(TestValidator)
#include "tst_validator.moc"
